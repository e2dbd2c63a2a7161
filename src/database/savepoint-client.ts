// What `pool.connect()` hands out inside a transaction scope: the scope's own client, with the
// inner transaction's BEGIN / COMMIT / ROLLBACK turned into SAVEPOINT / RELEASE SAVEPOINT /
// ROLLBACK TO SAVEPOINT, and a release() that gives nothing back to the pool (the scope owns the
// client until its own COMMIT).
//
// What it must understand is what our callers send, as plain statements on the checked-out client:
//   @prisma/adapter-pg 7 (interactive transactions, and writes Prisma runs as several statements):
//     pool.connect(), then {text: 'BEGIN'}, [SET TRANSACTION ISOLATION LEVEL … only if one is
//     asked for: none of ours is], then {text: 'COMMIT'} or {text: 'ROLLBACK'}, then release();
//     its own nested savepoints are `SAVEPOINT prisma_sp_N` / `ROLLBACK TO SAVEPOINT` / `RELEASE
//     SAVEPOINT`, passed through unchanged.
//   BudgetLedgerRepository.transaction(): 'BEGIN', 'COMMIT', 'ROLLBACK', release().
// Anything else that would end or reshape the scope's transaction (BEGIN ISOLATION LEVEL …,
// COMMIT AND CHAIN, PREPARE TRANSACTION) is refused rather than silently misapplied.
import type { PoolClient, QueryResult } from 'pg';
import { TransactionScope } from './transaction-scope';

const CONTROL = /^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b\s*([^;]*?)\s*;?\s*$/i;
const PLAIN = /^((WORK|TRANSACTION)\s*)?$/i;

type Verb = 'begin' | 'commit' | 'rollback';

function verbOf(text: string): Verb | undefined {
  const m = CONTROL.exec(text);
  if (!m) return undefined;
  const keyword = m[1].toUpperCase().replace(/\s+/g, ' ');
  const rest = m[2];
  if (keyword === 'ROLLBACK' && /^TO\b/i.test(rest)) return undefined; // a savepoint of the caller's own
  if (PLAIN.test(rest)) {
    if (keyword === 'BEGIN' || keyword === 'START TRANSACTION') return 'begin';
    if (keyword === 'COMMIT' || keyword === 'END') return 'commit';
    if (keyword === 'ROLLBACK' || keyword === 'ABORT') return 'rollback';
  }
  throw new Error(`"${text.trim().slice(0, 80)}" cannot run inside a transaction scope: only plain BEGIN / COMMIT / ROLLBACK nest (as savepoints)`);
}

export class SavepointClient {
  private savepoint?: string;

  constructor(private readonly scope: TransactionScope) {}

  // The signature of pg's Client.query (text or config, values, callback): passed through as is,
  // but for the statements that begin or end the inner transaction.
  query(config: unknown, values?: unknown, callback?: unknown): unknown {
    const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
    let done: Promise<QueryResult>;
    try {
      const verb = typeof text === 'string' ? verbOf(text) : undefined;
      if (!verb) return (this.scope.client.query as (...args: unknown[]) => unknown)(config, values, callback);
      done = this.control(verb);
    } catch (err) {
      done = Promise.reject(err);
    }
    const cb = typeof values === 'function' ? values : typeof callback === 'function' ? callback : undefined;
    if (!cb) return done;
    done.then((res) => cb(undefined, res), (err) => cb(err));
    return undefined;
  }

  private async control(verb: Verb): Promise<QueryResult> {
    const db = this.scope.client;
    if (verb === 'begin') {
      if (this.savepoint) throw new Error('BEGIN twice on one client of a transaction scope');
      const name = this.scope.pushSavepoint();
      this.savepoint = name;
      return db.query(`SAVEPOINT ${name}`);
    }
    const name = this.savepoint;
    if (!name) throw new Error(`${verb.toUpperCase()} without BEGIN on a client of a transaction scope`);
    this.scope.popSavepoint(name);
    this.savepoint = undefined;
    if (verb === 'commit') return db.query(`RELEASE SAVEPOINT ${name}`);
    await db.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return db.query(`RELEASE SAVEPOINT ${name}`);
  }

  /** The scope keeps its client: nothing goes back to the pool before the scope ends. */
  release(): void {}

  // @prisma/adapter-pg listens for connection errors on the client it checked out.
  on(event: string, listener: (...args: unknown[]) => void): this {
    this.scope.client.on(event as 'error', listener);
    return this;
  }

  once(event: string, listener: (...args: unknown[]) => void): this {
    this.scope.client.once(event as 'error', listener);
    return this;
  }

  removeListener(event: string, listener: (...args: unknown[]) => void): this {
    this.scope.client.removeListener(event, listener);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    return this.removeListener(event, listener);
  }

  asPoolClient(): PoolClient {
    return this as unknown as PoolClient;
  }
}
