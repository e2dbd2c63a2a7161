// Several holds in one statement (one round trip, one commit): what HOLD_SQL does for one, for the
// holds that queued while their agents' previous statements ran (hold-lanes.ts, batch-combiner.ts).
// Holds of different agents may share budget rows (a group's, the tenant's): a row is locked once
// and the holds on it are taken first come, first served.
//
// A hold is taken here when, on every row of its path, the running total of the holds before it
// (in arrival order, on that row) plus its own fits in what the row has left. The running total
// counts every earlier hold on the row, also one this statement does not take: that can only
// refuse more, never take too much. What is not taken here is tried again alone (HOLD_SQL), which
// gives each its exact answer. Due period resets are written here too (each row once).
//
// One array per column, in arrival order.
import { EFFECTIVE_COLUMNS, GROUP_CHAIN_CTE, PERIOD_RESET, PERIOD_RESET_DETAILS, setLockedRow } from './path.sql';

export const HOLD_BATCH_SQL = `
WITH RECURSIVE req AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::int[])
    WITH ORDINALITY AS t(id, tenant_id, agent_id, run_id, request_id, amount, provider, model, ttl, ord)
), agent AS (
  SELECT a.tenant_id, a.id, a.group_id, a.concurrency
    FROM agents a
   WHERE (a.tenant_id, a.id) IN (SELECT tenant_id, agent_id FROM req) AND a.deleted_at IS NULL
), ${GROUP_CHAIN_CTE},
keys AS (
  SELECT req.ord, req.tenant_id, k.level, k.owner_id
    FROM req JOIN agent ON agent.tenant_id = req.tenant_id AND agent.id = req.agent_id
    CROSS JOIN LATERAL (VALUES ('tenant', req.tenant_id::text), ('agent', req.agent_id), ('run', req.agent_id || '/' || req.run_id)) AS k(level, owner_id)
  UNION ALL
  SELECT req.ord, req.tenant_id, 'group', chain.group_id::text
    FROM req JOIN chain ON chain.tenant_id = req.tenant_id AND chain.agent_id = req.agent_id
), c AS (
  SELECT ${EFFECTIVE_COLUMNS}
    FROM budgets b
   WHERE (b.tenant_id, b.level, b.owner_id) IN (SELECT tenant_id, level, owner_id FROM keys)
   ORDER BY b.id
     FOR UPDATE OF b
), hits AS (
  SELECT keys.ord, c.id, c.eff, req.amount,
         sum(req.amount) OVER (PARTITION BY c.id ORDER BY keys.ord) AS upto
    FROM keys JOIN req ON req.ord = keys.ord
    JOIN c ON c.tenant_id = keys.tenant_id AND c.level = keys.level AND c.owner_id = keys.owner_id
), ok AS (
  SELECT ord FROM hits GROUP BY ord HAVING bool_and(upto <= eff)
), taken AS (
  SELECT hits.*, hits.eff - sum(hits.amount) OVER (PARTITION BY hits.id ORDER BY hits.ord) AS balance
    FROM hits WHERE hits.ord IN (SELECT ord FROM ok)
), totals AS (
  SELECT id, sum(amount) AS total, count(*)::int AS n FROM taken GROUP BY id
), u AS (
  UPDATE budgets
     SET ${setLockedRow({
       ...PERIOD_RESET,
       remaining_microcents: 'c.eff - coalesce(t.total, 0)',
       reserved_microcents: 'c.res + coalesce(t.total, 0)',
       in_flight: 'c.in_flight + coalesce(t.n, 0)',
     })}
    FROM c LEFT JOIN totals t ON t.id = c.id
   WHERE budgets.id = c.id AND (t.id IS NOT NULL OR c.due)
  RETURNING budgets.id
), granted AS (
  SELECT req.*, (SELECT array_agg(h.id ORDER BY h.id) FROM hits h WHERE h.ord = req.ord) AS budget_ids
    FROM req WHERE req.ord IN (SELECT ord FROM ok)
), run AS (
  INSERT INTO runs (agent_id, id, tenant_id)
  SELECT DISTINCT agent_id, run_id, tenant_id FROM granted
  ON CONFLICT DO NOTHING
), r AS (
  INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, budget_ids, status, provider, model, expires_at)
  SELECT id, tenant_id, agent_id, run_id, request_id, amount, budget_ids, 'open', provider, model, now() + make_interval(secs => ttl)
    FROM granted
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, budget_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model, details)
  SELECT gen_random_uuid(), e.tenant_id, e.budget_id, e.agent_id, e.kind, e.amount, e.balance, e.reservation_id, e.run_id,
         e.request_id, e.provider, e.model, e.details
    FROM (
      SELECT c.id AS budget_id, 0 AS step, 0::bigint AS ord, c.tenant_id, NULL::text AS agent_id, 'period_reset' AS kind,
             c.eff - c.rem AS amount, c.eff AS balance, NULL::uuid AS reservation_id, NULL::text AS run_id, NULL::text AS request_id,
             NULL::text AS provider, NULL::text AS model, ${PERIOD_RESET_DETAILS} AS details
        FROM c WHERE c.due
      UNION ALL
      SELECT taken.id, 1, taken.ord, g.tenant_id, g.agent_id, 'reserve', -taken.amount, taken.balance, g.id, g.run_id, g.request_id,
             g.provider, g.model, NULL::jsonb
        FROM taken JOIN granted g ON g.ord = taken.ord
    ) e
   ORDER BY e.budget_id, e.step, e.ord
)
SELECT g.id, a.concurrency,
       (SELECT min(t.balance) FROM taken t WHERE t.ord = g.ord)::text AS remaining_microcents
  FROM granted g JOIN agent a ON a.tenant_id = g.tenant_id AND a.id = g.agent_id
 ORDER BY g.ord`;
