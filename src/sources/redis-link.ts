/**
 * The queue source's one Redis connection. Fails fast instead of queueing: no offline queue, no
 * retries per request, no background reconnect. A poll that finds the connection gone (or that was
 * abandoned at its deadline) gets a fresh one, so each poll starts clean and a dead Redis costs one
 * refused connect, never a hang.
 */
import { Redis } from 'ioredis';
import { redactUrl } from '../config/secrets';
import { errorText } from '../util/deadline';

export interface RedisLinkOptions {
  url: string;
  /** Bounds the TCP connect and every command (ioredis `connectTimeout` and `commandTimeout`). */
  timeoutMs: number;
}

export class RedisLink {
  private client: Redis | null = null;

  constructor(private readonly options: RedisLinkOptions) {}

  /** A connected client: the current one when it is ready, else a new one (connected under the deadline). */
  async ready(): Promise<Redis> {
    if (this.client?.status === 'ready') return this.client;
    this.reset();
    const client = new Redis(this.options.url, {
      lazyConnect: true,
      connectTimeout: this.options.timeoutMs,
      commandTimeout: this.options.timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      // One connect per poll at most: the next poll reconnects, nothing retries in the background.
      retryStrategy: () => null,
      // Both send commands an ACL-restricted monitoring user may lack (INFO, CLIENT SETINFO); neither is needed.
      enableReadyCheck: false,
      disableClientInfo: true,
    });
    // Failures surface as rejected commands; without a listener ioredis prints "Unhandled error event".
    client.on('error', () => undefined);
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      this.reset();
      throw new Error(`cannot connect to ${redactUrl(this.options.url)}: ${errorText(err)}`, { cause: err });
    }
    return client;
  }

  /** Drops the connection (rejecting whatever is still in flight); the next `ready()` reconnects. */
  reset(): void {
    const client = this.client;
    this.client = null;
    client?.disconnect(false);
  }

  async close(): Promise<void> {
    this.reset();
  }
}
