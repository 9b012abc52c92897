/** Reads a PM2 ecosystem file: the apps vigil expects, with their instance counts and definitions. */
import os from 'node:os';
import path from 'node:path';
import { errorText } from '../util/deadline';

export interface EcosystemApp {
  name: string;
  instances: number;
  /** The app's definition as written, for the watchdog to start it from. Holds env: never log it. */
  definition: Readonly<Record<string, unknown>>;
}

/** PM2's rules: 0 or "max" is one per CPU, -1 is one less than that, a number is that many. */
export function instanceCount(raw: unknown): number | null {
  const cpus = os.availableParallelism();
  if (raw === undefined || raw === null) return 1;
  if (raw === 'max' || raw === 0 || raw === '0') return cpus;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n)) return null;
  if (n < 0) return Math.max(1, cpus + n);
  return n;
}

export function loadEcosystem(file: string): { apps: EcosystemApp[]; problems: string[] } {
  let exported: unknown;
  try {
    const resolved = require.resolve(path.resolve(file));
    delete require.cache[resolved];
    exported = require(resolved);
  } catch (err) {
    return { apps: [], problems: [`cannot load ${file}: ${errorText(err)}`] };
  }
  const list = Array.isArray(exported) ? exported : (exported as { apps?: unknown } | null)?.apps;
  if (!Array.isArray(list)) return { apps: [], problems: [`${file} exports no "apps" list`] };

  const apps: EcosystemApp[] = [];
  const problems: string[] = [];
  list.forEach((entry: unknown, i) => {
    const def = entry as Record<string, unknown> | null;
    const name = def?.name;
    if (typeof name !== 'string' || name === '') {
      problems.push(`apps[${i}] in ${file} has no name`);
      return;
    }
    const instances = instanceCount(def!.instances);
    if (instances === null) {
      problems.push(`app ${name} in ${file}: invalid instances ${JSON.stringify(def!.instances)}`);
      return;
    }
    apps.push({ name, instances, definition: Object.freeze({ ...def! }) });
  });
  return { apps, problems };
}
