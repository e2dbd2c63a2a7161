import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.schema';
import { createPool } from './pg-pool';
import { PG_POOL, PrismaService } from './prisma.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(url: string, config: AppConfig): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: PG_POOL,
          useFactory: () =>
            createPool(url, { max: config.dbPoolMax, queryTimeoutMs: config.dbQueryTimeoutMs, statementTimeoutMs: config.dbStatementTimeoutMs }),
        },
        PrismaService,
      ],
      exports: [PrismaService, PG_POOL],
    };
  }
}
