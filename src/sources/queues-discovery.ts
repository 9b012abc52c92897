/**
 * Queue discovery: `SCAN MATCH <prefix>:*:meta`, resumed across polls with a budget per poll, because
 * SCAN's cost grows with the whole keyspace (every job is a key), not with the number of queues. A
 * keyspace under SCAN_COUNT × SCAN_CALLS_PER_POLL keys is covered in every poll; a larger one over
 * several polls, during which the queues of the last complete pass stay known. Names may contain ':':
 * strip the prefix and the `:meta` suffix, never split.
 */
import type { Redis } from 'ioredis';

/** Keys examined per SCAN call (~1 ms of Redis time per 5,000 keys). */
export const SCAN_COUNT = 5000;
/** SCAN calls per poll at most: bounds a poll's discovery at 50,000 keys (~10 ms of Redis time). */
export const SCAN_CALLS_PER_POLL = 10;

export class QueueDiscovery {
  private cursor = '0';
  /** Found so far in the pass in progress. */
  private current = new Set<string>();
  /** Found by the last complete pass. */
  private previous = new Set<string>();
  /** Complete passes over the keyspace so far. */
  passes = 0;

  constructor(private readonly prefix: string) {}

  /** Advances the scan (a whole pass when the keyspace is small) and returns every queue known now. */
  async names(client: Redis): Promise<Set<string>> {
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}:*:meta`;
    for (let calls = 0; calls < SCAN_CALLS_PER_POLL; calls++) {
      const [next, keys] = await client.scan(this.cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      for (const key of keys) {
        const name = key.slice(this.prefix.length + 1, -':meta'.length);
        if (name !== '') this.current.add(name);
      }
      this.cursor = next;
      if (next === '0') {
        // A pass is complete: what it found is the truth; queues deleted since the last pass drop out.
        this.previous = this.current;
        this.current = new Set();
        this.passes += 1;
        return new Set(this.previous);
      }
    }
    return new Set([...this.previous, ...this.current]);
  }
}
