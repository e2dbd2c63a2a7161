// The metered path's money moves (STYLE: "all SQL that moves money in the budgets module"): holds
// across every level of a call's path (SPEC §10), and their settle, release and expiry. Credits
// and reads of the budget rows are in budget-accounts.repository.ts. Each operation keeps
// remaining + reserved + spent = credited on every budget row it touches (a CHECK constraint
// enforces it) and appends, per row, the ledger entries that explain the move.
//
// Postings, as the signed change each entry kind makes (amount_microcents):
//   limit_set, topup, adjustment  remaining += a, credited += a
//   reserve  (a = -hold)          remaining += a, reserved -= a
//   release  (a = +unused hold)   remaining += a, reserved -= a
//   settle   (a = -cost ≤ hold)   reserved  += a, spent    -= a   (remaining unchanged)
//   expire   (a = -hold)          reserved  += a, spent    -= a   (remaining unchanged)
//   overrun  (a = -cost above the hold)  remaining += a, spent -= a
//   period_reset (a = remaining after − before)  remaining += a, credited += a
// balance_after_microcents is always `remaining` of the entry's row after the entry.
//
// The hard limit is a ceiling on what can still be spent (SPEC §3): after every operation that
// adds to `remaining`, remaining + reserved ≤ hard_limit. What would lift it higher is not
// applied, and the entry says what was asked and what was applied.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import type { Concurrency } from '../agents/agents.service';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { MAX_MICROCENTS, minBig } from '../common/money';
import { PG_POOL } from '../database/prisma.service';
import { MetricsService } from '../metrics/metrics.service';
import { BatchCombiner } from './batch-combiner';
import { FINALIZE_SQL } from './finalize.sql';
import { HOLD_BATCH_SQL } from './hold-batch.sql';
import { HOLD_SQL } from './hold.sql';
import { HoldLanes, LaneJob } from './hold-lanes';
import { BudgetLevel, levelIdOf } from './levels';
import { PERIOD_ROLL_SQL } from './period-roll.sql';
import { Reservation, ReservationLedger } from './reservation';
import { withRetry } from './retry';

export interface HoldRequest {
  tenantId: string;
  agentId: string;
  runId: string;
  requestId: string;
  amountMicrocents: bigint;
  ttlSeconds: number;
  /**
   * Epoch ms past which nothing keeps the hold alive and its handle expires it, charged in full,
   * if still open (the call's deadline). Default: the hold's own TTL.
   */
  deadlineAt?: number;
  provider?: string | null;
  model?: string | null;
}

type QueuedHold = HoldRequest & { reservationId: string };

/** Hold statements running at once from one instance (the rest of the pool serves settles and reads). */
const HOLD_STATEMENTS_IN_FLIGHT = 3;
const MAX_HOLD_BATCH = 256;

/** `remainingMicrocents`: the least any level of the path has left after the hold. */
type Taken = { ok: true; reservationId: string; remainingMicrocents: bigint; concurrency: Concurrency };

/** The level that refused a hold (the one with least room): for the 402 and the clamp. */
export interface Refusal {
  ok: false;
  reason: 'insufficient_budget';
  remainingMicrocents: bigint;
  level: BudgetLevel;
  levelId: string;
}

type NotHeld = Refusal | { ok: false; reason: 'agent_not_found' } | { ok: false; reason: 'budget_not_found' };

export type HoldResult = (Taken & { reservation: Reservation }) | NotHeld;

/** What a hold statement answers for one queued hold. */
type Answer = Taken | NotHeld;

export interface SettleDetails {
  usage?: unknown;
  costBreakdown?: unknown;
  priceVersion?: string | null;
  details?: unknown;
}

export interface Finalized {
  agentId: string;
  holdMicrocents: bigint;
  costMicrocents: bigint;
  remainingMicrocents: bigint;
}

