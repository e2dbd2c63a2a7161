// A transaction scope: one database transaction that everything a request does joins, so that a
// change and its Idempotency-Key record commit together or not at all (issue 10 point 5).
//
// The scope lives in an AsyncLocalStorage: while it is active in an async context, ScopedPool
// sends that context's queries to the scope's client, and turns an inner transaction (Prisma's
// interactive transactions, BudgetLedgerRepository.transaction()) into a savepoint. Services
// need no client passed down and do not know whether they run in a scope.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient } from 'pg';

export class TransactionScope {
  /**
   * False once the scope's COMMIT or ROLLBACK is under way: work the request left running (a
   * timer, a promise nobody awaited) still carries the scope in its async context, and must go
   * back to the pool rather than to a client that is finished or already serving someone else.
   */
  open = true;
  private readonly savepoints: string[] = [];
  private counter = 0;

  constructor(readonly client: PoolClient) {}

  /** A savepoint for an inner transaction that begins now. */
  pushSavepoint(): string {
    const name = `sg_scope_${++this.counter}`;
    this.savepoints.push(name);
    return name;
  }

  /**
   * Ends the innermost inner transaction. Inner transactions nest; two running side by side in
   * one scope would release each other's savepoints, so that is refused, loudly.
   */
  popSavepoint(name: string): void {
    if (this.savepoints.at(-1) !== name) {
      throw new Error(`inner transactions of one transaction scope interleave (${name} ends while ${this.savepoints.at(-1) ?? 'none'} is innermost): run them one after the other`);
    }
    this.savepoints.pop();
  }
}

const storage = new AsyncLocalStorage<TransactionScope>();

/** Scopes running now; the storage is enabled only while there is one. */
let running = 0;

/**
 * The scope of the current async context, if one is open. Outside a scope (the metered hot
 * path) a query pays this one lookup, which returns at once while the storage is disabled.
 */
export function activeScope(): TransactionScope | undefined {
  const scope = storage.getStore();
  return scope?.open ? scope : undefined;
}

/**
 * Runs fn with `scope` as its async context's scope. On Node 20 an enabled AsyncLocalStorage
 * turns on an async hook that runs for every promise the process creates, metered calls
 * included (measured: ~80 ns per await, twice a plain one): so the storage is enabled only
 * while a scope runs, and disabled when the last one ends. Work a scope left behind then finds
 * no scope, as it should (see `open`).
 */
export async function runInScope<T>(scope: TransactionScope, fn: () => Promise<T>): Promise<T> {
  running++;
  try {
    return await storage.run(scope, fn);
  } finally {
    if (--running === 0) storage.disable();
  }
}
