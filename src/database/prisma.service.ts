// Our own Prisma client (STYLE: "own the Prisma client"): an explicit pg.Pool with limits,
// through @prisma/adapter-pg, both ended on shutdown. The pool is a ScopedPool, so Prisma's
// queries join a request's transaction scope (scoped-pool.ts) like the raw-SQL repositories'.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { ScopedPool } from './scoped-pool';

export const PG_POOL = Symbol('PG_POOL');

export function createPool(url: string, max: number, statementTimeoutMs: number): ScopedPool {
  const pool = new ScopedPool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(PG_POOL) readonly pool: Pool) {
    super({ adapter: new PrismaPg(pool) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
