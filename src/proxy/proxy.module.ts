import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { ProxyController } from './proxy.controller';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream.client';

@Module({ imports: [AgentsModule, BudgetsModule], controllers: [ProxyController], providers: [ProxyService, UpstreamClient] })
export class ProxyModule {}
