/**
 * `vigil remediate CHECK [--apply]`: one run of one check's remediation, a dry run unless --apply.
 * Per-row log lines go to stderr, the summary to stdout. Exit 0 done, 1 failed (or another vigil is
 * running this check's remediation right now), 2 config error or unknown check.
 */
import { createLogger } from '../log';
import { Remediator } from '../remediate/remediator';
import { EXIT, ExitError, loadConfigOrExit } from './common';

export async function remediateCommand(configFile: string | undefined, check: string | undefined, apply: boolean): Promise<number> {
  if (!check) throw new ExitError(EXIT.config, 'vigil: usage: vigil remediate CHECK [--apply] [--config PATH]');
  const config = loadConfigOrExit(configFile);
  if (config.postgres.url === '') throw new ExitError(EXIT.config, 'vigil: config: postgres.url: is empty, so there are no checks to remediate');
  const checkConfig = config.postgres.checks[check];
  if (!checkConfig) {
    const known = Object.keys(config.postgres.checks);
    throw new ExitError(EXIT.config, `vigil: unknown check "${check}" (configured: ${known.length > 0 ? known.join(', ') : 'none'})`);
  }
  if (checkConfig.remediate.statements.length === 0) {
    throw new ExitError(EXIT.config, `vigil: config: postgres.checks.${check}.remediate.statements: none configured, nothing to run`);
  }
  const logger = createLogger({ level: config.log.level, secrets: config.secrets, write: (line) => process.stderr.write(line) });
  const remediator = new Remediator(config, logger);
  const report = await remediator.run(check, apply ? 'apply' : 'dry-run');
  process.stdout.write(`${report.summary}\n`);
  return report.status === 'done' && report.counts.failed === 0 ? EXIT.ok : EXIT.failing;
}
