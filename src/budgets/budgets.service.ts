// The admin side of budgets: the seed's budget set, top-ups, reads, and the ledger listing.
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { cursorSeq, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { centsToMicrocents, microcentsToCentsCeil, microcentsToCentsFloor } from '../common/money';
import { PrismaService } from '../database/prisma.service';
import { BudgetDto, CreditedBudgetDto, LedgerPageDto, LedgerQueryDto, SetBudgetDto, TopupDto } from './budget.dto';
import { BudgetLedgerRepository, BudgetRow, Credited } from './budget-ledger.repository';

export function toBudgetResponse(b: BudgetRow): BudgetDto {
  return {
    agent_id: b.agentId,
    hard_limit_cents: microcentsToCentsFloor(b.hardLimitMicrocents),
    remaining_cents: microcentsToCentsFloor(b.remainingMicrocents),
    locked_run_id: b.lockedRunId,
    locked_cents: microcentsToCentsCeil(b.reservedMicrocents),
    locked_expires_at: b.lockedExpiresAt ? b.lockedExpiresAt.toISOString() : null,
    reserved_cents: microcentsToCentsCeil(b.reservedMicrocents),
    spent_cents: microcentsToCentsCeil(b.spentMicrocents),
    remaining_microcents: b.remainingMicrocents.toString(),
    reserved_microcents: b.reservedMicrocents.toString(),
    spent_microcents: b.spentMicrocents.toString(),
    in_flight: b.inFlight,
  };
}

function withCredit(budget: BudgetDto, c: Credited): CreditedBudgetDto {
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
    private readonly ledger: BudgetLedgerRepository,
    private readonly prisma: PrismaService,
  ) {}

  /** The seed's budget set; on an id the tenant has no agent for, it makes the agent, as the seed's store did. */
  async set(auth: TenantAuth, agentId: string, body: SetBudgetDto): Promise<CreditedBudgetDto> {
    await this.agents.ensure(auth, agentId);
    const credited = await this.ledger.setLimit(
      auth.tenantId,
      agentId,
      centsToMicrocents(body.hard_limit_cents),
      centsToMicrocents(body.topup_cents ?? 0),
    );
    return withCredit(await this.get(auth, agentId), credited);
  }

  async topup(auth: TenantAuth, agentId: string, body: TopupDto): Promise<CreditedBudgetDto> {
    await this.agents.require(auth, agentId);
    const credited = await this.ledger.topup(auth.tenantId, agentId, centsToMicrocents(body.amount_cents));
    if (!credited) {
      throw new ApiError('budget_not_found', `agent ${agentId} has no budget yet; set one with POST /v1/agents/${agentId}/budget`);
    }
    return withCredit(await this.get(auth, agentId), credited);
  }

  async get(auth: TenantAuth, agentId: string): Promise<BudgetDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    const budget = await this.ledger.get(auth.tenantId, agentId);
    if (!budget) throw new ApiError('budget_not_found', `agent ${agentId} has no budget yet`);
    return toBudgetResponse(budget);
  }

  async entries(auth: TenantAuth, agentId: string, query: LedgerQueryDto): Promise<LedgerPageDto> {
    await this.agents.require(auth, agentId, { allowDeleted: true });
    const before = query.cursor ? BigInt(decodeCursor(query.cursor, seqCursor)[0]) : undefined;
    const rows = await this.prisma.ledgerEntry.findMany({
      where: { agentId, tenantId: auth.tenantId, ...(before !== undefined ? { seq: { lt: before } } : {}) },
      orderBy: { seq: 'desc' },
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (e) => encodeCursor([e.seq.toString()]));
    return {
      entries: items.map((e) => ({
        entry_id: e.id,
        kind: e.kind as LedgerPageDto['entries'][number]['kind'],
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
}
