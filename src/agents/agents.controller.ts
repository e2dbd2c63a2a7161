import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth } from '../auth/auth.decorators';
import { AgentDeletedDto, AgentDto, AgentListDto, CreateAgentDto, ListAgentsQueryDto, PutAgentDto, UpdateAgentDto } from './agent.dto';
import { AgentsService } from './agents.service';

@ApiTags('agents')
@ApiSecurity('api_key')
@Controller('v1/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @ZodResponse({ status: 201, type: AgentDto, description: 'the new agent' })
  create(@CurrentAuth() auth: TenantAuth, @Body() body: CreateAgentDto) {
    return this.agents.create(auth, body);
  }

  @Get()
  @ZodResponse({ status: 200, type: AgentListDto })
  list(@CurrentAuth() auth: TenantAuth, @Query() query: ListAgentsQueryDto) {
    return this.agents.list(auth, query);
  }

  @Get(':agent_id')
  @ZodResponse({ status: 200, type: AgentDto })
  get(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string) {
    return this.agents.get(auth, agentId);
  }

  @Put(':agent_id')
  @ZodResponse({ status: 200, type: AgentDto, description: 'the agent, created (201) or updated (200) under this id' })
  async put(
    @CurrentAuth() auth: TenantAuth,
    @Param('agent_id') agentId: string,
    @Body() body: PutAgentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { created, agent } = await this.agents.put(auth, agentId, body);
    if (created) reply.status(201);
    return agent;
  }

  @Patch(':agent_id')
  @ZodResponse({ status: 200, type: AgentDto })
  update(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Body() body: UpdateAgentDto) {
    return this.agents.update(auth, agentId, body);
  }

  @Delete(':agent_id')
  @ZodResponse({ status: 200, type: AgentDeletedDto })
  remove(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string) {
    return this.agents.remove(auth, agentId);
  }
}
