// Transaction scopes (src/database/scoped-pool.ts) against the real PostgreSQL, through the two
// kinds of caller the service has: Prisma over @prisma/adapter-pg, and raw SQL on the pool with
// its own BEGIN / COMMIT / ROLLBACK (BudgetLedgerRepository.transaction()).
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../../src/generated/prisma/client';
import { createPool } from '../../src/database/pg-pool';
import { ScopedPool, TransactionRolledBack } from '../../src/database/scoped-pool';
import { createTestDatabase, testPool } from '../support/test-database';

let pool: ScopedPool;
let prisma: PrismaClient;
let observer: Pool;

beforeAll(async () => {
  const url = await createTestDatabase();
  pool = createPool(url, { max: 4, queryTimeoutMs: 5_000, statementTimeoutMs: 5_000 });
  prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  observer = testPool(url);
});
afterAll(async () => {
  await prisma.$disconnect();
  await pool.end();
  await observer.end();
});

/** What BudgetLedgerRepository.transaction() does, verbatim in shape. */
async function rawTransaction<T>(fn: (db: { query: Pool['query'] }) => Promise<T>): Promise<T> {
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
}

const tenantNamed = async (name: string) => (await observer.query('SELECT count(*)::int AS n FROM tenants WHERE name = $1', [name])).rows[0].n;
const newName = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
const backendPid = async () => (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;

describe('a transaction scope', () => {
  it('sends every query of its async context to one backend, inside one transaction', async () => {
    // Another request's work: its async context is the one it was started in, outside the scope.
    let start!: () => void;
    const other = new Promise<void>((resolve) => (start = resolve)).then(backendPid);
    const scopePid = await pool.inTransaction(async (client) => {
      const own = (await client.query('SELECT pg_backend_pid() AS pid, txid_current() AS tx')).rows[0];
      const viaPool = (await pool.query('SELECT pg_backend_pid() AS pid, txid_current() AS tx')).rows[0];
      const viaPrisma = await prisma.$queryRaw<{ pid: number; tx: string }[]>`SELECT pg_backend_pid() AS pid, txid_current()::text AS tx`;
      const nested = await new Promise<{ pid: number }>((resolve) => setTimeout(() => void pool.query('SELECT pg_backend_pid() AS pid').then((r: { rows: { pid: number }[] }) => resolve(r.rows[0])), 5));
      expect(viaPool).toEqual(own);
      expect(viaPrisma[0]).toEqual({ pid: own.pid, tx: String(own.tx) });
      expect(nested.pid).toBe(own.pid);
      // Meanwhile, outside the scope, the pool serves others from its other clients.
      start();
      expect(await other).not.toBe(own.pid);
      return own.pid as number;
    });
    expect(scopePid).toEqual(expect.any(Number));
  });

  it('commits Prisma writes, raw writes and inner transactions of both together', async () => {
    const name = newName('commit');
    await pool.inTransaction(async () => {
      await prisma.tenant.create({ data: { id: randomUUID(), name } });
      await prisma.$transaction(async (tx) => {
        await tx.tenant.create({ data: { id: randomUUID(), name } });
      });
      await rawTransaction((db) => db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]));
      await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]);
      expect(await tenantNamed(name)).toBe(0); // not visible outside before COMMIT
    });
    expect(await tenantNamed(name)).toBe(4);
  });

  it('rolls back everything, inner transactions already "committed" included, when it fails', async () => {
    const name = newName('rollback');
    await expect(
      pool.inTransaction(async () => {
        await prisma.$transaction(async (tx) => {
          await tx.tenant.create({ data: { id: randomUUID(), name } });
        });
        await rawTransaction((db) => db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]));
        throw new Error('the answer could not be built');
      }),
    ).rejects.toThrow('the answer could not be built');
    expect(await tenantNamed(name)).toBe(0);
  });

  it('turns an inner ROLLBACK into ROLLBACK TO SAVEPOINT: the rest of the scope goes on', async () => {
    const name = newName('inner');
    await pool.inTransaction(async () => {
      await prisma.tenant.create({ data: { id: randomUUID(), name } });
      await expect(
        prisma.$transaction(async (tx) => {
          await tx.tenant.create({ data: { id: randomUUID(), name } });
          throw new Error('inner failure');
        }),
      ).rejects.toThrow('inner failure');
      await expect(
        rawTransaction(async (db) => {
          await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]);
          await db.query('SELECT 1/0'); // a failed statement: the inner transaction is aborted
        }),
      ).rejects.toThrow(/division by zero/);
      // A retried inner transaction (withRetry does this on deadlocks) works after the rollback.
      await rawTransaction((db) => db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]));
    });
    expect(await tenantNamed(name)).toBe(2);
  });

  it('nests inner transactions, and refuses two that interleave', async () => {
    const name = newName('nested');
    await pool.inTransaction(async () => {
      await rawTransaction(async () => {
        await rawTransaction((db) => db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]));
      });
      const a = await pool.connect();
      const b = await pool.connect();
      await a.query('BEGIN');
      await b.query('BEGIN');
      await expect(a.query('COMMIT')).rejects.toThrow(/interleave/);
      await b.query('ROLLBACK');
      a.release();
      b.release();
    });
    expect(await tenantNamed(name)).toBe(1);
  });

  it('refuses statements that would reshape its transaction', async () => {
    await pool.inTransaction(async () => {
      const db = await pool.connect();
      try {
        await expect(db.query('BEGIN ISOLATION LEVEL SERIALIZABLE')).rejects.toThrow(/cannot run inside a transaction scope/);
        await expect(db.query('COMMIT AND CHAIN')).rejects.toThrow(/cannot run inside a transaction scope/);
        await expect(db.query('COMMIT')).rejects.toThrow(/without BEGIN/);
      } finally {
        db.release();
      }
    });
  });

  it('fails at COMMIT when a failed statement was swallowed, instead of answering as if committed', async () => {
    const name = newName('swallowed');
    await expect(
      pool.inTransaction(async () => {
        await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]);
        await pool.query('SELECT 1/0').catch(() => undefined);
      }),
    ).rejects.toBeInstanceOf(TransactionRolledBack);
    expect(await tenantNamed(name)).toBe(0);
  });

  it('sends work left running after it ended back to the pool, not into the next transaction on its client', async () => {
    const name = newName('late');
    let late!: Promise<unknown>;
    let go!: () => void;
    const gate = new Promise<void>((resolve) => (go = resolve));
    await pool.inTransaction(async () => {
      // Still carries scope A in its async context when it runs, after A committed.
      late = gate.then(() => pool.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]));
    });
    // Scope B most likely gets A's client back from the pool (idle clients are reused last-in first-out).
    await expect(
      pool.inTransaction(async () => {
        go();
        await late;
        throw new Error('B fails');
      }),
    ).rejects.toThrow('B fails');
    expect(await tenantNamed(name)).toBe(1);
  });

  it('survives its connection being killed: the request fails, nothing is kept, the pool recovers', async () => {
    const name = newName('killed');
    await expect(
      pool.inTransaction(async (client) => {
        await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [randomUUID(), name]);
        const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await observer.query('SELECT pg_terminate_backend($1)', [pid]);
        await pool.query('SELECT 1');
      }),
    ).rejects.toThrow();
    expect(await tenantNamed(name)).toBe(0);
    await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT 1')));
    expect(pool.totalCount).toBeLessThanOrEqual(4);
  });

  it('keeps scopes that overlap apart, each on its own backend, as they start and end at different times', async () => {
    const name = newName('overlap');
    const pids = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        pool.inTransaction(async (client) => {
          const own = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
          const seen: number[] = [];
          for (let step = 0; step < 3 + i * 2; step++) {
            await new Promise((r) => setTimeout(r, 3 * (i + 1)));
            seen.push((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
            await prisma.tenant.create({ data: { id: randomUUID(), name } });
          }
          expect(new Set(seen)).toEqual(new Set([own]));
          if (i === 1) throw new Error('this one fails');
          return own;
        }).catch((err: Error) => err.message),
      ),
    );
    expect(pids[1]).toBe('this one fails');
    const ok = pids.filter((p) => typeof p === 'number');
    expect(new Set(ok).size).toBe(3);
    expect(await tenantNamed(name)).toBe(3 + 7 + 9);
  });

  it('does not nest', async () => {
    await pool.inTransaction(async () => {
      await expect(pool.inTransaction(async () => undefined)).rejects.toThrow(/do not nest/);
    });
  });
});
