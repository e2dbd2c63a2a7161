// Agent CRUD. An agent belongs to one tenant; another tenant's agent is "not found". An agent may
// sit in one of the tenant's live groups (SPEC §10): its calls then hold on the group chain's
// budgets too, read afresh at each hold, so moving an agent moves its future spending only.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { AGENT_ID_RE, agentIdSchema } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PG_POOL, PrismaService } from '../database/prisma.service';
import { Agent, Prisma } from '../generated/prisma/client';
import { inTransaction, lockLiveGroup } from '../groups/group-locks';
import { AgentDto, AgentListDto, CreateAgentDto, ListAgentsQueryDto, PutAgentDto, UpdateAgentDto } from './agent.dto';

const cursorShape = z.tuple([cursorTimestamp, agentIdSchema]);

export type Concurrency = 'exclusive' | 'parallel';

export function toAgentResponse(agent: Agent): AgentDto {
  return {
    agent_id: agent.id,
    name: agent.name,
    concurrency: agent.concurrency as AgentDto['concurrency'],
    group_id: agent.groupId,
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
/** Page size of a list that names a cursor but no limit. */
const DEFAULT_LIST_PAGE = 50;
const MAX_CACHED_AGENTS = 50_000;

@Injectable()
export class AgentsService {
  private readonly concurrencyHints = new Map<string, { concurrency: Concurrency; until: number }>();
  private readonly concurrencyReads = new Map<string, Promise<Concurrency>>();

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

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

  /** A new agent, with the client's id or a UUID; 409 when the tenant already has that id. */
  async create(auth: TenantAuth, body: CreateAgentDto): Promise<AgentDto> {
    const id = body.agent_id ?? randomUUID();
    try {
      const agent = await this.inGroup(auth, body.group_id, (groupId) =>
        this.prisma.agent.create({
          data: { id, tenantId: auth.tenantId, name: body.name ?? null, concurrency: body.concurrency ?? 'exclusive', groupId },
        }),
      );
      this.noteConcurrency(auth, agent.id, agent.concurrency as Concurrency);
      return toAgentResponse(agent);
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        throw new ApiError('agent_exists', `agent ${id} already exists; PUT /v1/agents/${id} creates or updates by id`);
      }
      throw err;
    }
  }

  /** PUT by id (for CI): creates the agent when the tenant has none with this id, else updates it. */
  async put(auth: TenantAuth, agentId: string, body: PutAgentDto): Promise<{ created: boolean; agent: AgentDto }> {
    if (!AGENT_ID_RE.test(agentId)) throw new ApiError('validation_failed', 'agent ids are 1-128 characters of A-Z a-z 0-9 . _ : -');
    const existing = await this.prisma.agent.findFirst({ where: { id: agentId, tenantId: auth.tenantId } });
    if (existing?.deletedAt) throw new ApiError('agent_not_found', `agent ${agentId} was deleted; its id stays with its ledger`);
    if (existing) {
      if (body.name === undefined && body.concurrency === undefined && body.group_id === undefined) {
        return { created: false, agent: toAgentResponse(existing) };
      }
      return { created: false, agent: await this.update(auth, agentId, body) };
    }
    const { created, agent } = await this.ensure(auth, agentId, body);
    return { created, agent: toAgentResponse(agent) };
  }

  /**
   * The agent with this id, created if the tenant has none (the seed's store made a budget's
   * agent on first use). Two concurrent first uses make one agent.
   */
  async ensure(auth: TenantAuth, agentId: string, fields: PutAgentDto = {}): Promise<{ created: boolean; agent: Agent }> {
    if (!AGENT_ID_RE.test(agentId)) throw new ApiError('agent_not_found', `agent ${agentId} not found`);
    const inserted = await this.inGroup(auth, fields.group_id, (groupId) =>
      this.prisma.agent.createMany({
        data: [{ id: agentId, tenantId: auth.tenantId, name: fields.name ?? null, concurrency: fields.concurrency ?? 'exclusive', groupId }],
        skipDuplicates: true,
      }),
    );
    const agent = await this.require(auth, agentId);
    this.noteConcurrency(auth, agentId, agent.concurrency as Concurrency);
    return { created: inserted.count === 1, agent };
  }

  /**
   * An agent brought from elsewhere (the seed's store, src/seed-import) with its own id, name and
   * creation time; one the tenant already has, deleted or not, is left as it is. Joins the
   * caller's transaction scope, and waits on another one adopting the same id until it ends.
   */
  async adopt(auth: TenantAuth, fields: { id: string; name: string | null; createdAt: Date }): Promise<{ created: boolean; agent: Agent }> {
    if (!AGENT_ID_RE.test(fields.id)) throw new ApiError('validation_failed', 'agent ids are 1-128 characters of A-Z a-z 0-9 . _ : -');
    const inserted = await this.prisma.agent.createMany({
      data: [{ id: fields.id, tenantId: auth.tenantId, name: fields.name, createdAt: fields.createdAt }],
      skipDuplicates: true,
    });
    const agent = await this.require(auth, fields.id, { allowDeleted: true });
    return { created: inserted.count === 1, agent };
  }

  /**
   * A page of agents; without limit and cursor, every agent up to CAP_LIST_MAX (the seed listed
   * them all, and its clients never paged), with next_cursor set only past that.
   */
  async list(auth: TenantAuth, query: ListAgentsQueryDto): Promise<AgentListDto> {
    const limit = query.limit ?? (query.cursor ? DEFAULT_LIST_PAGE : this.config.listMax);
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
      take: limit + 1,
    });
    const { items, next_cursor } = page(rows, limit, (a) => encodeCursor([a.createdAt.toISOString(), a.id]));
    return { agents: items.map(toAgentResponse), next_cursor };
  }

  async get(auth: TenantAuth, agentId: string): Promise<AgentDto> {
    return toAgentResponse(await this.require(auth, agentId, { allowDeleted: true }));
  }

  async update(auth: TenantAuth, agentId: string, body: UpdateAgentDto): Promise<AgentDto> {
    await this.require(auth, agentId);
    const agent = await this.inGroup(auth, body.group_id ?? undefined, (groupId) =>
      this.prisma.agent.update({
        where: { tenantId_id: { tenantId: auth.tenantId, id: agentId } },
        data: {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.concurrency ? { concurrency: body.concurrency } : {}),
          ...(body.group_id !== undefined ? { groupId } : {}),
        },
      }),
    );
    this.noteConcurrency(auth, agentId, agent.concurrency as Concurrency);
    return toAgentResponse(agent);
  }

  /** Soft delete: the agent stops spending; its budget, runs and ledger stay readable. */
  async remove(auth: TenantAuth, agentId: string): Promise<{ agent_id: string; deleted: true }> {
    await this.require(auth, agentId);
    await this.prisma.agent.updateMany({ where: { tenantId: auth.tenantId, id: agentId, deletedAt: null }, data: { deletedAt: new Date() } });
    return { agent_id: agentId, deleted: true };
  }

  /**
   * Runs `write` with the agent's group: `groupId` checked to be a live group of the caller's and
   * kept from being deleted until the write commits (404 group_not_found otherwise, nothing
   * written), or null when none is named.
   */
  private inGroup<T>(auth: TenantAuth, groupId: string | null | undefined, write: (groupId: string | null) => Promise<T>): Promise<T> {
    if (!groupId) return write(null);
    return inTransaction(this.pool, async () => {
      const live = await lockLiveGroup(this.pool, auth.tenantId, groupId);
      if (!live) throw new ApiError('group_not_found', `group ${groupId} not found (or deleted)`);
      return write(live);
    });
  }

  /** The caller's agent, or 404 for an unknown id, another tenant's agent, or (unless allowed) a deleted one. */
  async require(auth: TenantAuth, agentId: string, opts: { allowDeleted?: boolean } = {}): Promise<Agent> {
    const agent = AGENT_ID_RE.test(agentId)
      ? await this.prisma.agent.findUnique({ where: { tenantId_id: { tenantId: auth.tenantId, id: agentId } } })
      : null;
    if (!agent) throw new ApiError('agent_not_found', `agent ${agentId} not found`);
    if (agent.deletedAt && !opts.allowDeleted) {
      throw new ApiError('agent_not_found', `agent ${agentId} was deleted; its ledger stays readable`);
    }
    return agent;
  }
}
