#!/usr/bin/env node
/** argv → command. The only place that calls process.exit. */
import { parseArgs } from 'node:util';
import { checkCommand } from './commands/check';
import { EXIT, ExitError } from './commands/common';
import { maintenanceCommand } from './commands/maintenance';
import { notifyTestCommand } from './commands/notify-test';
import { remediateCommand } from './commands/remediate';
import { startCommand } from './commands/start';
import { validateCommand } from './commands/validate';
import { waitHealthyCommand } from './commands/wait-healthy';
import { VERSION } from './version';

const USAGE = `vigil ${VERSION} — watches PM2 apps, BullMQ queues and Postgres stuck rows

usage: vigil <command> [--config PATH]

commands:
  start                      run the daemon until SIGTERM/SIGINT
  check [--json]             poll every source once, print a report; exit 0 ok/degraded, 1 failing
  validate                   validate the config; exit 0 valid, 2 invalid
  wait-healthy [--url URL] [--timeout 120s] [--token T]
                             wait until a running vigil's /health answers 200; exit 0 healthy, 1 not
  maintenance on --for 15m [--reason TEXT] | off | status [--url URL] [--token T]
                             open, close or show a running vigil's maintenance window (alerts are not
                             notified, the watchdog does not act); exit 0 done, 1 refused or unreachable
  notify-test                send one test notification through the configured channel; exit 0 delivered, 1 not
  remediate CHECK [--apply]  run one check's remediation once, a dry run unless --apply;
                             exit 0 done, 1 failed, 2 config error or unknown check

--config PATH defaults to $VIGIL_CONFIG, then ./vigil.yml, then the embedded default.
`;

const COMMANDS: readonly string[] = ['start', 'check', 'validate', 'wait-healthy', 'maintenance', 'notify-test', 'remediate'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.config : EXIT.ok;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    // Only `maintenance` (on/off/status) and `remediate` (the check) take a positional; every other command rejects one below.
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      timeout: { type: 'string' },
      token: { type: 'string' },
      for: { type: 'string' },
      reason: { type: 'string' },
      apply: { type: 'boolean' },
    },
  });
  const takes = command === 'maintenance' || command === 'remediate' ? 1 : 0;
  if (COMMANDS.includes(command) && positionals.length > takes) throw new ExitError(EXIT.config, `vigil: unexpected argument "${positionals[takes]}"\n\n${USAGE}`);
  for (const flag of ['for', 'reason'] as const) {
    if (values[flag] !== undefined && command !== 'maintenance') throw new ExitError(EXIT.config, `vigil: --${flag} is only for "maintenance on"`);
  }
  if (values.apply !== undefined && command !== 'remediate') throw new ExitError(EXIT.config, 'vigil: --apply is only for "remediate"');
  switch (command) {
    case 'start':
      return startCommand(values.config);
    case 'check':
      return checkCommand(values.config, values.json === true);
    case 'validate':
      return validateCommand(values.config);
    case 'wait-healthy':
      return waitHealthyCommand({ url: values.url, timeout: values.timeout, token: values.token, configFile: values.config });
    case 'notify-test':
      return notifyTestCommand({ configFile: values.config });
    case 'maintenance':
      return maintenanceCommand({ action: positionals[0], for: values.for, reason: values.reason, url: values.url, token: values.token, configFile: values.config });
    case 'remediate':
      return remediateCommand(values.config, positionals[0], values.apply === true);
    default:
      throw new ExitError(EXIT.config, `vigil: unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ExitError) {
      if (err.message) process.stderr.write(`${err.message}\n`);
      process.exit(err.code);
    }
    // parseArgs rejects unknown flags with a TypeError that has a code: a usage error, not a crash.
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vigil: ${(err as Error).message}\n`);
      process.exit(EXIT.config);
    }
    process.stderr.write(`vigil: ${(err as Error).message ?? String(err)}\n`);
    process.exit(EXIT.failing);
  },
);
