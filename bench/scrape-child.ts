// The scrape load in a process of its own, so the scrapers' CPU is not charged to the server's event loop:
// `node --import tsx bench/scrape-child.ts URL CONCURRENCY REQUESTS_EACH` prints {"latencies":[ms...],"wallMs":n}.
import { scrapeLoad } from './scrape-load';

const [url, concurrency, each] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
scrapeLoad(url, concurrency, concurrency * each).then(
  (r) => {
    if (r.errors > 0) throw new Error(`${r.errors} scrapes failed`);
    process.stdout.write(JSON.stringify({ latencies: r.latencies, wallMs: r.seconds * 1000 }));
  },
).catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
