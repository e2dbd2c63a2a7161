import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth, RequireScope } from '../auth/auth.decorators';
import { EstimateDto, EstimateRequestDto } from './estimate.dto';
import { EstimateService } from './estimate.service';

@ApiTags('budgets')
@ApiSecurity('api_key')
@Controller('v1/agents/:agent_id/estimate')
export class EstimateController {
  constructor(private readonly estimates: EstimateService) {}

  /** Nothing is held or written: a key that may make calls (`cap:use`) may ask. */
  @Post()
  @HttpCode(200)
  @RequireScope('cap:use')
  @ZodResponse({ status: 200, type: EstimateDto, description: 'what the call would hold on every level, the cap it would get, and which level would refuse it; nothing is held' })
  estimate(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Body() body: EstimateRequestDto) {
    return this.estimates.estimate(auth, agentId, body);
  }
}
