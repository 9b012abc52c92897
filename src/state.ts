/**
 * The persisted state file: alert states, the outbox, restart budgets, the maintenance window, stream
 * cursors. Each owner reads and validates its own section. Writes are atomic (temp file + rename), so a
 * crash leaves the old file or the new one, never half of one. A missing or corrupt file starts fresh.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log';

type Sections = Record<string, unknown>;

/** What the parts that persist something need of the state file: their own section, and a flush. */
export interface SectionStore {
  get(section: string): unknown;
  set(section: string, value: unknown): void;
  flush(): Promise<void>;
}

export class StateStore implements SectionStore {
  private sections: Sections;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    sections: Sections,
    private readonly logger: Logger,
  ) {
    this.sections = sections;
  }

  static load(file: string, logger: Logger): StateStore {
    let sections: Sections = {};
    try {
      const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) sections = parsed as Sections;
      else logger.warn({ file }, 'state file is not a JSON object; starting fresh');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') logger.warn({ file, error: code ?? (err as Error).message }, 'state file unreadable or corrupt; starting fresh');
    }
    return new StateStore(file, sections, logger);
  }

  get(section: string): unknown {
    return this.sections[section];
  }

  set(section: string, value: unknown): void {
    this.sections[section] = value;
    this.dirty = true;
  }

  /** Writes the file when something changed. Writes never overlap; a failure is logged and retried next time. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      const handle = await fs.promises.open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(this.sections));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      this.logger.error({ file: this.file, error: (err as Error).message }, 'cannot write state file');
    }
  }
}
