/**
 * Issue 2 benchmark: vigil watching 50 PM2 processes on a private daemon.
 * Measures the PM2 poll duration (in-process, 200 polls), /metrics latency under 20 concurrent scrapers
 * against a real `vigil start` child process, and that child's RSS before and after the load.
 *
 *   node --import tsx bench/pm2-50.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/log';
import { Poller } from '../src/poller';
import { pm2Source } from '../src/sources/pm2';
import { spawnVigil } from '../tests/helpers/cli';
import { testConfig } from '../tests/helpers/runtime';
import { fixtureApp, freePort, startPm2 } from '../tests/helpers/stack';
import { percentile, rssMiB, scrapeLoad } from './scrape-load';

const APPS = 10;
const INSTANCES = 5;

async function main() {
  const pm2 = await startPm2();
  try {
    const apps = Array.from({ length: APPS }, (_, i) => ({ name: `app-${i}`, script: fixtureApp('idle'), instances: INSTANCES, exec_mode: 'fork' }));
    await pm2.startApp(...apps);
    const listed = (await pm2.jlist()).length;
    process.env.PM2_HOME = pm2.home;

    // Poll duration, in-process: the same source and poller the daemon runs.
    const expected = Object.fromEntries(apps.map((a) => [a.name, { instances: INSTANCES }]));
    const config = testConfig({ pm2: { home: pm2.home, apps: expected }, redis: { url: '' } });
    const logger = createLogger({ level: 'silent', secrets: [] });
    const source = pm2Source(config);
    const poller = new Poller([source], { intervalMs: 5000, timeoutMs: 3000, logger, scrub: (t) => t });
    await poller.pollOnce();
    const durations: number[] = [];
    for (let i = 0; i < 200; i++) durations.push((await poller.pollOnce()).sources.pm2!.durationMs);
    await source.close();
    durations.sort((a, b) => a - b);

    // /metrics under load, against a real daemon process.
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(pm2.dir, 'bench-'));
    const file = path.join(dir, 'vigil.yml');
    fs.writeFileSync(file, `listen: { port: ${port} }\nredis: { url: "" }\npm2:\n  home: ${pm2.home}\n  apps:\n${apps.map((a) => `    ${a.name}: { instances: ${INSTANCES} }`).join('\n')}\n`);
    const child = spawnVigil(['start', '--config', file]);
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`${url}/health`).then((r) => r.status === 200).catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const rssBefore = rssMiB(child.pid!);
    const series = (await (await fetch(`${url}/metrics`)).text()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    await scrapeLoad(`${url}/metrics`, 20, 500); // warm-up
    const { latencies: _all, ...load } = await scrapeLoad(`${url}/metrics`, 20, 10_000);
    const rssAfter = rssMiB(child.pid!);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));

    const result = {
      machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}`,
      pm2Processes: listed,
      pollMs: { p50: percentile(durations, 50), p99: percentile(durations, 99), max: durations.at(-1) },
      metrics: { series, ...load },
      rssMiB: { afterStart: Math.round(rssBefore), after10kScrapes: Math.round(rssAfter) },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await pm2.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
