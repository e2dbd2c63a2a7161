// What the service's Postgres backends wait on while a benchmark run goes on (scripts/bench.ts):
// pg_stat_activity sampled every few milliseconds.
import type { Client } from 'pg';

export interface WaitSummary {
  /** Samples taken. */
  samples: number;
  /** Average backends of the database running a statement. */
  avgActive: number;
  /** Average connections open to the database. */
  avgConnections: number;
  /** Share of active-backend samples per wait ("CPU" when not waiting), largest first. */
  waits: { event: string; pct: number }[];
}

/** Samples pg_stat_activity of `db` until stopped. */
export function sampleWaits(pg: Client, db: string, everyMs = 20): { stop(): Promise<WaitSummary> } {
  const counts = new Map<string, number>();
  let samples = 0;
  let active = 0;
  let connections = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await pg.query(
        `SELECT state, wait_event_type, wait_event FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
        [db],
      );
      samples++;
      connections += rows.length;
      for (const r of rows) {
        if (r.state !== 'active') continue;
        active++;
        const key = r.wait_event_type ? `${r.wait_event_type}:${r.wait_event}` : 'CPU';
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.catch(() => undefined);
      return {
        samples,
        avgActive: samples ? active / samples : 0,
        avgConnections: samples ? connections / samples : 0,
        waits: [...counts.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([event, n]) => ({ event, pct: active ? (100 * n) / active : 0 })),
      };
    },
  };
}

export function formatWaits(w: WaitSummary, top = 4): string {
  if (!w.samples) return 'no samples';
  const waits = w.waits.slice(0, top).map((x) => `${x.event} ${Math.round(x.pct)}%`);
  return `${w.avgActive.toFixed(1)} of ${w.avgConnections.toFixed(0)} backends active on average${waits.length ? ` (${waits.join(', ')})` : ''}`;
}
