// One hold, the common case (an agent with nothing else in flight): a conditional UPDATE that
// takes the hold only if it fits in what is left, with the reservation, the run (if new) and the
// `reserve` entry in the same statement.
//
// HOLD_BATCH_SQL could take one hold too, but this statement is cheaper alone: measured at
// 200 req/s, ~0.17 ms less added p50 and a fifth less Postgres CPU (docs/benchmarks.md).
export const HOLD_SQL = `
WITH b AS (
  UPDATE budgets
     SET remaining_microcents = remaining_microcents - $5::bigint,
         reserved_microcents = reserved_microcents + $5::bigint,
         in_flight = in_flight + 1,
         updated_at = now()
    FROM agents a
   WHERE budgets.tenant_id = $2::uuid AND budgets.agent_id = $3 AND budgets.remaining_microcents >= $5::bigint
     AND a.tenant_id = $2::uuid AND a.id = $3 AND a.deleted_at IS NULL
  RETURNING budgets.remaining_microcents, a.concurrency
), run AS (
  INSERT INTO runs (agent_id, id, tenant_id) SELECT $3, $4, $2::uuid FROM b
  ON CONFLICT DO NOTHING
), r AS (
  INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, status, provider, model, expires_at)
  SELECT $1::uuid, $2::uuid, $3, $4, $6, $5::bigint, 'open', $7, $8, now() + make_interval(secs => $9::int)
    FROM b
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model)
  SELECT gen_random_uuid(), $2::uuid, $3, 'reserve', -$5::bigint, b.remaining_microcents, $1::uuid, $4, $6, $7, $8
    FROM b
)
SELECT remaining_microcents, concurrency FROM b`;
