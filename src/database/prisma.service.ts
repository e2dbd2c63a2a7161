// Our own Prisma client (STYLE: "own the Prisma client"): over the explicit, bounded pg.Pool of
// pg-pool.ts, through @prisma/adapter-pg, both ended on shutdown. The pool is a ScopedPool, so
// Prisma's queries join a request's transaction scope (scoped-pool.ts) like the raw-SQL ones.
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

export const PG_POOL = Symbol('PG_POOL');

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
