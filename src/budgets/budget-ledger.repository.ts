// All SQL that moves money (STYLE: "all SQL that moves money in the budgets module"). Each
// operation keeps remaining + reserved + spent = credited on the budget row (a CHECK constraint
// enforces it) and appends the ledger entries that explain the move.
//
// Postings, as the signed change each entry kind makes (amount_microcents):
//   limit_set, topup, adjustment  remaining += a, credited += a
//   reserve  (a = -hold)          remaining += a, reserved -= a
//   release  (a = +unused hold)   remaining += a, reserved -= a
//   settle   (a = -cost ≤ hold)   reserved  += a, spent    -= a   (remaining unchanged)
//   expire   (a = -hold)          reserved  += a, spent    -= a   (remaining unchanged)
//   overrun  (a = -cost above the hold)  remaining += a, spent -= a
// balance_after_microcents is always `remaining` after the entry.
//
// The hard limit is a ceiling on what can still be spent (SPEC §3): after every operation that
// adds to `remaining`, remaining + reserved ≤ hard_limit. What would lift it higher is not
// applied, and the entry says what was asked and what was applied.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import type { Concurrency } from '../agents/agents.service';
import { isDatabaseUnavailable } from '../common/errors/database-unavailable';
import { maxBig, MAX_MICROCENTS, minBig } from '../common/money';
import { PG_POOL } from '../database/prisma.service';
import { MetricsService } from '../metrics/metrics.service';
import { BatchCombiner } from './batch-combiner';
import { FINALIZE_SQL } from './finalize.sql';
import { HOLD_BATCH_SQL } from './hold-batch.sql';
import { HOLD_SQL } from './hold.sql';
import { HoldLanes, LaneJob } from './hold-lanes';
import { Reservation, ReservationLedger } from './reservation';
import { withRetry } from './retry';
import { inTransaction } from './transaction';

export interface BudgetRow {
  agentId: string;
  hardLimitMicrocents: bigint;
  creditedMicrocents: bigint;
  remainingMicrocents: bigint;
  reservedMicrocents: bigint;
  spentMicrocents: bigint;
  inFlight: number;
  lockedRunId: string | null;
  lockedExpiresAt: Date | null;
}

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

type Taken = { ok: true; reservationId: string; remainingMicrocents: bigint; concurrency: Concurrency };

