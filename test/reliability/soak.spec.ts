// A bounded soak: two instances under steady mixed load (parallel and exclusive agents, whole
// answers and streams, admin reads) for SG_SOAK_SECONDS (default 120), sampling each instance's
// resident memory and V8 heap (from /proc and its own /metrics) and the open reservations every
// few seconds. Memory must not grow from the first third of the run to the last, open holds must
// stay bounded by the load's concurrency, and at the end nothing is open and the ledger is exact.
import { readFileSync } from 'node:fs';
import { brokenInvariants, chatBody, Cluster, OPERATOR_KEY, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep } from './support/figures';
import { plainClient } from './support/plain-http';

const SECONDS = Number(process.env.SG_SOAK_SECONDS ?? 120);
const WORKERS = 6;
const SAMPLE_EVERY_MS = 5_000;
const REQUEST_TIMEOUT_MS = 15_000;
const HEAP_LIMIT_MB = 128;
let c: Cluster;
beforeAll(async () => {
  // A bounded old space makes V8 collect regularly, so a sample shows live memory rather than
  // garbage not yet collected, and a leak would run out of heap within the run.
  c = await startCluster({ instances: 2, env: { CAP_LOG_LEVEL: 'warn', NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}` } });
}, 120_000);
afterAll(() => c?.close());

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.replace(/\D/g, '')) * 1024;
}

async function heapUsedBytes(i: number): Promise<number> {
  const res = await c.instances[i].http.get('/metrics', { headers: { 'x-api-key': OPERATOR_KEY } });
  const m = /^spendguard_nodejs_heap_size_used_bytes\s+(\S+)/m.exec(res.text);
  return m ? Number(m[1]) : NaN;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;

it(`holds steady for ${SECONDS} s of mixed load: no memory growth, open holds bounded, nothing left open`, async () => {
  const parallel = await c.agent(100_000, 'parallel', 'soak-parallel');
  const exclusive = await c.agent(100_000, 'exclusive', 'soak-exclusive');
  c.fake.setBehavior({ usage: { input: 5, output: 10 }, latencyMs: 10, chunkDelayMs: 2 });
  const statuses: Record<string, number> = {};
  const latencies: number[][] = [];
  let window: number[] = [];
  let stop = false;
  const stuck: Promise<Record<string, unknown>>[] = [];
  const runStarted = Date.now();
  const as = (agent: string) => ({ 'x-cynsta-agent-id': agent });
  const clients = c.instances.map((i) => plainClient(i.url, { 'x-api-key': c.tenantKey }));
  const worker = async (w: number) => {
    for (let n = 0; !stop; n++) {
      const client = clients[(w + n) % 2];
      const started = Date.now();
      const kind = n % 4;
      const call =
        kind === 0
          ? client.post('/v1/chat/completions', chatBody(parallel), as(parallel))
          : kind === 1
            ? client.post('/v1/chat/completions', chatBody(parallel, { stream: true }), as(parallel))
            : kind === 2
              ? client.post('/v1/chat/completions', chatBody(exclusive), as(exclusive))
              : client.get(`/v1/agents/${parallel}/budget`);
      const settled = call.then((r) => r.status, (err: Error) => `error ${(err as NodeJS.ErrnoException).code ?? err.message}`);
      // A request that never ends would be a bug: count it rather than hang the run.
      const res = { status: await Promise.race([settled, sleep(REQUEST_TIMEOUT_MS).then(() => 'no answer')]) };
      if (res.status === 'no answer') {
        const instance = (w + n) % 2;
        stuck.push(
          settled.then((status) => ({ instance, kind, at_s: Math.round((started - runStarted) / 1000), status, after_ms: Date.now() - started })),
        );
      }
      window.push(Date.now() - started);
      const key = `${['parallel', 'parallel stream', 'exclusive', 'admin read'][kind]} ${res.status}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  const samples: { t: number; rssMb: number[]; heapMb: number[]; open: number; p50: number; p99: number; calls: number }[] = [];
  const started = Date.now();
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  while (Date.now() - started < SECONDS * 1000) {
    await sleep(SAMPLE_EVERY_MS);
    const done = window;
    window = [];
    latencies.push(done);
    const sample = {
      t: Math.round((Date.now() - started) / 1000),
      rssMb: c.instances.map((i) => mb(rssBytes(i.process.pid!))),
      heapMb: await Promise.all(c.instances.map(async (_i, k) => mb(await heapUsedBytes(k)))),
      open: await openReservations(c.pool),
      p50: percentile(done, 50),
      p99: percentile(done, 99),
      calls: done.length,
    };
    samples.push(sample);
    if (process.env.SG_DEBUG) process.stdout.write(`[soak] ${JSON.stringify(sample)}\n`);
  }
  stop = true;
  await Promise.all(workers);
  for (const client of clients) client.close();
  const openAfter = await openReservations(c.pool);
  const unanswered = await Promise.all(stuck.map((p) => Promise.race([p, sleep(60_000).then(() => ({ still: 'no answer after 75 s' }))])));

  // Growth: the last third of the run against the first third (the first sample is warm-up).
  const third = Math.max(1, Math.floor((samples.length - 1) / 3));
  const early = samples.slice(1, 1 + third);
  const late = samples.slice(-third);
  const median = (xs: number[]) => percentile(xs, 50);
  const growth = c.instances.map((i, k) => ({
    alive: i.process.exitCode === null,
    rss_early_median_mb: median(early.map((s) => s.rssMb[k])),
    rss_late_median_mb: median(late.map((s) => s.rssMb[k])),
    heap_early_median_mb: median(early.map((s) => s.heapMb[k])),
    heap_late_median_mb: median(late.map((s) => s.heapMb[k])),
    heap_max_mb: Math.max(...samples.map((s) => s.heapMb[k])),
  }));
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  recordFigures('soak', {
    seconds: SECONDS,
    instances: 2,
    heap_limit_mb: HEAP_LIMIT_MB,
    concurrent_clients: WORKERS,
    requests: total,
    requests_per_second: Math.round(total / SECONDS),
    statuses,
    max_open_reservations_sampled: Math.max(...samples.map((s) => s.open)),
    open_reservations_after: openAfter,
    unanswered_requests: unanswered,
    memory: growth,
    samples,
  });

  expect(Object.keys(statuses).every((k) => /^(parallel|parallel stream|admin read) 200$|^exclusive (200|409)$/.test(k))).toBe(true);
  for (const g of growth) {
    expect(g.alive).toBe(true);
    expect(g.rss_late_median_mb).toBeLessThanOrEqual(g.rss_early_median_mb * 1.2 + 10);
    expect(g.heap_late_median_mb).toBeLessThanOrEqual(g.heap_early_median_mb * 1.2 + 10);
  }
  expect(Math.max(...samples.map((s) => s.open))).toBeLessThanOrEqual(WORKERS);
  expect(openAfter).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
}, (SECONDS + 150) * 1000);
