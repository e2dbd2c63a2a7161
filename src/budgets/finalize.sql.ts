// Settle, release and expire share one statement: close the reservation, move its hold on every
// budget row it was taken on (every level of the call's path, SPEC §10), append the entries. $3
// is the cost charged (0 for a release, the hold for an expiry); the same on every level.
//
// On each row, first a due period reset (a hold open across a boundary settles into the period
// in which it finishes), then the hold: the cost is spent (in this period too), and the unused
// part comes back to `remaining` only as far as the hard limit allows — the limit is a ceiling
// (SPEC §3): remaining + reserved ≤ hard_limit, so a limit lowered while calls were in flight
// still holds when they finish. What cannot come back is written off (`credited` goes down by
// it) in an `adjustment` entry that says what was asked and what was applied.
//
// Durability: the hold commits synchronously, the finalize asynchronously (no WAL flush wait,
// half the fsyncs on the metered path). Should a database crash lose a finalize, the hold is
// still durably open and the sweeper expires it, charging the whole hold: never less than the
// call cost, so the cap holds and the ledger says what happened.
import { EFFECTIVE_COLUMNS, PERIOD_RESET, PERIOD_RESET_DETAILS, setLockedRow } from './path.sql';

// $1 reservation, $2 tenant, $3 cost, $4 status, $5 usage, $6 breakdown, $7 details, $8 price version
export const FINALIZE_SQL = `
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
r AS (
  UPDATE reservations
     SET status = $4, cost_microcents = $3::bigint, finished_at = now()
   WHERE id = $1::uuid AND tenant_id = $2::uuid AND status = 'open'
  RETURNING agent_id, run_id, request_id, amount_microcents AS hold, provider, model, budget_ids
), c AS (
  SELECT ${EFFECTIVE_COLUMNS}, r.hold,
         GREATEST(r.hold - $3::bigint, 0) AS unused, GREATEST($3::bigint - r.hold, 0) AS over
    FROM budgets b JOIN r ON b.id = ANY (r.budget_ids)
   ORDER BY b.id
     FOR UPDATE OF b
), k AS (
  SELECT c.*, LEAST(c.unused, GREATEST(c.lim - (c.res - c.hold) - c.eff, 0)) AS applied FROM c
), u AS (
  UPDATE budgets
     SET ${setLockedRow({
       ...PERIOD_RESET,
       reserved_microcents: 'c.res - c.hold',
       spent_microcents: 'c.spent + $3::bigint',
       period_spent_microcents: 'CASE WHEN c.due THEN 0 ELSE c.pspent END + $3::bigint',
       remaining_microcents: 'c.eff + c.applied - c.over',
       credited_microcents: 'c.cred + (c.eff - c.rem) - (c.unused - c.applied)',
       in_flight: 'c.in_flight - 1',
     })}
    FROM k AS c
   WHERE budgets.id = c.id
  RETURNING budgets.id
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, budget_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model,
                              usage, cost_breakdown, price_version, details)
  SELECT gen_random_uuid(), $2::uuid, c.id, CASE WHEN e.ord = 0 THEN NULL ELSE r.agent_id END, e.kind, e.amount, e.balance,
         CASE WHEN e.ord = 0 THEN NULL ELSE $1::uuid END, r.run_id, r.request_id, r.provider, r.model,
         e.usage, e.breakdown, CASE WHEN e.ord = 0 THEN NULL ELSE $8 END, e.details
    FROM k AS c CROSS JOIN r CROSS JOIN LATERAL (VALUES
      (0, 'period_reset', c.eff - c.rem, c.eff, NULL::jsonb, NULL::jsonb, ${PERIOD_RESET_DETAILS}),
      (1, CASE WHEN $4 = 'expired' THEN 'expire' ELSE 'settle' END, -LEAST($3::bigint, c.hold), c.eff, $5::jsonb, $6::jsonb, $7::jsonb),
      (2, 'release', c.unused, c.eff + c.unused, NULL::jsonb, NULL::jsonb, $7::jsonb),
      (3, 'adjustment', c.applied - c.unused, c.eff + c.applied, NULL::jsonb, NULL::jsonb,
          jsonb_build_object('reason', 'hard_limit_ceiling', 'requested_microcents', c.unused::text, 'applied_microcents', c.applied::text)),
      (4, 'overrun', -c.over, c.eff - c.over, NULL::jsonb, NULL::jsonb, NULL::jsonb)
    ) AS e(ord, kind, amount, balance, usage, breakdown, details)
   WHERE (e.ord = 0 AND c.due)
      OR (e.ord = 1 AND $4 <> 'released')
      OR (e.ord = 2 AND c.unused > 0)
      OR (e.ord = 3 AND c.applied < c.unused)
      OR (e.ord = 4 AND c.over > 0)
   ORDER BY c.id, e.ord
)
SELECT r.agent_id, r.hold, (SELECT min(k.eff + k.applied - k.over) FROM k)::text AS remaining
  FROM r, async_commit`;
