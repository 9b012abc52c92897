// Load generator for bench/queues-poll.ts, run in its own process so the scrapers' CPU is not charged to
// the server's event loop: `node --import tsx bench/scrape-load.ts URL CONCURRENCY REQUESTS_EACH` prints
// {"latencies":[ms...],"wallMs":n} on stdout.
const [url, concurrency, each] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const latencies: number[] = [];
const start = performance.now();
Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < each; i++) {
      const t = performance.now();
      const res = await fetch(url);
      await res.text();
      if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
      latencies.push(performance.now() - t);
    }
  }),
).then(
  () => process.stdout.write(JSON.stringify({ latencies, wallMs: performance.now() - start })),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
