import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ZodSerializerInterceptor, ZodValidationPipe } from 'nestjs-zod';
import { AgentsModule } from './agents/agents.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { BudgetsModule } from './budgets/budgets.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import { ConfigModule } from './config/config.module';
import { AppConfig } from './config/config.schema';
import { DatabaseModule } from './database/database.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { LocksModule } from './locks/locks.module';
import { PricingModule } from './pricing/pricing.module';
import { ProviderKeysModule } from './provider-keys/provider-keys.module';
import { ProxyModule } from './proxy/proxy.module';
import { RedisModule } from './redis/redis.module';
import { RunsModule } from './runs/runs.module';
import { SeedImportModule } from './seed-import/seed-import.module';
import { TenantsModule } from './tenants/tenants.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl, config),
        RedisModule,
        LocksModule,
        MetricsModule,
        AuthModule,
        PricingModule,
        HealthModule,
        AgentsModule,
        BudgetsModule,
        GroupsModule,
        RunsModule,
        ApiKeysModule,
        TenantsModule,
        ProviderKeysModule,
        ProxyModule,
        SeedImportModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        // Order matters: idempotency wraps serialization, so it records and replays final bodies.
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ZodSerializerInterceptor },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
