/**
 * What the demo started, to be stopped in reverse order whatever happens — success, a failed step, or
 * Ctrl-C. Each stop has a deadline so that cleanup itself cannot hang; whatever is still alive after it
 * is killed by the stack helpers' exit hook.
 */
export class Cleanup {
  private readonly steps: Array<{ what: string; stop: () => Promise<void> }> = [];

  /** Registers a stop; the last registered is stopped first. */
  add(what: string, stop: () => Promise<void>): void {
    this.steps.push({ what, stop });
  }

  /** Runs every stop (newest first); returns the ones that failed or timed out. */
  async run(timeoutMs = 20_000): Promise<string[]> {
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const { what, stop } = this.steps.pop()!;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not stop within ${timeoutMs / 1000} s`)), timeoutMs);
      });
      try {
        await Promise.race([stop(), deadline]);
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
    return failures;
  }
}
