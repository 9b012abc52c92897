/**
 * Reads a PM2 app's stdout log (what `pm2 logs <app>` shows) from the private PM2_HOME, a few lines at a
 * time: each call returns only the lines written since the previous one.
 */
import fs from 'node:fs';
import path from 'node:path';

export class AppLog {
  private offset = 0;
  private readonly file: string;

  constructor(pm2Home: string, app: string) {
    // PM2's default: <PM2_HOME>/logs/<name>-out.log (vigil uses the same default for apps it starts).
    this.file = path.join(pm2Home, 'logs', `${app}-out.log`);
  }

  newLines(): string[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const end = text.lastIndexOf('\n') + 1; // a half-written last line waits for the next call
    const fresh = text.slice(this.offset, end);
    this.offset = Math.max(this.offset, end);
    return fresh.split('\n').filter((l) => l.trim() !== '');
  }
}
