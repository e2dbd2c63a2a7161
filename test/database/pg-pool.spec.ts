// The bounded pool (src/database/pg-pool.ts) against the real server: a query past
// CAP_DB_QUERY_TIMEOUT_MS fails on time, and its connection, still waiting for that answer, is
// never used again: not by the transaction that owned it, not by the pool's next borrower.
import { Pool } from 'pg';
import { isDatabaseUnavailable } from '../../src/common/errors/database-unavailable';
import { createPool } from '../../src/database/pg-pool';
import { SERVER_DATABASE_URL } from '../support/test-env';

const QUERY_TIMEOUT_MS = 300;
let pool: Pool;
beforeEach(() => {
  // The server would let the statement run on: only the client-side bound can end it here.
  pool = createPool(SERVER_DATABASE_URL, { max: 1, queryTimeoutMs: QUERY_TIMEOUT_MS, statementTimeoutMs: 60_000 });
});
afterEach(() => pool.end());

async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; err?: unknown }> {
  const started = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - started, value };
  } catch (err) {
    return { ms: Date.now() - started, err };
  }
}

it('fails a query with no answer within the bound, as a database_unavailable error', async () => {
  const slow = await timed(pool.query('SELECT pg_sleep(5)'));
  expect(isDatabaseUnavailable(slow.err)).toBe(true);
  expect(slow.ms).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 20);
  expect(slow.ms).toBeLessThan(QUERY_TIMEOUT_MS + 1_000);
  const next = await timed(pool.query('SELECT 1 AS one'));
  expect(next.value?.rows).toEqual([{ one: 1 }]);
});

it('never hands out again a client whose query timed out in a transaction released without an error', async () => {
  const client = await pool.connect();
  await client.query('BEGIN');
  const slow = await timed(client.query('SELECT pg_sleep(5)'));
  expect(isDatabaseUnavailable(slow.err)).toBe(true);
  // The ROLLBACK fails at once instead of queueing behind the unanswered query.
  const rollback = await timed(client.query('ROLLBACK'));
  expect(rollback.err).toBeDefined();
  expect(rollback.ms).toBeLessThan(QUERY_TIMEOUT_MS);
  client.release(); // as the ledger's transactions and Prisma's do: no error given
  // The only pool slot gets a new connection, which answers at once.
  const next = await timed(pool.query('SELECT 1 AS one'));
  expect(next.value?.rows).toEqual([{ one: 1 }]);
  expect(next.ms).toBeLessThan(QUERY_TIMEOUT_MS);
});
