/** The validated, fully defaulted, frozen configuration every other module reads. */
import type { CheckConfig, ParsedConfig, QueueRules } from './schema';

export type { CheckConfig, QueueRules, RemediationMode } from './schema';
export type { Severity } from './fields';

/** An app vigil expects PM2 to run: from `pm2.ecosystem` and `pm2.apps`, merged. */
export interface ExpectedApp {
  name: string;
  instances: number;
  /** On the watchdog's allowlist. */
  restart: boolean;
  /** Bytes; null when no limit is set. */
  memoryLimit: number | null;
  /** The ecosystem definition to start it from (holds the app's env: never log it); null when not in the ecosystem. */
  definition: Readonly<Record<string, unknown>> | null;
}

/** A queue from `queues.list`, its overrides merged over `queues.defaults`. */
export interface ListedQueue extends QueueRules {
  consumer: string | null;
}

export interface Config extends Omit<ParsedConfig, 'pm2' | 'queues'> {
  /** The file this came from; null for the embedded default. */
  file: string | null;
  pm2: ParsedConfig['pm2'] & { expected: Readonly<Record<string, ExpectedApp>> };
  queues: Omit<ParsedConfig['queues'], 'list'> & { list: Readonly<Record<string, ListedQueue>> };
  /** Secret values (tokens, passwords, webhook URLs) that must never be shown. */
  secrets: readonly string[];
}

export type { CheckConfig as Check };