export type HoldResult =
  | (Taken & { reservation: Reservation })
  | { ok: false; reason: 'agent_not_found' | 'budget_not_found' | 'insufficient_budget'; remainingMicrocents?: bigint };

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
  private readonly holdCombiner = new BatchCombiner<LaneJob<QueuedHold, HoldResult | Taken>>((jobs) => this.runHolds(jobs), HOLD_STATEMENTS_IN_FLIGHT, MAX_HOLD_BATCH);
  private readonly holdLanes = new HoldLanes<QueuedHold, HoldResult | Taken>((jobs) => this.holdCombiner.run(jobs), MAX_HOLD_BATCH);

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
    if (req.amountMicrocents > MAX_MICROCENTS) return this.whyNoHold(req.tenantId, req.agentId);
    const res = await this.holdLanes.submit(`${req.tenantId}:${req.agentId}`, { ...req, reservationId: randomUUID() });
    if (!res.ok) return res;
    const deadlineAt = req.deadlineAt ?? Date.now() + req.ttlSeconds * 1000;
    return { ...res, reservation: new Reservation(this, req.tenantId, res.reservationId, req.amountMicrocents, deadlineAt) };
  }

  /**
   * Queued holds (of one or more agents): one statement for all, then one by one for any it could
   * not take. Should the shared statement fail, each hold is tried alone, so one caller's hold can
   * only ever fail its own call.
   */
  private async runHolds(jobs: LaneJob<QueuedHold, HoldResult | Taken>[]): Promise<void> {
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

  private async holdOne(req: QueuedHold): Promise<HoldResult | Taken> {
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
    if (rows.length === 1) {
      return {
        ok: true,
        reservationId: req.reservationId,
        remainingMicrocents: BigInt(rows[0].remaining_microcents),
        concurrency: rows[0].concurrency,
      };
    }
    return this.whyNoHold(req.tenantId, req.agentId);
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

  private async whyNoHold(tenantId: string, agentId: string): Promise<Exclude<HoldResult, Taken>> {
    const { rows } = await this.pool.query(
      `SELECT a.deleted_at, b.remaining_microcents
         FROM agents a LEFT JOIN budgets b ON b.tenant_id = a.tenant_id AND b.agent_id = a.id
        WHERE a.id = $1 AND a.tenant_id = $2::uuid`,
      [agentId, tenantId],
    );
    if (rows.length === 0 || rows[0].deleted_at) return { ok: false, reason: 'agent_not_found' };
    if (rows[0].remaining_microcents === null) return { ok: false, reason: 'budget_not_found' };
    return { ok: false, reason: 'insufficient_budget', remainingMicrocents: BigInt(rows[0].remaining_microcents) };
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

  /**
   * The seed's `POST …/budget`: the first call sets remaining to the top-up when positive, else
   * to the limit; later calls set remaining = min(remaining + topup, limit) and overwrite the
   * limit. Under the ceiling (SPEC §3) "the limit" is what it leaves beside the holds in flight:
   * remaining never goes past limit − reserved, and a limit lowered below what is held leaves
   * remaining at 0 (an overrun's debt stays). The change in remaining is a `limit_set` entry.
   */
  setLimit(tenantId: string, agentId: string, hardLimitMicrocents: bigint, topupMicrocents: bigint): Promise<Credited> {
    return inTransaction(this.pool, async (db) => {
      const inserted = await db.query(
        `INSERT INTO budgets (agent_id, tenant_id, hard_limit_microcents, credited_microcents, remaining_microcents,
                              reserved_microcents, spent_microcents, in_flight)
         VALUES ($1, $2::uuid, 0, 0, 0, 0, 0, 0) ON CONFLICT (tenant_id, agent_id) DO NOTHING`,
        [agentId, tenantId],
      );
      const first = inserted.rowCount === 1;
      const { remaining, reserved } = await this.lockFigures(db, tenantId, agentId);
      const requested = first ? (topupMicrocents > 0n ? topupMicrocents : hardLimitMicrocents) : topupMicrocents;
      const target = first ? requested : remaining + topupMicrocents;
      const next = maxBig(minBig(target, hardLimitMicrocents - reserved), minBig(remaining, 0n));
      await this.credit(db, tenantId, agentId, 'limit_set', next - remaining, next, hardLimitMicrocents, {
        hard_limit_microcents: hardLimitMicrocents.toString(),
        topup_microcents: topupMicrocents.toString(),
        requested_microcents: requested.toString(),
        applied_microcents: (next - remaining).toString(),
        first_set: first,
      });
      return { requestedMicrocents: requested, appliedMicrocents: next - remaining };
    });
  }

  /** Adds to remaining, as far as the ceiling allows (remaining + reserved ≤ hard limit); null without a budget. */
  topup(tenantId: string, agentId: string, amountMicrocents: bigint): Promise<Credited | null> {
    return inTransaction(this.pool, async (db) => {
      const row = await db.query(
        `SELECT remaining_microcents, reserved_microcents, hard_limit_microcents FROM budgets
          WHERE agent_id = $1 AND tenant_id = $2::uuid FOR UPDATE`,
        [agentId, tenantId],
      );
      if (row.rowCount === 0) return null;
      const remaining = BigInt(row.rows[0].remaining_microcents);
      const reserved = BigInt(row.rows[0].reserved_microcents);
      const limit = BigInt(row.rows[0].hard_limit_microcents);
      const applied = maxBig(0n, minBig(amountMicrocents, limit - reserved - remaining));
      await this.credit(db, tenantId, agentId, 'topup', applied, remaining + applied, limit, {
        requested_microcents: amountMicrocents.toString(),
        applied_microcents: applied.toString(),
      });
      return { requestedMicrocents: amountMicrocents, appliedMicrocents: applied };
    });
  }

  async get(tenantId: string, agentId: string): Promise<BudgetRow | null> {
    const { rows } = await this.pool.query(
      `SELECT b.*,
              (SELECT run_id FROM reservations r WHERE r.tenant_id = b.tenant_id AND r.agent_id = b.agent_id AND r.status = 'open'
                ORDER BY r.created_at DESC LIMIT 1) AS locked_run_id,
              (SELECT max(expires_at) FROM reservations r
                WHERE r.tenant_id = b.tenant_id AND r.agent_id = b.agent_id AND r.status = 'open') AS locked_expires_at
         FROM budgets b WHERE b.agent_id = $1 AND b.tenant_id = $2::uuid`,
      [agentId, tenantId],
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      agentId: r.agent_id,
      hardLimitMicrocents: BigInt(r.hard_limit_microcents),
      creditedMicrocents: BigInt(r.credited_microcents),
      remainingMicrocents: BigInt(r.remaining_microcents),
      reservedMicrocents: BigInt(r.reserved_microcents),
      spentMicrocents: BigInt(r.spent_microcents),
      inFlight: r.in_flight,
      lockedRunId: r.locked_run_id,
      lockedExpiresAt: r.locked_expires_at,
    };
  }

  private async lockFigures(db: PoolClient, tenantId: string, agentId: string): Promise<{ remaining: bigint; reserved: bigint }> {
    const { rows } = await db.query(
      'SELECT remaining_microcents, reserved_microcents FROM budgets WHERE tenant_id = $1::uuid AND agent_id = $2 FOR UPDATE',
      [tenantId, agentId],
    );
    return { remaining: BigInt(rows[0].remaining_microcents), reserved: BigInt(rows[0].reserved_microcents) };
  }

  private async credit(
    db: PoolClient,
    tenantId: string,
    agentId: string,
    kind: 'limit_set' | 'topup',
    deltaMicrocents: bigint,
    remainingMicrocents: bigint,
    hardLimitMicrocents: bigint,
    details: Record<string, unknown>,
  ): Promise<void> {
    await db.query(
      `UPDATE budgets SET hard_limit_microcents = $2::bigint, credited_microcents = credited_microcents + $3::bigint,
              remaining_microcents = $4::bigint, updated_at = now()
        WHERE agent_id = $1 AND tenant_id = $5::uuid`,
      [agentId, hardLimitMicrocents.toString(), deltaMicrocents.toString(), remainingMicrocents.toString(), tenantId],
    );
    await db.query(
      `INSERT INTO ledger_entries (id, tenant_id, agent_id, kind, amount_microcents, balance_after_microcents, details)
       VALUES (gen_random_uuid(), $1::uuid, $2, $3, $4::bigint, $5::bigint, $6::jsonb)`,
      [tenantId, agentId, kind, deltaMicrocents.toString(), remainingMicrocents.toString(), JSON.stringify(details)],
    );
  }

}
