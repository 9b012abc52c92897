/**
 * Worker counts from one `CLIENT LIST`. A BullMQ worker names its blocking connection
 * `<prefix>:<base64(queue)>` (unnamed worker) or `<prefix>:<base64(queue)>:w:<workerName>` (bullmq 6.7,
 * utils/create-backend.js); `...:qe` is a QueueEvents listener, not a worker. When the server refuses or
 * lacks `CLIENT`, the count is unknown — never 0.
 */
import { errorText } from '../util/deadline';

/** Workers per queue name, for every queue named in the list (queues with none are absent). */
export function countWorkers(clientList: string, prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  const head = `${prefix}:`;
  for (const line of clientList.split('\n')) {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    if (!name?.startsWith(head)) continue;
    const rest = name.slice(head.length);
    const colon = rest.indexOf(':'); // base64 has no ':'
    const encoded = colon < 0 ? rest : rest.slice(0, colon);
    if (colon >= 0 && !rest.startsWith(':w:', colon)) continue;
    const queue = decodeQueueName(encoded);
    if (queue !== null) counts.set(queue, (counts.get(queue) ?? 0) + 1);
  }
  return counts;
}

/** The queue name, or null when `encoded` is not the canonical base64 of any name. */
function decodeQueueName(encoded: string): string | null {
  if (encoded === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
  const name = Buffer.from(encoded, 'base64').toString('utf8');
  return Buffer.from(name, 'utf8').toString('base64') === encoded ? name : null;
}

/**
 * Why `CLIENT LIST` failed in a way that makes worker counts unknowable (ACL NOPERM, command disabled or
 * renamed — what bullmq turns into its fake "GCP does not support client list" worker); null for any
 * other failure, which fails the poll instead.
 */
export function workersUnknownReason(err: Error): string | null {
  const message = errorText(err);
  if (/^NOPERM\b/.test(message)) return `CLIENT LIST refused: ${message}`;
  if (/unknown (sub)?command/i.test(message)) return `CLIENT LIST not available: ${message}`;
  return null;
}
