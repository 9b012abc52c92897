/** `vigil validate`: loads and validates the config; prints `ok` or every problem with its path. */
import { EXIT, loadConfigOrExit } from './common';

export function validateCommand(configFile: string | undefined): number {
  const config = loadConfigOrExit(configFile);
  process.stdout.write(`ok${config.file ? ` (${config.file})` : ' (embedded default)'}\n`);
  return EXIT.ok;
}
