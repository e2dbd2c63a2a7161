// One hold, the common case (an agent with nothing else in flight): SPEC §10's atomic hold across
// every level of the call's path, in one statement. It takes the hold on every budget row of the
// path or on none: only if the worst case fits in what each row has left (after every other open
// hold, and after a due period reset, which it writes in the same step, with or without the
// hold). With the hold go the reservation (naming the rows it holds), the run (if new) and a
// `reserve` entry per row.
//
// It always answers one row: whether the agent exists, whether the hold was taken, the agent's
// concurrency mode, and the binding level — the one with least room left, which refused the hold
// if it was refused (for the 402 and the clamp).
//
// HOLD_BATCH_SQL could take one hold too, but this statement is cheaper alone (docs/benchmarks.md).
import { EFFECTIVE_COLUMNS, GROUP_CHAIN_CTE, PERIOD_RESET, PERIOD_RESET_DETAILS, setLockedRow } from './path.sql';

// $1 reservation id, $2 tenant, $3 agent, $4 run, $5 amount, $6 request id, $7 provider, $8 model, $9 TTL s
export const HOLD_SQL = `
WITH RECURSIVE agent AS (
  SELECT a.tenant_id, a.id, a.group_id, a.concurrency
    FROM agents a
   WHERE a.tenant_id = $2::uuid AND a.id = $3 AND a.deleted_at IS NULL
), ${GROUP_CHAIN_CTE},
owners(level, owner_id) AS (
  SELECT 'tenant', $2::text FROM agent
  UNION ALL SELECT 'group', group_id::text FROM chain
  UNION ALL SELECT 'agent', $3 FROM agent
  UNION ALL SELECT 'run', $3 || '/' || $4 FROM agent
), c AS (
  SELECT ${EFFECTIVE_COLUMNS}
    FROM budgets b
   WHERE b.tenant_id = $2::uuid AND (b.level, b.owner_id) IN (SELECT level, owner_id FROM owners)
   ORDER BY b.id
     FOR UPDATE OF b
), v AS (
  SELECT count(*) > 0 AND coalesce(bool_and(eff >= $5::bigint), false) AS fits FROM c
), u AS (
  UPDATE budgets
     SET ${setLockedRow({
       ...PERIOD_RESET,
       remaining_microcents: 'c.eff - CASE WHEN v.fits THEN $5::bigint ELSE 0 END',
       reserved_microcents: 'c.res + CASE WHEN v.fits THEN $5::bigint ELSE 0 END',
       in_flight: 'c.in_flight + CASE WHEN v.fits THEN 1 ELSE 0 END',
     })}
    FROM c, v
   WHERE budgets.id = c.id AND (v.fits OR c.due)
  RETURNING budgets.id
), run AS (
  INSERT INTO runs (agent_id, id, tenant_id) SELECT $3, $4, $2::uuid FROM v WHERE v.fits
  ON CONFLICT DO NOTHING
), r AS (
  INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, budget_ids, status, provider, model, expires_at)
  SELECT $1::uuid, $2::uuid, $3, $4, $6, $5::bigint, (SELECT array_agg(id ORDER BY id) FROM c), 'open', $7, $8,
         now() + make_interval(secs => $9::int)
    FROM v WHERE v.fits
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, budget_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model, details)
  SELECT gen_random_uuid(), $2::uuid, c.id, e.agent_id, e.kind, e.amount, e.balance, e.reservation_id, e.run_id, e.request_id,
         e.provider, e.model, e.details
    FROM c CROSS JOIN v CROSS JOIN LATERAL (VALUES
      (1, 'period_reset', NULL::text, c.eff - c.rem, c.eff, NULL::uuid, NULL::text, NULL::text, NULL::text, NULL::text, ${PERIOD_RESET_DETAILS}),
      (2, 'reserve', $3, -$5::bigint, c.eff - $5::bigint, $1::uuid, $4, $6, $7, $8, NULL::jsonb)
    ) AS e(ord, kind, agent_id, amount, balance, reservation_id, run_id, request_id, provider, model, details)
   WHERE (e.ord = 1 AND c.due) OR (e.ord = 2 AND v.fits)
   ORDER BY c.id, e.ord
)
SELECT EXISTS (SELECT 1 FROM agent) AS agent_found, v.fits, (SELECT concurrency FROM agent) AS concurrency,
       (SELECT count(*)::int FROM c) AS levels, bind.level, bind.owner_id, bind.eff::text AS eff
  FROM v LEFT JOIN LATERAL (SELECT level, owner_id, eff FROM c ORDER BY eff, level LIMIT 1) bind ON true`;
