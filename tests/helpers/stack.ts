// The one test-stack entry point for tests, benchmarks and the demo: PRIVATE Redis, Postgres and
// PM2 instances on free loopback ports / temp dirs. Never the machine's own Redis (6379), Postgres
// (5432) or ~/.pm2.
//
// Usage in a test file (services are slow-ish to start: one per file, shared by its tests):
//
//   import { before, after, test } from 'node:test';
//   import { startRedis, startPostgres, startPm2, fixtureApp } from './helpers/stack';
//   let redis: PrivateRedis, pgc: PrivatePostgres;
//   before(async () => { redis = await startRedis(); pgc = await startPostgres(); });
//   after(async () => { await redis.stop(); await pgc.destroy(); });
//   test('...', async () => { const url = await pgc.createDatabase(); ... });  // one DB per test
//
// - A missing binary throws at once, naming the Debian package (`apt-get install ...`): no skip.
// - Everything started is killed on process exit even if a test fails or forgets to stop it, and
//   dirs left by a SIGKILLed test process are reaped the next time a stack starts.
// - Every wait has a timeout.
// Measured on the 2-core dev box: redis ~0.1 s, postgres initdb+start ~1.5-2 s (restart ~0.3 s),
// pm2 daemon ~1 s, a pm2 CLI call ~0.4-0.6 s (node startup; prefer jlist over many CLI calls).
export { freePort } from './proc';
export { startRedis, type PrivateRedis, type StartRedisOptions } from './redis';
export { startPostgres, type PrivatePostgres } from './postgres';
export { startPm2, fixtureApp, FIXTURE_APPS, type PrivatePm2, type Pm2AppSpec } from './pm2';
export { strayPids } from './cleanup';