/** What a credit (limit set or top-up) asked to add to `remaining`, and what the ceiling let through. */
export interface Credited {
  requestedMicrocents: bigint;
  appliedMicrocents: bigint;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

const EXPIRE_DUE_SQL = `
SELECT r.id, r.tenant_id, r.amount_microcents
  FROM reservations r
 WHERE r.status = 'open' AND r.expires_at < now()
 ORDER BY r.expires_at
 LIMIT $1`;

@Injectable()
export class BudgetLedgerRepository implements ReservationLedger {
  private readonly holdCombiner = new BatchCombiner<LaneJob<QueuedHold, Answer>>((jobs) => this.runHolds(jobs), HOLD_STATEMENTS_IN_FLIGHT, MAX_HOLD_BATCH);
  private readonly holdLanes = new HoldLanes<QueuedHold, Answer>((jobs) => this.holdCombiner.run(jobs), MAX_HOLD_BATCH);

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Takes a hold of `amountMicrocents` if it fits in what is left after every other open hold,
   * and hands back its Reservation. An amount no budget could hold is refused here, before any
   * SQL, so it can never break a statement it shares with other callers' holds.
   */
  async hold(req: HoldRequest): Promise<HoldResult> {
    if (req.amountMicrocents < 1n) throw new RangeError('a hold is at least 1 µ¢');
    // More than any budget holds: asked alone for one µ¢ more than the most, which never fits and
    // so says which level refuses it and what that level has left.
    const amountMicrocents = minBig(req.amountMicrocents, MAX_MICROCENTS + 1n);
    const res = await this.holdLanes.submit(`${req.tenantId}:${req.agentId}`, { ...req, amountMicrocents, reservationId: randomUUID() });
    if (!res.ok) return res;
    const deadlineAt = req.deadlineAt ?? Date.now() + req.ttlSeconds * 1000;
    return { ...res, reservation: new Reservation(this, req.tenantId, res.reservationId, req.amountMicrocents, deadlineAt) };
  }

  /**
   * Queued holds (of one or more agents): one statement for all, then one by one for any it could
   * not take. Should the shared statement fail, each hold is tried alone, so one caller's hold can
   * only ever fail its own call.
   */
  private async runHolds(jobs: LaneJob<QueuedHold, Answer>[]): Promise<void> {
    let rest = jobs;
    if (jobs.length > 1) {
      const taken = await this.holdBatch(jobs.map((j) => j.req)).catch((err: unknown) => {
        if (isDatabaseUnavailable(err)) throw err;
        return new Map<string, Taken>();
      });
      rest = [];
      for (const job of jobs) {
        const held = taken.get(job.req.reservationId);
        if (held) job.resolve(held);
        else rest.push(job);
      }
    }
    for (const job of rest) {
      try {
        job.resolve(await this.holdOne(job.req));
      } catch (err) {
        job.reject(err);
      }
    }
  }

  private async holdOne(req: QueuedHold): Promise<Answer> {
    const { rows } = await withRetry(() =>
      this.pool.query({
        name: 'sg_hold',
        text: HOLD_SQL,
        values: [
          req.reservationId,
          req.tenantId,
          req.agentId,
          req.runId,
          req.amountMicrocents.toString(),
          req.requestId,
          req.provider ?? null,
          req.model ?? null,
          req.ttlSeconds,
        ],
      }),
    );
    const row = rows[0];
    if (!row.agent_found) return { ok: false, reason: 'agent_not_found' };
    if (row.levels === 0) return { ok: false, reason: 'budget_not_found' };
    const remainingMicrocents = BigInt(row.eff);
    if (row.fits) {
      return { ok: true, reservationId: req.reservationId, remainingMicrocents: remainingMicrocents - req.amountMicrocents, concurrency: row.concurrency };
    }
    return { ok: false, reason: 'insufficient_budget', remainingMicrocents, level: row.level, levelId: levelIdOf(row.level, row.owner_id) };
  }

  /** Holds in arrival order: those it could take, by reservation id. */
  private async holdBatch(reqs: QueuedHold[]): Promise<Map<string, Taken>> {
    const { rows } = await withRetry(() =>
      this.pool.query({
        name: 'sg_hold_batch',
        text: HOLD_BATCH_SQL,
        values: [
          reqs.map((r) => r.reservationId),
          reqs.map((r) => r.tenantId),
          reqs.map((r) => r.agentId),
          reqs.map((r) => r.runId),
          reqs.map((r) => r.requestId),
          reqs.map((r) => r.amountMicrocents.toString()),
          reqs.map((r) => r.provider ?? null),
          reqs.map((r) => r.model ?? null),
          reqs.map((r) => r.ttlSeconds),
        ],
      }),
    );
    return new Map(
      rows.map((row): [string, Taken] => [
        row.id,
        { ok: true, reservationId: row.id, remainingMicrocents: BigInt(row.remaining_microcents), concurrency: row.concurrency },
      ]),
    );
  }

