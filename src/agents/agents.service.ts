// Agent CRUD. An agent belongs to one tenant; another tenant's agent is "not found".
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { isUuid } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { PrismaService } from '../database/prisma.service';
import { Agent } from '../generated/prisma/client';
import { AgentDto, AgentListDto, CreateAgentDto, ListAgentsQueryDto, UpdateAgentDto } from './agent.dto';

const cursorShape = z.tuple([cursorTimestamp, z.uuid()]);

export type Concurrency = 'exclusive' | 'parallel';

export function toAgentResponse(agent: Agent): AgentDto {
  return {
    agent_id: agent.id,
    name: agent.name,
    concurrency: agent.concurrency as AgentDto['concurrency'],
    created_at: agent.createdAt.toISOString(),
    deleted_at: agent.deletedAt ? agent.deletedAt.toISOString() : null,
  };
}

/** How long a metered call may rely on a cached concurrency mode: a PATCH applies within it. */
const CONCURRENCY_CACHE_MS = 1_000;
const MAX_CACHED_AGENTS = 50_000;

@Injectable()
export class AgentsService {
  private readonly concurrencyCache = new Map<string, { concurrency: Concurrency; until: number }>();

  constructor(private readonly prisma: PrismaService) {}

  /** The concurrency mode of a live agent, for the metered path (cached ≤ 1 s); 404 otherwise. */
  async concurrencyOf(auth: TenantAuth, agentId: string): Promise<Concurrency> {
    const key = `${auth.tenantId}:${agentId}`;
    const now = Date.now();
    const hit = this.concurrencyCache.get(key);
    if (hit && hit.until > now) return hit.concurrency;
    const agent = await this.require(auth, agentId);
    const concurrency = agent.concurrency as Concurrency;
    if (this.concurrencyCache.size >= MAX_CACHED_AGENTS) this.concurrencyCache.clear();
    this.concurrencyCache.set(key, { concurrency, until: now + CONCURRENCY_CACHE_MS });
    return concurrency;
  }

  async create(auth: TenantAuth, body: CreateAgentDto): Promise<AgentDto> {
    const agent = await this.prisma.agent.create({
      data: { id: randomUUID(), tenantId: auth.tenantId, name: body.name ?? null, concurrency: body.concurrency ?? 'exclusive' },
    });
    return toAgentResponse(agent);
  }

  async list(auth: TenantAuth, query: ListAgentsQueryDto): Promise<AgentListDto> {
    const after = query.cursor ? decodeCursor(query.cursor, cursorShape) : undefined;
    const rows = await this.prisma.agent.findMany({
      where: {
        tenantId: auth.tenantId,
        ...(query.include_deleted === 'true' ? {} : { deletedAt: null }),
        ...(after
          ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
          : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (a) => encodeCursor([a.createdAt.toISOString(), a.id]));
    return { agents: items.map(toAgentResponse), next_cursor };
  }

  async get(auth: TenantAuth, agentId: string): Promise<AgentDto> {
    return toAgentResponse(await this.require(auth, agentId, { allowDeleted: true }));
  }

  async update(auth: TenantAuth, agentId: string, body: UpdateAgentDto): Promise<AgentDto> {
    await this.require(auth, agentId);
    const agent = await this.prisma.agent.update({
      where: { id: agentId },
      data: { ...(body.name !== undefined ? { name: body.name } : {}), ...(body.concurrency ? { concurrency: body.concurrency } : {}) },
    });
    return toAgentResponse(agent);
  }

  /** Soft delete: the agent stops spending; its budget, runs and ledger stay readable. */
  async remove(auth: TenantAuth, agentId: string): Promise<{ agent_id: string; deleted: true }> {
    await this.require(auth, agentId);
    await this.prisma.agent.updateMany({ where: { id: agentId, deletedAt: null }, data: { deletedAt: new Date() } });
    return { agent_id: agentId, deleted: true };
  }

  /** The caller's agent, or 404 for an unknown id, another tenant's agent, or (unless allowed) a deleted one. */
  async require(auth: TenantAuth, agentId: string, opts: { allowDeleted?: boolean } = {}): Promise<Agent> {
    const agent = isUuid(agentId)
      ? await this.prisma.agent.findFirst({ where: { id: agentId, tenantId: auth.tenantId } })
      : null;
    if (!agent) throw new ApiError('agent_not_found', `agent ${agentId} not found`);
    if (agent.deletedAt && !opts.allowDeleted) {
      throw new ApiError('agent_not_found', `agent ${agentId} was deleted; its ledger stays readable`);
    }
    return agent;
  }
}
