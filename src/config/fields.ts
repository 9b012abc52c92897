/** Reusable zod field types for the config schema: durations, sizes, severities, cron expressions. */
import { z } from 'zod';
import cron from 'node-cron';
import { DURATION_HINT, SIZE_HINT, parseDuration, parseSize } from './units';

/** A duration string, parsed to milliseconds. */
export const durationValue = () =>
  z
    .string({ error: `expected a duration string (${DURATION_HINT})` })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (${DURATION_HINT})` });
        return z.NEVER;
      }
      return ms;
    });

/** A duration with its default (the default is parsed like any input). */
export const duration = (fallback: string) => durationValue().prefault(fallback);

/** A size string, parsed to bytes. */
export const size = () =>
  z.string({ error: `expected a size string (${SIZE_HINT})` }).transform((text, ctx) => {
    const bytes = parseSize(text);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `invalid size "${text}" (${SIZE_HINT})` });
      return z.NEVER;
    }
    return bytes;
  });

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severity = (fallback: Severity) =>
  z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }).default(fallback);

/** A node-cron expression; the empty string means "not scheduled". */
export const cronExpression = () =>
  z.string().refine((text) => text === '' || cron.validate(text), {
    error: (issue) => `invalid cron expression "${String(issue.input)}"`,
  });

export const nonNegativeInt = (fallback: number) =>
  z.number({ error: 'expected a whole number' }).int('expected a whole number').min(0, 'must be 0 or more').default(fallback);

export const positiveInt = () => z.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'must be 1 or more');

export const bool = (fallback: boolean) => z.boolean({ error: 'expected true or false' }).default(fallback);

/** A name used as a metric label and a Slack subject: printable, bounded. */
export const NAME_PATTERN = /^[^\s\u0000-\u001f]{1,200}$/;
