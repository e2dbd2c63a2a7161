// Several holds on one agent's budget in one statement (one round trip, one commit): what
// HOLD_SQL does for one, for the holds that queued while the agent's previous statement ran
// (see agent-lanes.ts). They are taken first come, first served, as long as the running total
// fits in what the budget has left; the first that does not fit and every one after it are not
// taken here (the caller retries them one by one, which gives each its own answer).
//
// $1 tenant, $2 agent, then one array per column, in arrival order.
export const HOLD_BATCH_SQL = `
WITH req AS (
  SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::int[])
    WITH ORDINALITY AS t(id, run_id, request_id, amount, provider, model, ttl, ord)
), cur AS (
  SELECT b.remaining_microcents AS remaining, a.concurrency
    FROM budgets b JOIN agents a ON a.id = b.agent_id AND a.deleted_at IS NULL
   WHERE b.agent_id = $2::uuid AND b.tenant_id = $1::uuid
     FOR UPDATE OF b
), acc AS (
  SELECT req.*, cur.remaining - req.upto AS balance, cur.concurrency
    FROM (SELECT req.*, sum(amount) OVER (ORDER BY ord) AS upto FROM req) req, cur
   WHERE req.upto <= cur.remaining
), b AS (
  UPDATE budgets
     SET remaining_microcents = remaining_microcents - t.total,
         reserved_microcents = reserved_microcents + t.total,
         in_flight = in_flight + t.n,
         updated_at = now()
    FROM (SELECT sum(amount) AS total, count(*)::int AS n FROM acc) t
   WHERE budgets.agent_id = $2::uuid AND t.n > 0
  RETURNING budgets.agent_id
), run AS (
  INSERT INTO runs (agent_id, id, tenant_id)
  SELECT DISTINCT $2::uuid, acc.run_id, $1::uuid FROM acc, b
  ON CONFLICT DO NOTHING
), r AS (
  INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, status, provider, model, expires_at)
  SELECT acc.id, $1::uuid, $2::uuid, acc.run_id, acc.request_id, acc.amount, 'open', acc.provider, acc.model,
         now() + make_interval(secs => acc.ttl)
    FROM acc, b
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model)
  SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'reserve', -acc.amount, acc.balance, acc.id, acc.run_id, acc.request_id,
         acc.provider, acc.model
    FROM acc, b
   ORDER BY acc.ord
)
SELECT acc.id, acc.balance AS remaining_microcents, acc.concurrency FROM acc, b ORDER BY acc.ord`;
