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

/**
 * How long a concurrency mode seen on this instance is used as a hint. Only a hint: every hold
 * returns the agent's mode as it is in the database, and the metered path corrects itself by it
 * (ProxyService), so a PATCH elsewhere applies to the next call whatever this says.
 */
const CONCURRENCY_HINT_MS = 60_000;
const MAX_CACHED_AGENTS = 50_000;

@Injectable()
export class AgentsService {
  private readonly concurrencyHints = new Map<string, { concurrency: Concurrency; until: number }>();
  private readonly concurrencyReads = new Map<string, Promise<Concurrency>>();

  constructor(private readonly prisma: PrismaService) {}

  /** The concurrency mode of a live agent, read from the database (one read at a time per agent); 404 otherwise. */
  concurrencyOf(auth: TenantAuth, agentId: string): Promise<Concurrency> {
    const key = `${auth.tenantId}:${agentId}`;
    let read = this.concurrencyReads.get(key);
    if (!read) {
      read = this.require(auth, agentId)
        .then((agent) => {
          this.noteConcurrency(auth, agentId, agent.concurrency as Concurrency);
          return agent.concurrency as Concurrency;
        })
        .finally(() => this.concurrencyReads.delete(key));
      this.concurrencyReads.set(key, read);
    }
    return read;
  }

  /** The mode last seen for this agent on this instance, if recently: a hint, see CONCURRENCY_HINT_MS. */
  concurrencyHint(auth: TenantAuth, agentId: string): Concurrency | undefined {
    const hit = this.concurrencyHints.get(`${auth.tenantId}:${agentId}`);
    return hit && hit.until > Date.now() ? hit.concurrency : undefined;
  }

  noteConcurrency(auth: TenantAuth, agentId: string, concurrency: Concurrency): void {
    if (this.concurrencyHints.size >= MAX_CACHED_AGENTS) this.concurrencyHints.clear();
    this.concurrencyHints.set(`${auth.tenantId}:${agentId}`, { concurrency, until: Date.now() + CONCURRENCY_HINT_MS });
  }

  async create(auth: TenantAuth, body: CreateAgentDto): Promise<AgentDto> {
    const agent = await this.prisma.agent.create({
      data: { id: randomUUID(), tenantId: auth.tenantId, name: body.name ?? null, concurrency: body.concurrency ?? 'exclusive' },
    });
    this.noteConcurrency(auth, agent.id, agent.concurrency as Concurrency);
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
    this.noteConcurrency(auth, agentId, agent.concurrency as Concurrency);
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
