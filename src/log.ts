/** Structured JSON logs (pino) on stdout, with every known secret scrubbed from each line before it is written. */
import pino from 'pino';
import { makeScrubber } from './util/scrub';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggerOptions {
  level: LogLevel;
  secrets: readonly string[];
  /** Where lines go; stdout by default. Tests pass a collector. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const scrub = makeScrubber(options.secrets);
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  return pino(
    {
      level: options.level,
      base: { name: 'vigil' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => write(scrub(line)) },
  );
}
