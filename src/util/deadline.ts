/** Deadlines for calls that may never answer (pm2 and bullmq calls hang while their server is down). */

export class DeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms}ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Settles with the promise, or rejects with a DeadlineError after `ms`. The underlying work is not
 * cancelled (it cannot be, for these libraries): callers must treat the resource as suspect afterwards.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal?.reason instanceof Error ? signal.reason : new DeadlineError(what, ms)));
    const timer = setTimeout(() => finish(() => reject(new DeadlineError(what, ms))), ms);
    let done = false;
    function finish(settle: () => void) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

/** The message of anything thrown, on one line. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
