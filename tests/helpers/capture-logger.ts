/** A pino logger whose lines the test can read back. */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      callback();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}
