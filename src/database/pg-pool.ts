// The one pg.Pool of an instance (Prisma's driver adapter and the ledger's own SQL share it), with
// a bound on every wait (SPEC §8: no dependency makes a request hang): getting a connection, and
// each query, timed on our side too, since a server that hangs never starts the statement its
// statement_timeout would cancel.
import { Client } from 'pg';
import { ScopedPool } from './scoped-pool';

export interface PoolLimits {
  max: number;
  /** Client side: each query, and the wait for a pool connection (a free one, or a new one's start-up). */
  queryTimeoutMs: number;
  /** Server side: what the server spends on one statement. */
  statementTimeoutMs: number;
}

/** node-postgres' error for a query past `query_timeout` (pg/lib/client.js). */
export const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

const timedOut = (err: unknown) => err instanceof Error && err.message === QUERY_TIMEOUT_MESSAGE;

/**
 * A client whose query timed out ends itself. Its connection still waits for that query's answer,
 * so whatever is sent after it would queue behind the hang: a transaction's ROLLBACK, or the next
 * borrower's queries once the client is back in the pool (the ledger's transactions and Prisma's
 * release theirs without an error, which pg-pool reads as "reusable"). Ended, it fails anything
 * sent to it at once, and pg-pool drops it on release instead of handing it out again.
 */
class SelfEndingClient extends Client {
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last];
      args[last] = (err: Error | undefined, res: unknown) => {
        this.endIfTimedOut(err);
        callback(err, res);
      };
      return (Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    }
    const result = (Client.prototype.query as (...a: unknown[]) => any).apply(this, args);
    if (typeof args[0]?.submit === 'function' || typeof result?.catch !== 'function') return result;
    return result.catch((err: unknown) => {
      this.endIfTimedOut(err);
      throw err;
    });
  }

  private endIfTimedOut(err: unknown): void {
    if (timedOut(err)) void this.end().catch(() => undefined);
  }
}

export function createPool(url: string, limits: PoolLimits): ScopedPool {
  const pool = new ScopedPool({
    connectionString: url,
    Client: SelfEndingClient,
    max: limits.max,
    connectionTimeoutMillis: limits.queryTimeoutMs,
    query_timeout: limits.queryTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}
