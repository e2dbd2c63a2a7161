// The budget rows themselves, on every level (SPEC §10): the seed's limit set, top-ups, periods,
// and reads. Holds and their settles are in budget-ledger.repository.ts. Every credit applies a
// due period reset first (in the same transaction), so it adds to the current period's figures.
//
// The hard limit is a ceiling on what can still be spent (SPEC §3): after every credit,
// remaining + reserved ≤ hard_limit; what would lift it higher is not applied, and the entry
// says what was asked and what was applied.
import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { maxBig, minBig } from '../common/money';
import { PG_POOL } from '../database/prisma.service';
import { BUDGET_LEVELS, BudgetLevel, LevelRef, levelIdOf, ownerIdOf } from './levels';
import { PATH_READ_SQL } from './path.sql';
import { periodRollSql } from './period-roll.sql';
import { PeriodSpec } from './periods';
import { inTransaction } from './transaction';

export interface BudgetRow {
  id: string;
  level: BudgetLevel;
  /** The owner as answers name it: the tenant, group, agent or run id. */
  levelId: string;
  agentId: string | null;
  hardLimitMicrocents: bigint;
  creditedMicrocents: bigint;
  remainingMicrocents: bigint;
  reservedMicrocents: bigint;
  spentMicrocents: bigint;
  inFlight: number;
  /** The run of the newest call holding on this budget (the seed's lock fields). */
  lockedRunId: string | null;
  lockedExpiresAt: Date | null;
  period: PeriodSpec | null;
  periodStartedAt: Date | null;
  nextResetAt: Date | null;
  periodSpentMicrocents: bigint;
}

/** One level of a call's path and what it has left (a due period reset applied). */
export interface PathLevel {
  level: BudgetLevel;
  levelId: string;
  remainingMicrocents: bigint;
}

/** What a credit (limit set or top-up) asked to add to `remaining`, and what the ceiling let through. */
export interface Credited {
  requestedMicrocents: bigint;
  appliedMicrocents: bigint;
}

/** `undefined`: keep the budget's period; `null`: a lifetime budget (the seed's). */
export type PeriodChange = PeriodSpec | null | undefined;

const ROLL_ONE_SQL = periodRollSql('b.id = $1::uuid');

// A budget as of now: a period that has ended shows as started afresh, as the next statement to
// touch the row will make it (the same arithmetic as path.sql.ts).
const READ_SQL = `
SELECT b.id, b.level, b.owner_id, b.agent_id, b.hard_limit_microcents, b.reserved_microcents, b.spent_microcents, b.in_flight,
       b.period_every, b.period_timezone, d.due,
       CASE WHEN d.due THEN b.hard_limit_microcents - b.reserved_microcents ELSE b.remaining_microcents END AS remaining_microcents,
       b.credited_microcents + CASE WHEN d.due THEN b.hard_limit_microcents - b.reserved_microcents - b.remaining_microcents ELSE 0 END
         AS credited_microcents,
       CASE WHEN d.due THEN 0 ELSE b.period_spent_microcents END AS period_spent_microcents,
       CASE WHEN d.due THEN sg_period_start(b.period_every, b.period_timezone, now()) ELSE b.period_started_at END AS period_started_at,
       CASE WHEN d.due THEN sg_period_end(b.period_every, b.period_timezone, now()) ELSE b.next_reset_at END AS next_reset_at,
       (SELECT r.run_id FROM reservations r WHERE r.tenant_id = b.tenant_id AND r.status = 'open' AND b.id = ANY (r.budget_ids)
         ORDER BY r.created_at DESC LIMIT 1) AS locked_run_id,
       (SELECT max(r.expires_at) FROM reservations r WHERE r.tenant_id = b.tenant_id AND r.status = 'open' AND b.id = ANY (r.budget_ids))
         AS locked_expires_at
  FROM budgets b CROSS JOIN LATERAL (SELECT b.next_reset_at IS NOT NULL AND b.next_reset_at <= now() AS due) d
 WHERE b.tenant_id = $1::uuid AND b.level = $2`;

function toBudgetRow(r: Record<string, any>): BudgetRow {
  return {
    id: r.id,
    level: r.level,
    levelId: levelIdOf(r.level, r.owner_id),
    agentId: r.agent_id,
    hardLimitMicrocents: BigInt(r.hard_limit_microcents),
    creditedMicrocents: BigInt(r.credited_microcents),
    remainingMicrocents: BigInt(r.remaining_microcents),
    reservedMicrocents: BigInt(r.reserved_microcents),
    spentMicrocents: BigInt(r.spent_microcents),
    inFlight: r.in_flight,
    lockedRunId: r.locked_run_id,
    lockedExpiresAt: r.locked_expires_at,
    period: r.period_every ? { every: r.period_every, timezone: r.period_timezone } : null,
    periodStartedAt: r.period_started_at,
    nextResetAt: r.next_reset_at,
    periodSpentMicrocents: BigInt(r.period_spent_microcents),
  };
}

