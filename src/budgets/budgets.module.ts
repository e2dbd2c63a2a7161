import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetLedgerRepository } from './budget-ledger.repository';
import { BudgetsController } from './budgets.controller';
import { BudgetsService } from './budgets.service';
import { SweeperService } from './sweeper.service';

@Module({
  imports: [AgentsModule],
  controllers: [BudgetsController],
  providers: [BudgetLedgerRepository, BudgetsService, SweeperService],
  exports: [BudgetLedgerRepository, SweeperService],
})
export class BudgetsModule {}
