import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({ imports: [AgentsModule, BudgetsModule], controllers: [RunsController], providers: [RunsService], exports: [RunsService] })
export class RunsModule {}
