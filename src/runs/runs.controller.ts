import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth } from '../auth/auth.decorators';
import { LedgerPageDto, LedgerQueryDto } from '../budgets/budget.dto';
import { CreatedRunDto, CreateRunDto, RunDto, RunListDto, RunListQueryDto } from './run.dto';
import { RunsService } from './runs.service';

@ApiTags('runs')
@ApiSecurity('api_key')
@Controller('v1/agents/:agent_id/runs')
export class RunsController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @ZodResponse({ status: 201, type: CreatedRunDto, description: 'the new run, persisted' })
  create(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Body() body: CreateRunDto) {
    return this.runs.create(auth, agentId, body);
  }

  @Get()
  @ZodResponse({ status: 200, type: RunListDto })
  list(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Query() query: RunListQueryDto) {
    return this.runs.list(auth, agentId, query);
  }

  @Get(':run_id')
  @ZodResponse({ status: 200, type: RunDto })
  get(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string) {
    return this.runs.get(auth, agentId, runId);
  }

  @Get(':run_id/ledger')
  @ZodResponse({ status: 200, type: LedgerPageDto, description: "the entries of the run's own budget, newest first (none without one)" })
  ledger(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Query() query: LedgerQueryDto) {
    return this.runs.ledger(auth, agentId, runId, query);
  }
}
