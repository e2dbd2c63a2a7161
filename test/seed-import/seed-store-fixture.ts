// Seed SQLite stores for the import specs, written with sql.js in the exact schema the seed
// creates at start-up (../shared/seed/SQLITE.md), and what importing the standard one must give.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { Pool } from 'pg';

export const SEED_SCHEMA = `
CREATE TABLE IF NOT EXISTS cap_agents (
  agent_id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cap_budgets (
  agent_id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, hard_limit_cents INTEGER NOT NULL,
  remaining_cents INTEGER NOT NULL, locked_run_id TEXT, locked_cents INTEGER NOT NULL DEFAULT 0, locked_expires_at TEXT);
CREATE TABLE IF NOT EXISTS cap_usage_ledger (
  id TEXT PRIMARY KEY, organization_id TEXT, agent_id TEXT, run_id TEXT, provider TEXT NOT NULL, model TEXT NOT NULL,
  input_tokens INTEGER, output_tokens INTEGER, wcec_cents INTEGER NOT NULL, realized_cents INTEGER NOT NULL,
  termination_reason TEXT, meta_json TEXT, created_at TEXT NOT NULL);`;

export interface SeedAgentRow {
  agent_id: string;
  name: string | null;
  created_at: string;
}
export interface SeedBudgetRow {
  agent_id: string;
  hard_limit_cents: unknown;
  remaining_cents: unknown;
  locked_run_id?: string | null;
  locked_cents?: unknown;
  locked_expires_at?: string | null;
}
export interface SeedLedgerRow {
  id: string;
  agent_id: string | null;
  run_id: string | null;
  provider: string;
  model: string;
  input_tokens: unknown;
  output_tokens: unknown;
  wcec_cents: unknown;
  realized_cents: unknown;
  termination_reason: string | null;
  meta_json: string | null;
  created_at: string;
}
export interface SeedStoreRows {
  agents: SeedAgentRow[];
  budgets: SeedBudgetRow[];
  ledger: SeedLedgerRow[];
}

/** Writes a seed store file with these rows (and any extra SQL after them); returns its path. */
export async function writeSeedStore(rows: SeedStoreRows, extraSql = ''): Promise<string> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(SEED_SCHEMA);
  for (const a of rows.agents) db.run('INSERT INTO cap_agents VALUES (?, ?, ?, ?)', [a.agent_id, 'local', a.name, a.created_at] as never);
  for (const b of rows.budgets) {
    db.run('INSERT INTO cap_budgets VALUES (?, ?, ?, ?, ?, ?, ?)', [
      b.agent_id, 'local', b.hard_limit_cents, b.remaining_cents, b.locked_run_id ?? null, b.locked_cents ?? 0, b.locked_expires_at ?? null,
    ] as never);
  }
  for (const l of rows.ledger) {
    db.run('INSERT INTO cap_usage_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      l.id, 'local', l.agent_id, l.run_id, l.provider, l.model, l.input_tokens, l.output_tokens, l.wcec_cents, l.realized_cents,
      l.termination_reason, l.meta_json, l.created_at,
    ] as never);
  }
  if (extraSql) db.run(extraSql);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'sg-seed-store-')), 'cynsta-spendguard.db');
  writeFileSync(file, db.export());
  db.close();
  return file;
}

/** Text that must never reach our database unless prompt capture is on. */
export const PROMPTS = ['PROMPT-ALPHA: draft the quarterly plan', 'COMPLETION-ALPHA: here is the plan', 'PROMPT-BRAVO: summarise the incident', 'PROMPT-DELTA: hello there'];

const meta = (prompt: string, completion: string | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], max_tokens: 256, stream: false },
    response: completion === null ? null : { choices: [{ message: { role: 'assistant', content: completion } }], usage: { prompt_tokens: 11, completion_tokens: 7 } },
    latency_ms: 640,
    ...extra,
  });

