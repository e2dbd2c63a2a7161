// Assertions shared by the admin-API robustness and OpenAPI conformance specs: the SPEC §8 error
// body, and a fingerprint of every ledger table to prove a refused request changed nothing.
import { Pool } from 'pg';
import { SEED_VALIDATION_DETAILS } from '../../src/common/errors/seed-details';
import { TestResponse } from './test-app';

/** The tables a request could write to (SPEC §3, §5); a refused request must leave all of them alone. */
export const LEDGER_TABLES = [
  'tenants',
  'api_keys',
  'groups',
  'agents',
  'budgets',
  'runs',
  'reservations',
  'ledger_entries',
  'idempotency_keys',
] as const;

export type DatabaseSnapshot = Record<(typeof LEDGER_TABLES)[number], { rows: number; hash: string | null }>;

/** Row count and an order-independent hash of every row of every ledger table, in one statement. */
export async function snapshotDatabase(pool: Pool): Promise<DatabaseSnapshot> {
  const sql = LEDGER_TABLES.map(
    (table) =>
      `SELECT '${table}' AS name, count(*)::int AS rows, md5(string_agg(t::text, ',' ORDER BY t::text)) AS hash FROM ${table} t`,
  ).join(' UNION ALL ');
  const { rows } = await pool.query<{ name: (typeof LEDGER_TABLES)[number]; rows: number; hash: string | null }>(sql);
  return Object.fromEntries(rows.map((r) => [r.name, { rows: r.rows, hash: r.hash }])) as DatabaseSnapshot;
}

/** Text that only an internal error would put in a body: stack frames, file paths, ORM errors. */
const LEAK_RE = /\n\s+at\s|\bat\s+\S+\s+\(|\b[\w./-]+\.(?:ts|js):\d+|node_modules|PrismaClient|Invalid `|\bstack\b/;

/** A `detail` the seed's clients know (../shared/seed/ERRORS.md), which stands in for our message. */
export function isSeedDetail(detail: string): boolean {
  return SEED_VALIDATION_DETAILS.has(detail) || /^Unknown model for pricing: \w+:/.test(detail) || /^(OpenAI|Grok|Anthropic|Gemini) request failed: /.test(detail);
}

/**
 * SPEC §8: `{detail, error: {type, code, message}}`, JSON, no internals; detail is our message,
 * or the seed's string where the seed had one (SPEC §2).
 */
export function expectErrorBody(res: TestResponse, status: number, code?: string): void {
  if (res.status !== status) {
    throw new Error(`expected ${status}${code ? ` ${code}` : ''}, got ${res.status}: ${res.text.slice(0, 500) || '(empty body)'}`);
  }
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
  expect(res.body).toEqual(
    expect.objectContaining({
      detail: expect.any(String),
      error: { type: expect.any(String), code: expect.any(String), message: expect.any(String) },
    }),
  );
  expect(isSeedDetail(res.body.detail) || res.body.detail === res.body.error.message).toBe(true);
  expect(res.body.detail.length).toBeGreaterThan(0);
  if (code !== undefined) expect(res.body.error.code).toBe(code);
  expect(res.text).not.toMatch(LEAK_RE);
}
