/** `vigil notify-test`: sends one test notification through the configured channel, once, without the outbox. Exit 0 delivered, 1 not. */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/types';
import { createLogger, type Logger } from '../log';
import { channelSender, SLACK_TIMEOUT_MS } from '../notify/channel';
import { VERSION } from '../version';
import { EXIT, loadConfigOrExit } from './common';

export interface NotifyTestOptions {
  configFile?: string | undefined;
  /** Tests pass the config, a logger and a writer instead. */
  config?: Config;
  logger?: Logger;
  write?: (text: string) => void;
}

export async function notifyTestCommand(options: NotifyTestOptions): Promise<number> {
  const config = options.config ?? loadConfigOrExit(options.configFile);
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const logger = options.logger ?? createLogger({ level: config.log.level, secrets: config.secrets });
  const { channel, send } = channelSender(config, logger);
  const now = Date.now();
  const result = await send(
    { id: randomUUID(), createdAt: now, alerts: [], notes: [`test notification from vigil ${VERSION} on ${os.hostname()}`] },
    { droppedSinceLastDelivery: 0, signal: AbortSignal.timeout(SLACK_TIMEOUT_MS + 1_000) },
  );
  if (result.ok) {
    write(`delivered via ${channel}\n`);
    return EXIT.ok;
  }
  const why = [result.reason, result.status !== undefined ? `HTTP ${result.status}` : null, result.detail].filter(Boolean).join(', ');
  write(`not delivered via ${channel}: ${config.secrets.reduce((t, s) => (s.length >= 4 ? t.split(s).join('[redacted]') : t), why)}\n`);
  return EXIT.failing;
}
