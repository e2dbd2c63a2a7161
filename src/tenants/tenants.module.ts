import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { TenantBudgetsController } from './tenant-budgets.controller';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Module({ imports: [BudgetsModule], controllers: [TenantsController, TenantBudgetsController], providers: [TenantsService] })
export class TenantsModule {}
