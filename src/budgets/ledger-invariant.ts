// SPEC §5 on every level (SPEC §10): for every budget row, remaining + reserved + spent =
// credited, the row's ledger (its entries, by budget_id), replayed by the postings of
// budget-ledger.repository.ts, gives the same four figures, and what the row holds is the sum of
// the open holds taken on it. Run after every integration test, and available to operators' audits.
import { Pool } from 'pg';

export interface InvariantReport {
  budgetId: string;
  level: string;
  ownerId: string;
  /** The agent of an agent or run budget. */
  agentId: string | null;
  ok: boolean;
  row: Record<'credited' | 'remaining' | 'reserved' | 'spent', string>;
  ledger: Record<'credited' | 'remaining' | 'reserved' | 'spent', string>;
  openHolds: string;
}

const SQL = `
SELECT b.id, b.level, b.owner_id, b.agent_id,
       b.credited_microcents, b.remaining_microcents, b.reserved_microcents, b.spent_microcents,
       COALESCE(l.credited, 0) AS l_credited,
       COALESCE(l.remaining, 0) AS l_remaining,
       COALESCE(l.reserved, 0) AS l_reserved,
       COALESCE(l.spent, 0) AS l_spent,
       COALESCE(o.open_holds, 0) AS open_holds
  FROM budgets b
  LEFT JOIN LATERAL (
    SELECT sum(amount_microcents) FILTER (WHERE kind IN ('limit_set', 'topup', 'adjustment', 'period_reset')) AS credited,
           sum(amount_microcents) FILTER (WHERE kind IN ('limit_set', 'topup', 'adjustment', 'period_reset', 'reserve', 'release', 'overrun')) AS remaining,
           COALESCE(-sum(amount_microcents) FILTER (WHERE kind IN ('reserve', 'release')), 0)
             + COALESCE(sum(amount_microcents) FILTER (WHERE kind IN ('settle', 'expire')), 0) AS reserved,
           -sum(amount_microcents) FILTER (WHERE kind IN ('settle', 'expire', 'overrun')) AS spent
      FROM ledger_entries e WHERE e.budget_id = b.id
  ) l ON true
  LEFT JOIN LATERAL (
    SELECT sum(amount_microcents) AS open_holds FROM reservations r
     WHERE r.tenant_id = b.tenant_id AND r.status = 'open' AND b.id = ANY (r.budget_ids)
  ) o ON true`;

/** Every budget row, or those of one agent (its agent and run budgets). */
export async function checkLedgerInvariant(pool: Pool, agentId?: string): Promise<InvariantReport[]> {
  const { rows } = await pool.query(agentId ? `${SQL} WHERE b.agent_id = $1` : SQL, agentId ? [agentId] : []);
  return rows.map((r) => {
    const row = {
      credited: String(r.credited_microcents),
      remaining: String(r.remaining_microcents),
      reserved: String(r.reserved_microcents),
      spent: String(r.spent_microcents),
    };
    const ledger = {
      credited: String(r.l_credited),
      remaining: String(r.l_remaining),
      reserved: String(r.l_reserved),
      spent: String(r.l_spent),
    };
    const balanced = BigInt(row.remaining) + BigInt(row.reserved) + BigInt(row.spent) === BigInt(row.credited);
    const matches = (Object.keys(row) as (keyof typeof row)[]).every((k) => row[k] === ledger[k]);
    const holdsMatch = String(r.open_holds) === row.reserved;
    return { budgetId: r.id, level: r.level, ownerId: r.owner_id, agentId: r.agent_id, ok: balanced && matches && holdsMatch, row, ledger, openHolds: String(r.open_holds) };
  });
}
