// A tenant's budget (SPEC §10), the outermost level of every call's path. In hosted mode it is the
// tenant's prepaid credit: the operator sets it and tops it up (/v1/tenants/{id}/…), the tenant
// reads its own (/v1/tenant/…) and cannot raise it (403). A sidecar's single tenant sets its own.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { ALL_SCOPES, AuthContext, TenantAuth } from '../auth/auth-context';
import { CurrentAuth, OperatorOnly } from '../auth/auth.decorators';
import { CreditedLevelBudgetDto, LedgerPageDto, LedgerQueryDto, LevelBudgetDto, SetBudgetDto, TopupDto } from '../budgets/budget.dto';
import { BudgetsService, toLevelBudgetResponse, withCredit } from '../budgets/budgets.service';
import { LevelRef } from '../budgets/levels';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { TenantsService } from './tenants.service';

const levelOf = (tenantId: string): LevelRef => ({ level: 'tenant', tenantId });

@ApiTags('tenants')
@ApiSecurity('api_key')
@Controller('v1')
export class TenantBudgetsController {
  constructor(
    private readonly budgets: BudgetsService,
    private readonly tenants: TenantsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('tenants/:tenant_id/budget')
  @OperatorOnly()
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedLevelBudgetDto, description: "the tenant's budget (its prepaid credit) after the seed's arithmetic" })
  async setFor(@Param('tenant_id') tenantId: string, @Body() body: SetBudgetDto) {
    return this.set(await this.asTenant(tenantId), body);
  }

  @Post('tenants/:tenant_id/budget/topup')
  @OperatorOnly()
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedLevelBudgetDto })
  async topupFor(@Param('tenant_id') tenantId: string, @Body() body: TopupDto) {
    return this.topup(await this.asTenant(tenantId), body);
  }

  @Get('tenants/:tenant_id/budget')
  @OperatorOnly()
  @ZodResponse({ status: 200, type: LevelBudgetDto })
  async getFor(@Param('tenant_id') tenantId: string) {
    const auth = await this.asTenant(tenantId);
    return toLevelBudgetResponse(await this.budgets.read(auth, levelOf(auth.tenantId)));
  }

  @Get('tenants/:tenant_id/ledger')
  @OperatorOnly()
  @ZodResponse({ status: 200, type: LedgerPageDto })
  async ledgerFor(@Param('tenant_id') tenantId: string, @Query() query: LedgerQueryDto) {
    const auth = await this.asTenant(tenantId);
    return this.budgets.ledger(auth, levelOf(auth.tenantId), query);
  }

  @Get('tenant/budget')
  @ZodResponse({ status: 200, type: LevelBudgetDto, description: "the caller's tenant's budget" })
  async getOwn(@CurrentAuth() auth: TenantAuth) {
    return toLevelBudgetResponse(await this.budgets.read(auth, levelOf(auth.tenantId)));
  }

  @Get('tenant/ledger')
  @ZodResponse({ status: 200, type: LedgerPageDto })
  ledgerOwn(@CurrentAuth() auth: TenantAuth, @Query() query: LedgerQueryDto) {
    return this.budgets.ledger(auth, levelOf(auth.tenantId), query);
  }

  @Post('tenant/budget')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedLevelBudgetDto, description: 'sidecar only: in hosted mode the operator sets a tenant\'s budget (403)' })
  setOwn(@CurrentAuth() auth: TenantAuth, @Body() body: SetBudgetDto) {
    this.requireOwnBudgetSettable();
    return this.set(auth, body);
  }

  @Post('tenant/budget/topup')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedLevelBudgetDto, description: 'sidecar only (403 in hosted mode)' })
  topupOwn(@CurrentAuth() auth: TenantAuth, @Body() body: TopupDto) {
    this.requireOwnBudgetSettable();
    return this.topup(auth, body);
  }

  private async set(auth: TenantAuth, body: SetBudgetDto) {
    const credited = await this.budgets.setLevel(auth, levelOf(auth.tenantId), body);
    return withCredit(toLevelBudgetResponse(await this.budgets.read(auth, levelOf(auth.tenantId))), credited);
  }

  private async topup(auth: TenantAuth, body: TopupDto) {
    const credited = await this.budgets.topupLevel(auth, levelOf(auth.tenantId), body);
    return withCredit(toLevelBudgetResponse(await this.budgets.read(auth, levelOf(auth.tenantId))), credited);
  }

  /** The operator acting on one tenant's budget, as that tenant (404 for a tenant that does not exist). */
  private async asTenant(tenantId: string): Promise<TenantAuth> {
    await this.tenants.require(tenantId);
    const operator: AuthContext = { tenantId, scopes: ALL_SCOPES, principal: 'operator', keyId: null };
    return operator as TenantAuth;
  }

  private requireOwnBudgetSettable(): void {
    if (this.config.mode === 'hosted') {
      throw new ApiError('tenant_budget_operator_only', "a tenant's budget is its prepaid credit: the operator sets it (POST /v1/tenants/{tenant_id}/budget)");
    }
  }
}
