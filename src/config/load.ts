/**
 * Loads the config: file (or the embedded default) → YAML → env interpolation → strict schema →
 * resolved paths, expected apps, merged queue rules → a deeply frozen Config. Every problem is collected
 * and returned with its path; nothing here throws for bad input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadEcosystem } from './ecosystem';
import { interpolate } from './interpolate';
import { formatIssues, pathText } from './issues';
import { configSchema, type ParsedConfig } from './schema';
import { collectSecrets } from './secrets';
import type { Config, ExpectedApp, ListedQueue } from './types';
import { deepFreeze } from '../util/freeze';

export type LoadResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export interface LoadOptions {
  /** `--config PATH`; else `$VIGIL_CONFIG`; else `./vigil.yml` when it exists; else the embedded default. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function loadConfig(options: LoadOptions = {}): LoadResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const chosen = options.file ?? (env.VIGIL_CONFIG || undefined);
  const file = chosen ? path.resolve(cwd, chosen) : path.resolve(cwd, 'vigil.yml');

  let raw: unknown = {};
  let source: string | null = null;
  if (fs.existsSync(file)) {
    source = file;
    const read = readYaml(file);
    if (!read.ok) return read;
    raw = read.value ?? {};
  } else if (chosen) {
    return { ok: false, problems: [`${chosen}: file not found`] };
  }
  return buildConfig(raw, { env, baseDir: source ? path.dirname(source) : cwd, file: source });
}

/** Validates an already parsed document; exported for tests and for `vigil validate` on text. */
export function buildConfig(raw: unknown, ctx: { env: NodeJS.ProcessEnv; baseDir: string; file: string | null }): LoadResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: ['(root): expected a mapping of config keys'] };
  }
  const expanded = interpolate(raw, ctx.env);
  const problems = expanded.problems.map((p) => `${pathText(p.path)}: ${p.message}`);
  const parsed = configSchema(ctx.env).safeParse(expanded.value);
  if (!parsed.success) problems.push(...formatIssues(parsed.error.issues, expanded.value));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };

  const data = parsed.data;
  const expected = expectedApps(data, ctx.baseDir, problems);
  if (problems.length > 0) return { ok: false, problems };

  const config: Config = {
    ...data,
    file: ctx.file,
    stateFile: path.resolve(ctx.baseDir, data.stateFile),
    // The ecosystem path is resolved like stateFile: the watchdog starts apps relative to its directory.
    pm2: { ...data.pm2, home: expandHome(data.pm2.home), ecosystem: data.pm2.ecosystem && path.resolve(ctx.baseDir, data.pm2.ecosystem), expected },
    queues: { ...data.queues, list: listedQueues(data) },
    secrets: collectSecrets(data),
  };
  return { ok: true, config: deepFreeze(config) };
}

function readYaml(file: string): { ok: true; value: unknown } | { ok: false; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        // prettyErrors appends " at line L, column C:" and a code excerpt; the position goes in front instead.
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `${path.basename(file)}${pos ? `:${pos.line}:${pos.col}` : ''}: ${message}`;
      }),
    };
  }
  return { ok: true, value: doc.toJS() };
}

function expectedApps(data: ParsedConfig, baseDir: string, problems: string[]): Record<string, ExpectedApp> {
  const apps: Record<string, ExpectedApp> = {};
  if (data.pm2.ecosystem) {
    const eco = loadEcosystem(path.resolve(baseDir, data.pm2.ecosystem));
    problems.push(...eco.problems.map((p) => `pm2.ecosystem: ${p}`));
    for (const app of eco.apps) {
      apps[app.name] = { name: app.name, instances: app.instances, restart: false, memoryLimit: null, definition: app.definition };
    }
  }
  for (const [name, over] of Object.entries(data.pm2.apps)) {
    const base = apps[name];
    apps[name] = {
      name,
      instances: over.instances ?? base?.instances ?? 1,
      restart: over.restart,
      memoryLimit: over.memoryLimit ?? null,
      definition: base?.definition ?? null,
    };
  }
  return apps;
}

function listedQueues(data: ParsedConfig): Record<string, ListedQueue> {
  const d = data.queues.defaults;
  const out: Record<string, ListedQueue> = {};
  for (const [name, q] of Object.entries(data.queues.list)) {
    out[name] = {
      consumer: q.consumer ?? null,
      noConsumer: { ...d.noConsumer, ...defined(q.noConsumer) },
      backlog: { ...d.backlog, ...defined(q.backlog) },
      oldestWaiting: { ...d.oldestWaiting, ...defined(q.oldestWaiting) },
      failureRate: { ...d.failureRate, ...defined(q.failureRate) },
    };
  }
  return out;
}

/** Drops keys whose value is undefined, so they do not overwrite defaults in a spread. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : path.resolve(p);
}
