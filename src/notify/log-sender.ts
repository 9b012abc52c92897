/** The channel used when no Slack webhook is configured: each notification becomes one log line. */
import type { Logger } from 'pino';
import type { SendFn } from './types';

/** Builds a send function that logs the notification at warn level and always succeeds. */
export function logSender(logger: Logger): SendFn {
  return async (notification, ctx) => {
    logger.warn({ notification, droppedSinceLastDelivery: ctx.droppedSinceLastDelivery }, 'alert');
    return { ok: true };
  };
}