  /** Charges the real cost: the rest of the hold is released, any excess is an overrun. */
  settle(tenantId: string, reservationId: string, costMicrocents: bigint, info: SettleDetails = {}): Promise<Finalized | null> {
    if (costMicrocents < 0n) throw new RangeError('a cost is never negative');
    // A cost past any real price (a provider reporting absurd usage) is charged as the largest
    // amount the ledger keeps, rather than failing the statement and leaving the hold open.
    return this.finalize(tenantId, reservationId, 'settled', minBig(costMicrocents, MAX_MICROCENTS), info);
  }

  /** Voids a hold in full (the call was refused upstream or never made); `details` says why. */
  release(tenantId: string, reservationId: string, details?: unknown): Promise<Finalized | null> {
    return this.finalize(tenantId, reservationId, 'released', 0n, { details });
  }

  /** Charges the whole hold, as the sweeper does: nobody can say what the call cost. */
  async expire(tenantId: string, reservationId: string, details?: unknown): Promise<Finalized | null> {
    const { rows } = await this.pool.query('SELECT amount_microcents FROM reservations WHERE id = $1::uuid AND tenant_id = $2::uuid', [
      reservationId,
      tenantId,
    ]);
    if (rows.length === 0) return null;
    return this.finalize(tenantId, reservationId, 'expired', BigInt(rows[0].amount_microcents), { details });
  }

  /**
   * Pushes a running call's hold expiry out (its heartbeat), never past `notAfter` (the call's
   * deadline); false once it is no longer open.
   */
  async extendHold(tenantId: string, reservationId: string, ttlSeconds: number, notAfter: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'sg_extend_hold',
      text: `UPDATE reservations SET expires_at = LEAST(now() + make_interval(secs => $3::int), $4::timestamptz)
              WHERE id = $1::uuid AND tenant_id = $2::uuid AND status = 'open'`,
      values: [reservationId, tenantId, ttlSeconds, notAfter],
    });
    return rowCount === 1;
  }

  /**
   * Expires holds past their expiry (left by a dead instance): each is charged in full, which
   * keeps the cap safe whatever the lost call really cost. Returns how many were expired.
   */
  async expireDue(batchSize = 500): Promise<number> {
    const { rows } = await this.pool.query(EXPIRE_DUE_SQL, [batchSize]);
    let expired = 0;
    for (const row of rows) {
      const done = await this.finalize(row.tenant_id, row.id, 'expired', BigInt(row.amount_microcents), {
        details: { reason: 'reservation_ttl_elapsed' },
      });
      if (done) expired++;
    }
    return expired;
  }

  /**
   * Starts afresh the budgets whose period has ended and that nothing has touched since (a hold
   * or a settle would have): a `period_reset` entry each, so budgets and ledgers read right
   * without waiting for the next call. Returns how many were reset.
   */
  async rollDuePeriods(batchSize = 500): Promise<number> {
    const { rows } = await withRetry(() => this.pool.query(PERIOD_ROLL_SQL, [batchSize]));
    return rows[0].rolled;
  }

  private async finalize(
    tenantId: string,
    reservationId: string,
    status: 'settled' | 'released' | 'expired',
    costMicrocents: bigint,
    info: SettleDetails,
  ): Promise<Finalized | null> {
    const { rows } = await withRetry(() =>
      this.pool.query({
        name: 'sg_finalize',
        text: FINALIZE_SQL,
        values: [
          reservationId,
          tenantId,
          costMicrocents.toString(),
          status,
          json(info.usage),
          json(info.costBreakdown),
          json(info.details),
          info.priceVersion ?? null,
        ],
      }),
    );
    if (rows.length === 0) return null;
    const holdMicrocents = BigInt(rows[0].hold);
    if (costMicrocents > 0n) this.metrics.spentMicrocents.inc(Number(costMicrocents));
    if (costMicrocents > holdMicrocents) this.metrics.overruns.inc();
    return {
      agentId: rows[0].agent_id,
      holdMicrocents,
      costMicrocents,
      remainingMicrocents: BigInt(rows[0].remaining),
    };
  }
}
