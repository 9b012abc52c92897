/**
 * The demo's voice: every line it prints carries the wall-clock time and the seconds since the demo
 * began, so a reader can see how long each part of the incident took. Also the one way the story waits
 * for something: with a deadline, and giving up at once when the demo is interrupted.
 */
import { setTimeout as delay } from 'node:timers/promises';

export type Out = (line: string) => void;

export class Narrator {
  readonly startedAt = Date.now();

  constructor(
    private readonly out: Out,
    /** Aborted on Ctrl-C/SIGTERM: every wait stops at once. */
    readonly signal: AbortSignal,
  ) {}

  private stamp(): string {
    const now = new Date();
    const clock = now.toTimeString().slice(0, 8);
    const since = ((now.getTime() - this.startedAt) / 1000).toFixed(1).padStart(5);
    return `[${clock} +${since}s]`;
  }

  /** A numbered step of the story: a blank line, then its title. */
  step(title: string): void {
    this.out('');
    this.out(`── ${title}`);
  }

  /** One timestamped line; continuation lines are indented under it. */
  say(text: string, ...more: string[]): void {
    this.out(`${this.stamp()} ${text}`);
    for (const line of more) this.out(`${' '.repeat(18)}${line}`);
  }

  /** Un-stamped text (banners, tables). */
  raw(text = ''): void {
    this.out(text);
  }

  /**
   * Polls `check` until it returns something truthy. A step that does not happen within `timeoutMs`
   * fails the demo with `what` in the message: the demo must never hang.
   */
  async until<T>(what: string, check: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      this.signal.throwIfAborted();
      try {
        const value = await check();
        if (value) return value;
      } catch (err) {
        lastError = ` (last error: ${(err as Error).message})`;
      }
      if (Date.now() >= deadline) throw new StoryError(`${what}: did not happen within ${Math.round(timeoutMs / 1000)} s${lastError}`);
      await delay(everyMs, undefined, { signal: this.signal });
    }
  }
}

/** The story did not happen as expected (a deadline passed, or a check of the outcome failed). */
export class StoryError extends Error {
  override name = 'StoryError';
}

/** Throws a StoryError unless `ok`. */
export function expect(ok: boolean, what: string): void {
  if (!ok) throw new StoryError(what);
}
