import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { BudgetsModule } from '../budgets/budgets.module';
import { TenantsModule } from '../tenants/tenants.module';
import { SeedImportOnBoot } from './seed-import.boot';
import { SeedImportController } from './seed-import.controller';
import { SeedImportService } from './seed-import.service';

// TenantsModule is imported for the order of boot hooks: Nest runs those of imported modules
// first, so the sidecar's tenant exists before the boot import writes into it.
@Module({
  imports: [AgentsModule, BudgetsModule, TenantsModule],
  controllers: [SeedImportController],
  providers: [SeedImportService, SeedImportOnBoot],
})
export class SeedImportModule {}
