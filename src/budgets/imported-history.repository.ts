// Writes an agent's finished history brought from elsewhere (the seed's SQLite store, through
// src/seed-import): a budget, an opening credit, then each past call as a hold that was settled
// or released, with its run and its reservation, in the same postings as a live call
// (budget-ledger.repository.ts, docs/ledger.md). So the ledger replays exactly to the budget row,
// and `remaining + reserved + spent = credited` holds, as for any other agent (SPEC §5).
//
// Once only: the budget row is inserted first and only if the agent has none (its primary key),
// so a second import of the same agent — another instance booting on the same file, a retry —
// writes nothing. Every call's reservation id is derived from the tenant, the agent and the
// call's key, so the same call can never be written twice either.
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { MAX_MICROCENTS, minBig } from '../common/money';
import { PG_POOL } from '../database/prisma.service';
import { inTransaction } from './transaction';

export interface HistoricBudget {
  hardLimitMicrocents: bigint;
  /** What the agent has left at the end of its history; the opening credit is this plus what its calls cost. */
  remainingMicrocents: bigint;
  /** When the opening credit is dated: no later than the first call. */
  openedAt: Date;
  /** Merged into the opening `limit_set` entry's details. */
  details: Record<string, unknown>;
}

export interface HistoricCall {
  /** Unique among the agent's imported calls (e.g. the source's row id). */
  key: string;
  runId: string;
  requestId: string;
  provider: string;
  model: string;
  /** The worst case held, at least 1 µ¢ (a hold is never 0). */
  holdMicrocents: bigint;
  costMicrocents: bigint;
  /** A failed call that cost nothing is released, as a live call refused upstream is. */
  failed: boolean;
  at: Date;
  usage: unknown;
  /** On every entry of the call. */
  details: Record<string, unknown>;
  /** Added to the entry that closes the call (settle, or release for a failed call). */
  closingDetails: Record<string, unknown>;
}

interface Entry {
  kind: 'limit_set' | 'reserve' | 'settle' | 'release' | 'overrun';
  amount: string;
  balance: string;
  reservation_id: string | null;
  run_id: string | null;
  request_id: string | null;
  provider: string | null;
  model: string | null;
  usage: unknown;
  details: unknown;
  created_at: string;
}

/** Rows per INSERT, so no statement runs long on a large history. */
const CHUNK = 2_000;

const INSERT_BUDGET_SQL = `
INSERT INTO budgets (id, level, owner_id, agent_id, tenant_id, hard_limit_microcents, credited_microcents, remaining_microcents,
                     reserved_microcents, spent_microcents, period_spent_microcents, in_flight)
VALUES (gen_random_uuid(), 'agent', $2, $2, $1::uuid, $3::bigint, $4::bigint, $5::bigint, 0, $6::bigint, $6::bigint, 0)
ON CONFLICT (tenant_id, level, owner_id) DO NOTHING
RETURNING id`;

const INSERT_RUNS_SQL = `
INSERT INTO runs (agent_id, id, tenant_id, created_at)
SELECT $2, r.id, $1::uuid, r.created_at
  FROM jsonb_to_recordset($3::jsonb) AS r(id text, created_at timestamptz)
ON CONFLICT DO NOTHING`;

const INSERT_RESERVATIONS_SQL = `
INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, budget_ids, cost_microcents, status,
                          provider, model, created_at, expires_at, finished_at)
SELECT r.id, $1::uuid, $2, r.run_id, r.request_id, r.amount, ARRAY[$4::uuid], r.cost, r.status, r.provider, r.model, r.at, r.at, r.at
  FROM jsonb_to_recordset($3::jsonb)
       AS r(id uuid, run_id text, request_id text, amount bigint, cost bigint, status text, provider text, model text, at timestamptz)`;

// WITH ORDINALITY … ORDER BY: entries take their seq in the order of the history.
const INSERT_ENTRIES_SQL = `
INSERT INTO ledger_entries (id, tenant_id, budget_id, agent_id, kind, amount_microcents, balance_after_microcents,
                            reservation_id, run_id, request_id, provider, model, usage, details, created_at)
SELECT gen_random_uuid(), $1::uuid, $4::uuid, $2, e.kind, e.amount, e.balance, e.reservation_id, e.run_id, e.request_id,
       e.provider, e.model, e.usage, e.details, e.created_at
  FROM ROWS FROM (jsonb_to_recordset($3::jsonb)
         AS (kind text, amount bigint, balance bigint, reservation_id uuid, run_id text, request_id text, provider text,
             model text, usage jsonb, details jsonb, created_at timestamptz)) WITH ORDINALITY
       AS e(kind, amount, balance, reservation_id, run_id, request_id, provider, model, usage, details, created_at, ord)
 ORDER BY e.ord`;

