/**
 * The config file's schema (contracts.md section 2). Strict: unknown keys are errors. Every default lives
 * here, and the ones that come from the environment (REDIS_URL, DATABASE_URL, ...) are read from the `env`
 * the schema is built with, so the embedded default and a file that omits a key behave the same.
 */
import { z } from 'zod';
import { checkSqlProblem, remediationStatementProblem } from './check-sql';
import { bool, cronExpression, duration, durationValue, nonNegativeInt, positiveInt, severity, size } from './fields';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const REMEDIATION_MODES = ['off', 'dry-run', 'apply'] as const;

const noConsumerRule = z.strictObject({ for: duration('30s') });
const backlogRule = z.strictObject({ above: nonNegativeInt(100), for: duration('5m') });
const oldestWaitingRule = z.strictObject({ above: duration('5m') });
const failureRateRule = z.strictObject({
  above: z.number({ error: 'expected a ratio between 0 and 1' }).min(0).max(1).default(0.05),
  window: duration('15m'),
  minJobs: nonNegativeInt(20),
});

const queueRules = z.strictObject({
  noConsumer: noConsumerRule.prefault({}),
  backlog: backlogRule.prefault({}),
  oldestWaiting: oldestWaitingRule.prefault({}),
  failureRate: failureRateRule.prefault({}),
});

/** A listed queue: optional overrides, merged key by key over `queues.defaults` at load time. */
const queueEntry = z.strictObject({
  consumer: z.string().min(1).optional(),
  noConsumer: z.strictObject({ for: durationValue().optional() }).optional(),
  backlog: z.strictObject({ above: z.number().int().min(0).optional(), for: durationValue().optional() }).optional(),
  oldestWaiting: z.strictObject({ above: durationValue().optional() }).optional(),
  failureRate: z
    .strictObject({
      above: z.number().min(0).max(1).optional(),
      window: durationValue().optional(),
      minJobs: z.number().int().min(0).optional(),
    })
    .optional(),
});

const pm2App = z.strictObject({
  instances: positiveInt().optional(),
  restart: bool(false),
  memoryLimit: size().optional(),
});

const check = z.strictObject({
  schedule: cronExpression().optional(),
  sql: z
    .string({ error: 'expected the SQL text of one SELECT' })
    .min(1, 'must not be empty')
    .superRefine((sql, ctx) => {
      const problem = checkSqlProblem(sql);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  alert: z
    .strictObject({ above: z.number().min(0).default(0), for: duration('0s'), severity: severity('warning') })
    .prefault({}),
  remediate: z
    .strictObject({
      mode: z.enum(REMEDIATION_MODES, { error: `expected one of ${REMEDIATION_MODES.join(', ')}` }).default('off'),
      maxRows: positiveInt().default(100),
      statements: z
        .array(z.string({ error: 'expected the SQL text of one statement' }).min(1, 'must not be empty'))
        .default([])
        .superRefine((statements, ctx) => {
          statements.forEach((statement, i) => {
            const problem = remediationStatementProblem(statement, i);
            if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [i] });
          });
        }),
    })
    .prefault({})
    .refine((r) => r.mode === 'off' || r.statements.length > 0, {
      error: 'needs at least one statement (the claim) when mode is not off',
      path: ['statements'],
    }),
});

export function configSchema(env: NodeJS.ProcessEnv) {
  return z.strictObject({
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9477),
        token: z.string().default(env.VIGIL_TOKEN ?? ''),
      })
      .prefault({}),
    poll: z
      .strictObject({ interval: duration('5s'), timeout: duration('3s') })
      .prefault({})
      .refine((p) => p.interval > 0, { error: 'must be more than 0', path: ['interval'] })
      .refine((p) => p.timeout > 0 && p.timeout <= p.interval, {
        error: 'must be more than 0 and at most poll.interval',
        path: ['timeout'],
      }),
    stateFile: z.string().min(1).default('.vigil/state.json'),
    log: z.strictObject({ level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info') }).prefault({}),
    pm2: z
      .strictObject({
        enabled: bool(true),
        home: z.string().min(1).default(env.PM2_HOME || '~/.pm2'),
        ecosystem: z.string().min(1).optional(),
        apps: z.record(z.string().min(1), pm2App).default({}),
        watchdog: z
          .strictObject({
            enabled: bool(true),
            dryRun: bool(false),
            grace: duration('15s'),
            budget: z.strictObject({ restarts: positiveInt().default(3), within: duration('10m') }).prefault({}),
            cooldown: duration('30m'),
            restartStopped: bool(false),
          })
          .prefault({}),
      })
      .prefault({}),
    redis: z
      .strictObject({
        url: z.string().default(env.REDIS_URL || 'redis://127.0.0.1:6379'),
        prefix: z.string().min(1).default('bull'),
      })
      .prefault({}),
    queues: z
      .strictObject({
        discover: bool(true),
        defaults: queueRules.prefault({}),
        list: z.record(z.string().min(1), queueEntry.prefault({})).default({}),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        url: z.string().default(env.DATABASE_URL ?? ''),
        /** The role remediation runs as; empty: the same as url. Lets checks run on a SELECT-only role. */
        remediationUrl: z.string().default(''),
        statementTimeout: duration('2s'),
        checks: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'check names use letters, digits, _ . : -'), check).default({}),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        groupWait: duration('10s'),
        repeatInterval: duration('4h'),
        sendResolved: bool(true),
        minSeverity: severity('warning'),
        slack: z
          .strictObject({
            webhookUrl: z.string().default(env.SLACK_WEBHOOK_URL ?? ''),
            mention: z.string().default(''),
          })
          .prefault({}),
        digest: z.strictObject({ schedule: cronExpression().default('') }).prefault({}),
      })
      .prefault({}),
  });
}

export type ParsedConfig = z.output<ReturnType<typeof configSchema>>;
export type QueueRules = z.output<typeof queueRules>;
export type CheckConfig = z.output<typeof check>;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];
