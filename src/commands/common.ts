/** What every command shares: exit codes, config loading with the contract's error lines. */
import { loadConfig } from '../config/load';
import type { Config } from '../config/types';

export const EXIT = { ok: 0, failing: 1, config: 2 } as const;

export class ExitError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Loads the config or throws ExitError(2) after printing `vigil: config: <path>: <problem>` lines. */
export function loadConfigOrExit(file: string | undefined): Config {
  const result = loadConfig({ file });
  if (!result.ok) {
    for (const problem of result.problems) process.stderr.write(`vigil: config: ${problem}\n`);
    throw new ExitError(EXIT.config, '');
  }
  return result.config;
}
