import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream.client';

// No controller: the metered routes are plain Fastify routes (register-metered-routes.ts).
@Module({ imports: [AgentsModule, BudgetsModule, TelemetryModule], providers: [ProxyService, UpstreamClient], exports: [ProxyService] })
export class ProxyModule {}
