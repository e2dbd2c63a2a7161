// SPEC §5: for every agent, remaining + reserved + spent = credited on the budget row, and the
// ledger, replayed by the postings of budget-ledger.repository.ts, gives the same four figures.
// Run after every integration test, and available to operators' audits.
import { Pool } from 'pg';

export interface InvariantReport {
  agentId: string;
  ok: boolean;
  row: Record<'credited' | 'remaining' | 'reserved' | 'spent', string>;
  ledger: Record<'credited' | 'remaining' | 'reserved' | 'spent', string>;
  openHolds: string;
}

const SQL = `
SELECT b.agent_id,
       b.credited_microcents, b.remaining_microcents, b.reserved_microcents, b.spent_microcents,
       COALESCE(l.credited, 0) AS l_credited,
       COALESCE(l.remaining, 0) AS l_remaining,
       COALESCE(l.reserved, 0) AS l_reserved,
       COALESCE(l.spent, 0) AS l_spent,
       COALESCE(o.open_holds, 0) AS open_holds
  FROM budgets b
  LEFT JOIN LATERAL (
    SELECT sum(amount_microcents) FILTER (WHERE kind IN ('limit_set', 'topup', 'adjustment')) AS credited,
           sum(amount_microcents) FILTER (WHERE kind IN ('limit_set', 'topup', 'adjustment', 'reserve', 'release', 'overrun')) AS remaining,
           COALESCE(-sum(amount_microcents) FILTER (WHERE kind IN ('reserve', 'release')), 0)
             + COALESCE(sum(amount_microcents) FILTER (WHERE kind IN ('settle', 'expire')), 0) AS reserved,
           -sum(amount_microcents) FILTER (WHERE kind IN ('settle', 'expire', 'overrun')) AS spent
      FROM ledger_entries e WHERE e.tenant_id = b.tenant_id AND e.agent_id = b.agent_id
  ) l ON true
  LEFT JOIN LATERAL (
    SELECT sum(amount_microcents) AS open_holds FROM reservations r WHERE r.tenant_id = b.tenant_id AND r.agent_id = b.agent_id AND r.status = 'open'
  ) o ON true`;

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
    return { agentId: r.agent_id, ok: balanced && matches && holdsMatch, row, ledger, openHolds: String(r.open_holds) };
  });
}
