import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream.client';

// No controller: the metered routes are plain Fastify routes (register-metered-routes.ts).
@Module({ imports: [AgentsModule, BudgetsModule], providers: [ProxyService, UpstreamClient], exports: [ProxyService] })
export class ProxyModule {}
