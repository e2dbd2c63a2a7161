// One transaction on one pooled client, retried whole on serialization failures and deadlocks
// (retry.ts): how the budgets module runs a money move of several statements. Inside a request's
// transaction scope (database/scoped-pool.ts) it becomes a savepoint of that transaction.
import { Pool, PoolClient } from 'pg';
import { withRetry } from './retry';

export function inTransaction<T>(pool: Pool, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  return withRetry(async () => {
    const db = await pool.connect();
    try {
      await db.query('BEGIN');
      const result = await fn(db);
      await db.query('COMMIT');
      return result;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      db.release();
    }
  });
}
