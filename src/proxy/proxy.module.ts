import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { EstimateController } from './estimate.controller';
import { EstimateService } from './estimate.service';
import { ProxyService } from './proxy.service';
import { UpstreamClient } from './upstream.client';

// The metered routes are plain Fastify routes (register-metered-routes.ts); the estimate is an
// admin route that prices a call as they would.
@Module({
  imports: [AgentsModule, BudgetsModule, TelemetryModule],
  controllers: [EstimateController],
  providers: [ProxyService, UpstreamClient, EstimateService],
  exports: [ProxyService],
})
export class ProxyModule {}