@Injectable()
export class BudgetAccountsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * The seed's `POST …/budget`, on any level: the first call sets remaining to the top-up when
   * positive, else to the limit; later calls set remaining = min(remaining + topup, limit) and
   * overwrite the limit. Under the ceiling (SPEC §3) "the limit" is what it leaves beside the
   * holds in flight: remaining never goes past limit − reserved, and a limit lowered below what
   * is held leaves remaining at 0 (an overrun's debt stays). The change in remaining is a
   * `limit_set` entry. A new period starts the budget's current period now.
   */
  setLimit(tenantId: string, ref: LevelRef, hardLimitMicrocents: bigint, topupMicrocents: bigint, period: PeriodChange): Promise<Credited> {
    return inTransaction(this.pool, async (db) => {
      const { id, first } = await this.ensureRow(db, tenantId, ref);
      await db.query(ROLL_ONE_SQL, [id]);
      const { remaining, reserved, every, timezone } = await this.lockFigures(db, id);
      const requested = first ? (topupMicrocents > 0n ? topupMicrocents : hardLimitMicrocents) : topupMicrocents;
      const target = first ? requested : remaining + topupMicrocents;
      const next = maxBig(minBig(target, hardLimitMicrocents - reserved), minBig(remaining, 0n));
      const periodChanged = period !== undefined && ((period?.every ?? null) !== every || (period?.timezone ?? null) !== timezone);
      await db.query(
        `UPDATE budgets SET hard_limit_microcents = $2::bigint, credited_microcents = credited_microcents + $3::bigint,
                remaining_microcents = $4::bigint, updated_at = now()
          WHERE id = $1::uuid`,
        [id, hardLimitMicrocents.toString(), (next - remaining).toString(), next.toString()],
      );
      if (periodChanged) await this.setPeriod(db, id, period ?? null);
      await this.entry(db, tenantId, id, ref, 'limit_set', next - remaining, next, {
        hard_limit_microcents: hardLimitMicrocents.toString(),
        topup_microcents: topupMicrocents.toString(),
        requested_microcents: requested.toString(),
        applied_microcents: (next - remaining).toString(),
        first_set: first,
        ...(periodChanged ? { period: period ?? null } : {}),
      });
      return { requestedMicrocents: requested, appliedMicrocents: next - remaining };
    });
  }

  /** Adds to remaining, as far as the ceiling allows (remaining + reserved ≤ hard limit); null without a budget. */
  topup(tenantId: string, ref: LevelRef, amountMicrocents: bigint): Promise<Credited | null> {
    return inTransaction(this.pool, async (db) => {
      const found = await db.query('SELECT id FROM budgets WHERE tenant_id = $1::uuid AND level = $2 AND owner_id = $3 FOR UPDATE', [
        tenantId,
        ref.level,
        ownerIdOf(ref),
      ]);
      if (found.rowCount === 0) return null;
      const id: string = found.rows[0].id;
      await db.query(ROLL_ONE_SQL, [id]);
      const { remaining, reserved, limit } = await this.lockFigures(db, id);
      const applied = maxBig(0n, minBig(amountMicrocents, limit - reserved - remaining));
      await db.query(
        `UPDATE budgets SET credited_microcents = credited_microcents + $2::bigint, remaining_microcents = $3::bigint, updated_at = now()
          WHERE id = $1::uuid`,
        [id, applied.toString(), (remaining + applied).toString()],
      );
      await this.entry(db, tenantId, id, ref, 'topup', applied, remaining + applied, {
        requested_microcents: amountMicrocents.toString(),
        applied_microcents: applied.toString(),
      });
      return { requestedMicrocents: amountMicrocents, appliedMicrocents: applied };
    });
  }

  async get(tenantId: string, ref: LevelRef): Promise<BudgetRow | null> {
    const { rows } = await this.pool.query(`${READ_SQL} AND b.owner_id = $3`, [tenantId, ref.level, ownerIdOf(ref)]);
    return rows.length === 0 ? null : toBudgetRow(rows[0]);
  }

  /**
   * The budgets on a call's path (tenant, groups, agent, run), outermost first, as of now; null
   * when the agent does not exist (or was deleted). Nothing is locked or written.
   */
  async pathOf(tenantId: string, agentId: string, runId: string | null): Promise<PathLevel[] | null> {
    const { rows } = await this.pool.query(PATH_READ_SQL, [tenantId, agentId, runId]);
    if (rows.length === 0 || rows[0].agent_found === 0) return null;
    return rows
      .filter((r) => r.id !== null)
      .map((r) => ({ level: r.level, levelId: levelIdOf(r.level, r.owner_id), remainingMicrocents: BigInt(r.eff) }))
      .sort((a, b) => BUDGET_LEVELS.indexOf(a.level) - BUDGET_LEVELS.indexOf(b.level));
  }

  /** The budgets of several owners of one level (those that have one). */
  async getMany(tenantId: string, level: BudgetLevel, ownerIds: string[]): Promise<BudgetRow[]> {
    if (ownerIds.length === 0) return [];
    const { rows } = await this.pool.query(`${READ_SQL} AND b.owner_id = ANY ($3::text[])`, [tenantId, level, ownerIds]);
    return rows.map(toBudgetRow);
  }

  private async ensureRow(db: PoolClient, tenantId: string, ref: LevelRef): Promise<{ id: string; first: boolean }> {
    const inserted = await db.query(
      `INSERT INTO budgets (id, tenant_id, level, owner_id, group_id, agent_id, run_id, hard_limit_microcents, credited_microcents,
                            remaining_microcents, reserved_microcents, spent_microcents, in_flight)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4::uuid, $5, $6, 0, 0, 0, 0, 0, 0)
       ON CONFLICT (tenant_id, level, owner_id) DO NOTHING
       RETURNING id`,
      [
        tenantId,
        ref.level,
        ownerIdOf(ref),
        ref.level === 'group' ? ref.groupId : null,
        ref.level === 'agent' || ref.level === 'run' ? ref.agentId : null,
        ref.level === 'run' ? ref.runId : null,
      ],
    );
    if (inserted.rowCount === 1) return { id: inserted.rows[0].id, first: true };
    const { rows } = await db.query('SELECT id FROM budgets WHERE tenant_id = $1::uuid AND level = $2 AND owner_id = $3', [
      tenantId,
      ref.level,
      ownerIdOf(ref),
    ]);
    return { id: rows[0].id, first: false };
  }

  private async lockFigures(db: PoolClient, id: string) {
    const { rows } = await db.query(
      `SELECT remaining_microcents, reserved_microcents, hard_limit_microcents, period_every, period_timezone
         FROM budgets WHERE id = $1::uuid FOR UPDATE`,
      [id],
    );
    const r = rows[0];
    return {
      remaining: BigInt(r.remaining_microcents),
      reserved: BigInt(r.reserved_microcents),
      limit: BigInt(r.hard_limit_microcents),
      every: r.period_every as string | null,
      timezone: r.period_timezone as string | null,
    };
  }

  /** A new period starts now (the current one of its kind: this day, week, month…); null: none. */
  private async setPeriod(db: PoolClient, id: string, period: PeriodSpec | null): Promise<void> {
    await db.query(
      `UPDATE budgets
          SET period_every = $2, period_timezone = $3, period_spent_microcents = 0,
              period_started_at = CASE WHEN $2::text IS NULL THEN NULL ELSE sg_period_start($2, $3, now()) END,
              next_reset_at = CASE WHEN $2::text IS NULL THEN NULL ELSE sg_period_end($2, $3, now()) END
        WHERE id = $1::uuid`,
      [id, period?.every ?? null, period?.timezone ?? null],
    );
  }

  private async entry(
    db: PoolClient,
    tenantId: string,
    budgetId: string,
    ref: LevelRef,
    kind: 'limit_set' | 'topup',
    amountMicrocents: bigint,
    remainingMicrocents: bigint,
    details: Record<string, unknown>,
  ): Promise<void> {
    await db.query(
      `INSERT INTO ledger_entries (id, tenant_id, budget_id, agent_id, run_id, kind, amount_microcents, balance_after_microcents, details)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, $5, $6::bigint, $7::bigint, $8::jsonb)`,
      [
        tenantId,
        budgetId,
        ref.level === 'agent' || ref.level === 'run' ? ref.agentId : null,
        ref.level === 'run' ? ref.runId : null,
        kind,
        amountMicrocents.toString(),
        remainingMicrocents.toString(),
        JSON.stringify(details),
      ],
    );
  }
}
