import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth } from '../auth/auth.decorators';
import { BudgetDto, CreditedBudgetDto, LedgerPageDto, LedgerQueryDto, SetBudgetDto, TopupDto } from './budget.dto';
import { BudgetsService } from './budgets.service';

@ApiTags('budgets')
@ApiSecurity('api_key')
@Controller('v1/agents/:agent_id')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Post('budget')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedBudgetDto, description: "the budget after the seed's arithmetic, with what was asked and applied" })
  set(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Body() body: SetBudgetDto) {
    return this.budgets.set(auth, agentId, body);
  }

  @Get('budget')
  @ZodResponse({ status: 200, type: BudgetDto })
  get(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string) {
    return this.budgets.get(auth, agentId);
  }

  @Post('budget/topup')
  @HttpCode(200)
  @ZodResponse({
    status: 200,
    type: CreditedBudgetDto,
    description: 'the budget after the top-up: remaining + reserved never exceeds the hard limit, so applied_cents may be less than requested',
  })
  topup(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Body() body: TopupDto) {
    return this.budgets.topup(auth, agentId, body);
  }

  @Get('ledger')
  @ZodResponse({ status: 200, type: LedgerPageDto })
  ledger(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Query() query: LedgerQueryDto) {
    return this.budgets.entries(auth, agentId, query);
  }
}
