// Prometheus metrics of SPEC §9: requests, latencies, open reservations, spend, 402/409 counts,
// overruns, upstream errors. One registry per app instance so tests never share counters.
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PG_POOL } from '../database/prisma.service';

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'spendguard_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'spendguard_http_request_duration_seconds',
    help: 'Time to answer, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly denials = new Counter({
    name: 'spendguard_denials_total',
    help: 'Metered calls refused before going upstream: insufficient_budget (402) or agent_locked (409)',
    labelNames: ['code'],
    registers: [this.registry],
  });

  readonly overruns = new Counter({
    name: 'spendguard_overruns_total',
    help: 'Settles whose real cost exceeded the hold (charged in full as overrun entries)',
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'spendguard_upstream_errors_total',
    help: 'Upstream calls that failed: network error, timeout or 5xx',
    labelNames: ['provider', 'kind'],
    registers: [this.registry],
  });

  readonly spentMicrocents = new Counter({
    name: 'spendguard_spent_microcents_total',
    help: 'Microcents charged by settles and expiries on this instance',
    registers: [this.registry],
  });

  constructor(@Inject(PG_POOL) pool: Pool) {
    // prom-client's own names already start with `process_` or `nodejs_`: our prefix goes in front
    // of them once (spendguard_process_cpu_seconds_total, spendguard_nodejs_heap_size_used_bytes).
    collectDefaultMetrics({ register: this.registry, prefix: 'spendguard_' });
    new Gauge({
      name: 'spendguard_reservations_open',
      help: 'Open reservations (holds of in-flight calls), across all instances',
      registers: [this.registry],
      async collect() {
        try {
          const { rows } = await pool.query("SELECT count(*)::int AS n FROM reservations WHERE status = 'open'");
          this.set(rows[0].n);
        } catch {
          // The database being down shows in /health/ready; keep the last value here.
        }
      },
    });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }
}
