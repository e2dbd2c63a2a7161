// Load generators for `npm run bench` (scripts/bench.ts):
//   runPaced()      open loop at a fixed rate, requests evenly spaced (every 1000/rate ms);
//   runSaturation() closed loop, N connections as fast as the server answers (autocannon).
// Both time every request themselves with performance.now() (sub-millisecond; autocannon's own
// histogram keeps whole milliseconds) and keep every latency, so percentiles are exact.
//
// Why not autocannon's `overallRate` for the fixed rate: autocannon gives each connection a quota
// per second and lets it fire the quota back to back at the top of each second, so "200 req/s"
// is a burst of 200 requests then silence: the latency it measures is that of the burst.
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Gives one request; `done` is called when its answer has ended (or failed). */
export type NextRequest = () => { req: LoadRequest; done?: () => void };

export interface LoadResult {
  /** Completed requests that were measured (2xx and not). */
  count: number;
  /** Requests sent, the unmeasured warm-up of a paced run included. */
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCounts: Record<string, number>;
  /** Up to 5 bodies of non-2xx answers or error messages. */
  samples: string[];
  durationS: number;
  /** 2xx answers per second over the measured window. */
  rps: number;
  /** 2xx latencies in ms, sorted. */
  latencies: Float64Array;
  /** Paced runs: the slowest 1% of requests, as [seconds into the run, latency ms], by time. */
  slowest?: [number, number][];
  /** Paced runs: how late the generator sent requests (ms, p99 and max): its own health. */
  sendLagP99Ms?: number;
  sendLagMaxMs?: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(sorted: Float64Array): Percentiles {
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

class Recorder {
  private values = new Float64Array(1 << 14);
  private n = 0;
  ok = 0;
  non2xx = 0;
  errors = 0;
  statusCounts: Record<string, number> = {};
  samples: string[] = [];

  latency(ms: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
  }

  status(code: number, body?: () => string): void {
    this.statusCounts[code] = (this.statusCounts[code] ?? 0) + 1;
    if (code >= 200 && code < 300) this.ok++;
    else {
      this.non2xx++;
      if (this.samples.length < 5 && body) this.samples.push(`${code} ${body().slice(0, 300)}`);
    }
  }

  error(message: string): void {
    this.errors++;
    if (this.samples.length < 5) this.samples.push(`error: ${message}`);
  }

  result(durationS: number, extra: Partial<LoadResult> = {}): LoadResult {
    const latencies = this.values.slice(0, this.n).sort();
    return {
      count: this.ok + this.non2xx,
      sent: this.ok + this.non2xx + this.errors,
      ok: this.ok,
      non2xx: this.non2xx,
      errors: this.errors,
      statusCounts: this.statusCounts,
      samples: this.samples,
      durationS,
      rps: this.ok / durationS,
      latencies,
      ...extra,
    };
  }
}

export interface PacedOptions {
  origin: string;
  rate: number;
  durationS: number;
  /** Sent at the same rate first and not measured (connections, JIT, caches). */
  warmupS: number;
  next: NextRequest;
}

/** Open loop: request i leaves at start + i/rate whatever the answers do; latency per request. */
export async function runPaced(o: PacedOptions): Promise<LoadResult> {
  const url = new URL(o.origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const rec = new Recorder();
  const lags: number[] = [];
  const timeline: [number, number][] = [];
  let measuredStart = 0;
  let inFlight = 0;
  let sentTotal = 0;
  let drained: (() => void) | undefined;

  const fire = (measure: boolean) => {
    const { req, done } = o.next();
    inFlight++;
    sentTotal++;
    const t0 = performance.now();
    const finish = () => {
      inFlight--;
      done?.();
      if (inFlight === 0) drained?.();
    };
    const r = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: req.path,
        agent,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (!ok) parts.push(c);
        });
        res.on('end', () => {
          const ms = performance.now() - t0;
          if (measure) {
            if (ok) {
              rec.latency(ms);
              timeline.push([(t0 - measuredStart) / 1000, ms]);
            }
            rec.status(status, () => Buffer.concat(parts).toString('utf8'));
          }
          finish();
        });
        res.on('error', (err) => {
          if (measure) rec.error(err.message);
          finish();
        });
      },
    );
    r.on('error', (err) => {
      if (measure) rec.error(err.message);
      finish();
    });
    r.end(req.body);
  };

  const phase = (seconds: number, measure: boolean) =>
    new Promise<number>((resolve) => {
      const total = Math.round(seconds * o.rate);
      const interval = 1000 / o.rate;
      const start = performance.now();
      let sent = 0;
      const tick = () => {
        const now = performance.now();
        while (sent < total && start + sent * interval <= now) {
          if (measure) lags.push(now - (start + sent * interval));
          fire(measure);
          sent++;
        }
        if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
        else resolve(performance.now() - start);
      };
      tick();
    });

  if (o.warmupS > 0) await phase(o.warmupS, false);
  measuredStart = performance.now();
  const elapsed = await phase(o.durationS, true);
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drained = resolve;
      setTimeout(resolve, 30_000).unref();
    });
  }
  agent.destroy();
  lags.sort((a, b) => a - b);
  const slowest = [...timeline].sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(timeline.length / 100)).sort((a, b) => a[0] - b[0]);
  return rec.result(elapsed / 1000, {
    sent: sentTotal,
    slowest,
    sendLagP99Ms: lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.99) - 1)],
    sendLagMaxMs: lags[lags.length - 1],
  });
}

// autocannon ships no types; the part of its API used here.
interface AcRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
interface AcInstance {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', fn: (err: Error) => void): void;
  stop(): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: AcResult) => void) => AcInstance;
const autocannon = require('autocannon') as Autocannon;

export interface SaturationOptions {
  origin: string;
  connections: number;
  durationS: number;
  req: LoadRequest;
  /**
   * Exclusive agents: each request takes an agent id from this pool (first in, first out) for
   * its `x-cynsta-agent-id` and gives it back when answered, so no agent ever has two calls.
   */
  agentPool?: string[];
}

/** Closed loop with autocannon: `connections` requests always in flight. */
export function runSaturation(o: SaturationOptions): Promise<LoadResult> {
  const rec = new Recorder();
  const pool = o.agentPool;
  const request: AcRequest = { method: 'POST', path: o.req.path, headers: o.req.headers, body: o.req.body };
  if (pool) {
    if (pool.length < o.connections) throw new Error(`the agent pool (${pool.length}) is smaller than the connections (${o.connections})`);
    request.setupRequest = (req, context) => {
      const agent = pool.shift()!;
      context.agent = agent;
      return { ...req, headers: { ...req.headers, 'x-cynsta-agent-id': agent } };
    };
  }
  request.onResponse = (status, body, context) => {
    rec.status(status, () => body);
    if (pool && typeof context.agent === 'string') {
      pool.push(context.agent);
      context.agent = undefined;
    }
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      { url: o.origin, connections: o.connections, duration: o.durationS, requests: [request], timeout: 30 },
      (err, result) => {
        if (err) return reject(err);
        const elapsed = (performance.now() - started) / 1000;
        rec.errors += result.errors + result.timeouts;
        resolve(rec.result(Math.min(elapsed, result.duration || elapsed)));
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) rec.latency(ms);
    });
    instance.on('reqError', (err) => {
      if (rec.samples.length < 5) rec.samples.push(`error: ${err.message}`);
    });
  });
}
