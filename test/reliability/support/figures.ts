// Where each reliability scenario leaves its figures: printed, and written as JSON to
// $SG_RELIABILITY_OUT (default: <tmp>/spendguard-reliability/<scenario>.json), which
// docs/reliability.md quotes.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const FIGURES_DIR = process.env.SG_RELIABILITY_OUT ?? path.join(tmpdir(), 'spendguard-reliability');

export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const file = path.join(FIGURES_DIR, `${scenario}.json`);
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first figures of this scenario
  }
  const merged = { ...previous, ...figures, recorded_at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(merged, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  process.stdout.write(`\n[reliability] ${scenario}: ${JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or the deadline passes; returns it and the time taken. */
export async function waitFor<T>(probe: () => Promise<T>, timeoutMs: number, everyMs = 100): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if (value) return { value, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
