// Settle, release and expire share one statement: close the reservation, move its hold on the
// budget row, append the entries. $3 is the cost charged (0 for a release, the hold for an expiry).
//
// The hard limit is a ceiling (SPEC §3): the unused part of a hold comes back to `remaining` only
// as far as remaining + reserved ≤ hard_limit allows, so a limit lowered while calls were in
// flight still holds when they finish. What cannot come back is written off (`credited` goes down
// by it) in an `adjustment` entry that says what was asked and what was applied.
//
// Durability: the hold commits synchronously, the finalize asynchronously (no WAL flush wait,
// half the fsyncs on the metered path). Should a database crash lose a finalize, the hold is
// still durably open and the sweeper expires it, charging the whole hold: never less than the
// call cost, so the cap holds and the ledger says what happened.
export const FINALIZE_SQL = `
WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
r AS (
  UPDATE reservations
     SET status = $4, cost_microcents = $3::bigint, finished_at = now()
   WHERE id = $1::uuid AND tenant_id = $2::uuid AND status = 'open'
  RETURNING agent_id, run_id, request_id, amount_microcents AS hold, provider, model
), cur AS (
  SELECT b.agent_id, r.run_id, r.request_id, r.provider, r.model, r.hold, b.remaining_microcents AS remaining,
         GREATEST(r.hold - $3::bigint, 0) AS unused, GREATEST($3::bigint - r.hold, 0) AS over,
         LEAST(GREATEST(r.hold - $3::bigint, 0),
               GREATEST(b.hard_limit_microcents - (b.reserved_microcents - r.hold) - b.remaining_microcents, 0)) AS applied
    FROM budgets b JOIN r ON b.tenant_id = $2::uuid AND b.agent_id = r.agent_id
     FOR UPDATE OF b
), b AS (
  UPDATE budgets
     SET reserved_microcents = reserved_microcents - cur.hold,
         spent_microcents = spent_microcents + $3::bigint,
         remaining_microcents = remaining_microcents + cur.applied - cur.over,
         credited_microcents = credited_microcents - (cur.unused - cur.applied),
         in_flight = in_flight - 1,
         updated_at = now()
    FROM cur
   WHERE budgets.tenant_id = $2::uuid AND budgets.agent_id = cur.agent_id
  RETURNING budgets.remaining_microcents AS remaining_after, cur.*
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model,
                              usage, cost_breakdown, price_version, details)
  SELECT gen_random_uuid(), $2::uuid, b.agent_id, e.kind, e.amount, e.balance, $1::uuid, b.run_id, b.request_id,
         b.provider, b.model, e.usage, e.breakdown, $8, e.details
    FROM b CROSS JOIN LATERAL (VALUES
      (1, CASE WHEN $4 = 'expired' THEN 'expire' ELSE 'settle' END, -LEAST($3::bigint, b.hold),
          b.remaining, $5::jsonb, $6::jsonb, $7::jsonb),
      (2, 'release', b.unused, b.remaining + b.unused, NULL::jsonb, NULL::jsonb, $7::jsonb),
      (3, 'adjustment', b.applied - b.unused, b.remaining + b.applied, NULL::jsonb, NULL::jsonb,
          jsonb_build_object('reason', 'hard_limit_ceiling', 'requested_microcents', b.unused::text,
                             'applied_microcents', b.applied::text)),
      (4, 'overrun', -b.over, b.remaining - b.over, NULL::jsonb, NULL::jsonb, NULL::jsonb)
    ) AS e(ord, kind, amount, balance, usage, breakdown, details)
   WHERE (e.ord = 1 AND $4 <> 'released')
      OR (e.ord = 2 AND b.unused > 0)
      OR (e.ord = 3 AND b.applied < b.unused)
      OR (e.ord = 4 AND b.over > 0)
   ORDER BY e.ord
)
SELECT agent_id, hold, remaining_after AS remaining FROM b, async_commit`;
