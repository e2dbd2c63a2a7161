// The one pg.Pool of an instance (PG_POOL: Prisma's adapter and the raw-SQL repositories share
// it), aware of transaction scopes: inside one, query() runs on the scope's client and connect()
// hands out a SavepointClient on it; outside, it is a plain pg.Pool.
//
// A subclass rather than a wrapper because @prisma/adapter-pg only takes an external pool that
// is `instanceof pg.Pool`.
import { Pool, PoolClient } from 'pg';
import { SavepointClient } from './savepoint-client';
import { activeScope, runInScope, TransactionScope } from './transaction-scope';

/** COMMIT answered ROLLBACK: a statement of the transaction had failed and the error was swallowed. */
export class TransactionRolledBack extends Error {
  constructor() {
    super('the transaction was rolled back at COMMIT: one of its statements had failed');
  }
}

export class ScopedPool extends Pool {
  // pg's query() overloads are many; every form is passed on unchanged.
  override query(...args: unknown[]): any {
    const scope = activeScope();
    if (scope) return (scope.client.query as (...a: unknown[]) => unknown)(...args);
    return (super.query as (...a: unknown[]) => unknown)(...args);
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: PoolClient | undefined, done: (release?: any) => void) => void): any {
    // pg-pool's own query() checks a client out with a callback, for a query that query() above
    // has already routed: only the promise form, which callers use, looks for a scope.
    if (callback) return super.connect(callback);
    const scope = activeScope();
    if (scope) return Promise.resolve(new SavepointClient(scope).asPoolClient());
    return super.connect();
  }

  /**
   * Runs `fn` in one transaction on one pooled client: every query made in fn's async context
   * (through this pool, by Prisma or by raw SQL) joins it. Commits when fn resolves, rolls back
   * when it throws; a process that dies meanwhile leaves nothing, PostgreSQL rolls it back.
   */
  async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    if (activeScope()) throw new Error('transaction scopes do not nest');
    const client = await super.connect();
    // A connection lost while checked out is reported on the client; the failed query carries
    // the error to the caller, this only keeps it from being an uncaught 'error' event.
    const onError = () => undefined;
    client.on('error', onError);
    const scope = new TransactionScope(client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await runInScope(scope, () => fn(client));
      scope.open = false;
      const { command } = await client.query('COMMIT');
      if (command !== 'COMMIT') throw new TransactionRolledBack();
      return result;
    } catch (err) {
      scope.open = false;
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      scope.open = false;
      client.removeListener('error', onError);
      // A client that could not even roll back is discarded, never handed to someone else.
      client.release(broken);
    }
  }
}