@Injectable()
export class ImportedHistoryRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Writes the budget and its history in one transaction (a savepoint inside a caller's
   * transaction scope); false, with nothing written, when the agent already has a budget.
   * The agent row must exist.
   */
  async importHistory(tenantId: string, agentId: string, budget: HistoricBudget, calls: HistoricCall[]): Promise<boolean> {
    const spent = calls.reduce((sum, c) => sum + c.costMicrocents, 0n);
    const credited = budget.remainingMicrocents + spent;
    checkAmounts(budget, calls, credited);
    const plan = postings(tenantId, agentId, budget, calls, credited);
    return inTransaction(this.pool, async (db) => {
      const inserted = await db.query(INSERT_BUDGET_SQL, [
        tenantId,
        agentId,
        budget.hardLimitMicrocents.toString(),
        credited.toString(),
        budget.remainingMicrocents.toString(),
        spent.toString(),
      ]);
      if (inserted.rowCount !== 1) return false;
      const budgetId: string = inserted.rows[0].id;
      for (const part of chunks(plan.runs)) await db.query(INSERT_RUNS_SQL, [tenantId, agentId, JSON.stringify(part)]);
      for (const part of chunks(plan.reservations)) await db.query(INSERT_RESERVATIONS_SQL, [tenantId, agentId, JSON.stringify(part), budgetId]);
      for (const part of chunks(plan.entries)) await db.query(INSERT_ENTRIES_SQL, [tenantId, agentId, JSON.stringify(part), budgetId]);
      return true;
    });
  }

}

function checkAmounts(budget: HistoricBudget, calls: HistoricCall[], credited: bigint): void {
  const inRange = (v: bigint, min: bigint) => v >= min && v <= MAX_MICROCENTS;
  if (!inRange(budget.hardLimitMicrocents, 0n) || !inRange(budget.remainingMicrocents, 0n) || !inRange(credited, 0n)) {
    throw new RangeError('an imported budget is between 0 and MAX_MICROCENTS, and so is what it was credited');
  }
  for (const c of calls) {
    if (!inRange(c.holdMicrocents, 1n) || !inRange(c.costMicrocents, 0n)) throw new RangeError(`imported call ${c.key}: a hold is at least 1 µ¢, a cost 0 or more`);
  }
}

/** The rows to write, with each entry's running balance; the last balance is the budget's remaining. */
function postings(tenantId: string, agentId: string, budget: HistoricBudget, calls: HistoricCall[], credited: bigint) {
  const entries: Entry[] = [];
  const reservations: Record<string, unknown>[] = [];
  const runs = new Map<string, string>();
  let balance = 0n;
  const entry = (kind: Entry['kind'], amount: bigint, call: HistoricCall | null, reservationId: string | null, extra: Partial<Entry> = {}) => {
    // A settle moves held money to spent: remaining, which balances show, is unchanged.
    balance += kind === 'settle' ? 0n : amount;
    entries.push({
      kind,
      amount: amount.toString(),
      balance: balance.toString(),
      reservation_id: reservationId,
      run_id: call?.runId ?? null,
      request_id: call?.requestId ?? null,
      provider: call?.provider ?? null,
      model: call?.model ?? null,
      usage: null,
      details: call?.details ?? null,
      created_at: (call?.at ?? budget.openedAt).toISOString(),
      ...extra,
    });
  };

  entry('limit_set', credited, null, null, {
    details: {
      ...budget.details,
      hard_limit_microcents: budget.hardLimitMicrocents.toString(),
      requested_microcents: credited.toString(),
      applied_microcents: credited.toString(),
      first_set: true,
    },
  });
  for (const call of calls) {
    const id = reservationIdOf(tenantId, agentId, call.key);
    const released = call.failed && call.costMicrocents === 0n;
    const closing = { ...call.details, ...call.closingDetails };
    if (!runs.has(call.runId)) runs.set(call.runId, call.at.toISOString());
    reservations.push({
      id,
      run_id: call.runId,
      request_id: call.requestId,
      amount: call.holdMicrocents.toString(),
      cost: (released ? 0n : call.costMicrocents).toString(),
      status: released ? 'released' : 'settled',
      provider: call.provider,
      model: call.model,
      at: call.at.toISOString(),
    });
    entry('reserve', -call.holdMicrocents, call, id);
    if (released) {
      entry('release', call.holdMicrocents, call, id, { details: closing });
      continue;
    }
    entry('settle', -minBig(call.costMicrocents, call.holdMicrocents), call, id, { usage: call.usage ?? null, details: closing });
    if (call.holdMicrocents > call.costMicrocents) entry('release', call.holdMicrocents - call.costMicrocents, call, id);
    if (call.costMicrocents > call.holdMicrocents) entry('overrun', -(call.costMicrocents - call.holdMicrocents), call, id);
  }
  if (balance !== budget.remainingMicrocents) throw new Error(`imported history of ${agentId} does not end at its remaining balance`);
  return { entries, reservations, runs: [...runs].map(([id, created_at]) => ({ id, created_at })) };
}

/** A UUID (version 8, name-based) that only this call of this agent of this tenant can have. */
export function reservationIdOf(tenantId: string, agentId: string, key: string): string {
  const h = createHash('sha256').update(`imported-call\n${tenantId}\n${agentId}\n${key}`).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += CHUNK) yield rows.slice(i, i + CHUNK);
}