/** The standard store: every case SQLITE.md describes, with the figures importing it must give. */
export function standardStore() {
  const alpha = randomUUID();
  const bravo = randomUUID();
  const charlie = randomUUID();
  const delta = randomUUID(); // a budget row with no cap_agents row
  const rows: SeedStoreRows = {
    agents: [
      { agent_id: alpha, name: 'research-bot', created_at: '2026-01-05T09:00:00.123456+00:00' },
      { agent_id: bravo, name: 'support-bot', created_at: '2026-01-06T10:00:00.000001+00:00' },
      { agent_id: charlie, name: null, created_at: '2026-01-07T11:00:00+00:00' },
    ],
    budgets: [
      { agent_id: alpha, hard_limit_cents: 5000, remaining_cents: 4943 },
      // A lock of a seed process that died mid-call: imported as released.
      { agent_id: bravo, hard_limit_cents: 1000, remaining_cents: 700, locked_run_id: 'run-of-a-dead-process', locked_cents: 25, locked_expires_at: '1767700000' },
      { agent_id: delta, hard_limit_cents: 300, remaining_cents: 297 },
    ],
    ledger: [
      { id: randomUUID(), agent_id: alpha, run_id: 'run-a1', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, output_tokens: 300, wcec_cents: 50, realized_cents: 12, termination_reason: null, meta_json: meta(PROMPTS[0], PROMPTS[1]), created_at: '2026-01-05T09:01:00.500000+00:00' },
      { id: randomUUID(), agent_id: alpha, run_id: 'run-a1', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 900, output_tokens: null, wcec_cents: 40, realized_cents: 0, termination_reason: 'provider_error', meta_json: meta(PROMPTS[0], null, { error: 'upstream 500: PROMPT-ALPHA echoed' }), created_at: '2026-01-05T09:02:00+00:00' },
      // Cost above the worst case the seed reserved: an overrun.
      { id: randomUUID(), agent_id: alpha, run_id: 'run a2 with spaces', provider: 'anthropic', model: 'claude-3-5-haiku', input_tokens: 3000, output_tokens: 2000, wcec_cents: 30, realized_cents: 45, termination_reason: null, meta_json: meta(PROMPTS[2], 'INCIDENT: resolved'), created_at: '2026-01-05T09:03:00+00:00' },
      // A worst case the seed rounded to 0 cents, and no run id.
      { id: randomUUID(), agent_id: bravo, run_id: null, provider: 'gemini', model: 'gemini-2.5-flash', input_tokens: 10, output_tokens: 5, wcec_cents: 0, realized_cents: 0, termination_reason: null, meta_json: null, created_at: '2026-01-06T10:05:00+00:00' },
      { id: randomUUID(), agent_id: delta, run_id: 'run-d1', provider: 'openai', model: 'gpt-4o', input_tokens: 100, output_tokens: 100, wcec_cents: 5, realized_cents: 3, termination_reason: null, meta_json: meta(PROMPTS[3], 'general kenobi'), created_at: '2026-01-08T08:00:00+00:00' },
    ],
  };
  return {
    rows,
    ids: { alpha, bravo, charlie, delta },
    /** GET …/budget of each imported agent that has one. */
    budgets: {
      [alpha]: { hard_limit_cents: 5000, remaining_cents: 4943, spent_cents: 57, reserved_cents: 0, in_flight: 0, locked_run_id: null, locked_cents: 0 },
      [bravo]: { hard_limit_cents: 1000, remaining_cents: 700, spent_cents: 0, reserved_cents: 0, in_flight: 0, locked_run_id: null, locked_cents: 0 },
      [delta]: { hard_limit_cents: 300, remaining_cents: 297, spent_cents: 3, reserved_cents: 0, in_flight: 0, locked_run_id: null, locked_cents: 0 },
    },
    counts: { agents_imported: 4, agents_skipped: 0, budgets_imported: 3, calls_imported: 5, locks_released: 1 },
  };
}

/** A digest of every row of the tables an import writes: equal digests, nothing changed. */
export async function storeDigest(pool: Pool): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, order] of [
    ['agents', 'tenant_id, id'],
    ['budgets', 'tenant_id, agent_id'],
    ['runs', 'tenant_id, agent_id, id'],
    ['reservations', 'id'],
    ['ledger_entries', 'seq'],
  ]) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${order}), '')) AS h FROM ${table} t`);
    out[table] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

/** Every row of every table of our database as text, for searching what must never be there. */
export async function dumpAllTables(pool: Pool): Promise<string> {
  const { rows: tables } = await pool.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  expect(tables.length).toBeGreaterThan(5);
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const { rows } = await pool.query(`SELECT t::text AS row FROM "${tablename}" t`);
    parts.push(...rows.map((r) => `${tablename}: ${r.row}`));
  }
  return parts.join('\n');
}
