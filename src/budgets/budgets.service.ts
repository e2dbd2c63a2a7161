// The admin side of budgets, on every level (SPEC §10): set (the seed's arithmetic, and a period),
// top up, read, and the ledger of one budget. Who may touch which level (the caller's agents and
// groups, the operator for a tenant's budget) is checked by the callers (controllers, services of
// agents, groups, tenants, runs) before they name a LevelRef here.
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { cursorSeq, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { centsToMicrocents, microcentsToCentsCeil, microcentsToCentsFloor } from '../common/money';
import { PG_POOL, PrismaService } from '../database/prisma.service';
import { BudgetAccountsRepository, BudgetRow, Credited, PeriodChange } from './budget-accounts.repository';
import { BudgetDto, CreditedBudgetDto, LedgerPageDto, LedgerQueryDto, LevelBudgetDto, SetBudgetDto, TopupDto } from './budget.dto';
import { LevelRef } from './levels';

export function toLevelBudgetResponse(b: BudgetRow): LevelBudgetDto {
  return {
    hard_limit_cents: microcentsToCentsFloor(b.hardLimitMicrocents),
    remaining_cents: microcentsToCentsFloor(b.remainingMicrocents),
    reserved_cents: microcentsToCentsCeil(b.reservedMicrocents),
    spent_cents: microcentsToCentsCeil(b.spentMicrocents),
    remaining_microcents: b.remainingMicrocents.toString(),
    reserved_microcents: b.reservedMicrocents.toString(),
    spent_microcents: b.spentMicrocents.toString(),
    in_flight: b.inFlight,
    level: b.level,
    level_id: b.levelId,
    period: b.period,
    period_started_at: b.periodStartedAt?.toISOString() ?? null,
    next_reset_at: b.nextResetAt?.toISOString() ?? null,
    period_spent_cents: microcentsToCentsCeil(b.period ? b.periodSpentMicrocents : b.spentMicrocents),
    period_spent_microcents: (b.period ? b.periodSpentMicrocents : b.spentMicrocents).toString(),
  };
}

/** An agent's budget: the seed's fields first, in the seed's order. */
export function toBudgetResponse(b: BudgetRow): BudgetDto {
  const { hard_limit_cents, remaining_cents, ...rest } = toLevelBudgetResponse(b);
  return {
    agent_id: b.levelId,
    hard_limit_cents,
    remaining_cents,
    locked_run_id: b.lockedRunId,
    locked_cents: microcentsToCentsCeil(b.reservedMicrocents),
    locked_expires_at: b.lockedExpiresAt ? b.lockedExpiresAt.toISOString() : null,
    ...rest,
  };
}

export function withCredit<T extends object>(budget: T, c: Credited) {
  const towardZero = c.appliedMicrocents < 0n ? -microcentsToCentsFloor(-c.appliedMicrocents) : microcentsToCentsFloor(c.appliedMicrocents);
  return {
    ...budget,
    requested_cents: microcentsToCentsFloor(c.requestedMicrocents),
    applied_cents: towardZero,
    applied_microcents: c.appliedMicrocents.toString(),
  };
}

const seqCursor = z.tuple([cursorSeq]);

@Injectable()
export class BudgetsService {
  constructor(
    private readonly agents: AgentsService,
    private readonly accounts: BudgetAccountsRepository,
    private readonly prisma: PrismaService,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** The seed's budget set; on an id the tenant has no agent for, it makes the agent, as the seed's store did. */
  async set(auth: TenantAuth, agentId: string, body: SetBudgetDto): Promise<CreditedBudgetDto> {
    await this.agents.ensure(auth, agentId);
    const ref: LevelRef = { level: 'agent', agentId };
    const credited = await this.setLevel(auth, ref, body);
    return withCredit(toBudgetResponse((await this.accounts.get(auth.tenantId, ref))!), credited);
  }

  async topup(auth: TenantAuth, agentId: string, body: TopupDto): Promise<CreditedBudgetDto> {
    await this.agents.require(auth, agentId);
    const ref: LevelRef = { level: 'agent', agentId };
    const credited = await this.topupLevel(auth, ref, body);
    return withCredit(toBudgetResponse((await this.accounts.get(auth.tenantId, ref))!), credited);
  }

  async get(auth: TenantAuth, agentId: string): Promise<BudgetDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    return toBudgetResponse(await this.read(auth, { level: 'agent', agentId }));
  }

  async entries(auth: TenantAuth, agentId: string, query: LedgerQueryDto): Promise<LedgerPageDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    return this.ledger(auth, { level: 'agent', agentId }, query);
  }

  /** Sets the budget of a level the caller may change (checked by the caller). */
  async setLevel(auth: TenantAuth, ref: LevelRef, body: SetBudgetDto): Promise<Credited> {
    const period: PeriodChange = body.period === undefined ? undefined : body.period && (await this.checkTimezone(body.period));
    return this.accounts.setLimit(auth.tenantId, ref, centsToMicrocents(body.hard_limit_cents), centsToMicrocents(body.topup_cents ?? 0), period);
  }

  async topupLevel(auth: TenantAuth, ref: LevelRef, body: TopupDto): Promise<Credited> {
    const credited = await this.accounts.topup(auth.tenantId, ref, centsToMicrocents(body.amount_cents));
    if (!credited) throw new ApiError('budget_not_found', `this ${ref.level} has no budget yet; set one first`);
    return credited;
  }

  /** The budget of a level as of now; 404 when it has none. */
  async read(auth: TenantAuth, ref: LevelRef): Promise<BudgetRow> {
    const budget = await this.accounts.get(auth.tenantId, ref);
    if (!budget) throw new ApiError('budget_not_found', `this ${ref.level} has no budget yet`);
    return budget;
  }

  /** The entries of one budget, newest first (empty when the level has no budget). */
  async ledger(auth: TenantAuth, ref: LevelRef, query: LedgerQueryDto): Promise<LedgerPageDto> {
    const budget = await this.accounts.get(auth.tenantId, ref);
    if (!budget) return { entries: [], next_cursor: null };
    const before = query.cursor ? BigInt(decodeCursor(query.cursor, seqCursor)[0]) : undefined;
    const rows = await this.prisma.ledgerEntry.findMany({
      where: { tenantId: auth.tenantId, budgetId: budget.id, ...(before !== undefined ? { seq: { lt: before } } : {}) },
      orderBy: { seq: 'desc' },
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (e) => encodeCursor([e.seq.toString()]));
    return {
      entries: items.map((e) => ({
        entry_id: e.id,
        kind: e.kind as LedgerPageDto['entries'][number]['kind'],
        agent_id: e.agentId,
        amount_microcents: e.amountMicrocents.toString(),
        balance_after_microcents: e.balanceAfterMicrocents.toString(),
        reservation_id: e.reservationId,
        run_id: e.runId,
        request_id: e.requestId,
        provider: e.provider,
        model: e.model,
        usage: e.usage ?? null,
        cost_breakdown: e.costBreakdown ?? null,
        price_version: e.priceVersion,
        details: e.details ?? null,
        created_at: e.createdAt.toISOString(),
      })),
      next_cursor,
    };
  }

  /** Luxon and PostgreSQL each carry a timezone database: the period's zone must be in both. */
  private async checkTimezone<P extends { timezone: string }>(period: P): Promise<P> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_timezone_names WHERE name = $1', [period.timezone]);
    if (rowCount === 0) throw new ApiError('validation_failed', `invalid request: period.timezone: the database knows no timezone '${period.timezone}'`);
    return period;
  }
}
