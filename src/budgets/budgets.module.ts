import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetAccountsRepository } from './budget-accounts.repository';
import { BudgetLedgerRepository } from './budget-ledger.repository';
import { BudgetsController } from './budgets.controller';
import { BudgetsService } from './budgets.service';
import { ImportedHistoryRepository } from './imported-history.repository';
import { SweeperService } from './sweeper.service';

@Module({
  imports: [AgentsModule],
  controllers: [BudgetsController],
  providers: [BudgetLedgerRepository, BudgetAccountsRepository, BudgetsService, SweeperService, ImportedHistoryRepository],
  exports: [BudgetLedgerRepository, BudgetAccountsRepository, BudgetsService, SweeperService, ImportedHistoryRepository],
})
export class BudgetsModule {}
