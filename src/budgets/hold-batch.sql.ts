// Several holds in one statement (one round trip, one commit): what HOLD_SQL does for one, for the
// holds that queued while their agents' previous statements ran (hold-lanes.ts, batch-combiner.ts).
// Per agent they are taken first come, first served, as long as the running total fits in what
// the budget has left; the first that does not fit and every one after it on that agent are not
// taken here (the caller retries them one by one, which gives each its own answer).
//
// Budget rows are locked in (tenant, agent) order, so two such statements never deadlock.
// One array per column, in arrival order.
export const HOLD_BATCH_SQL = `
WITH req AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::int[])
    WITH ORDINALITY AS t(id, tenant_id, agent_id, run_id, request_id, amount, provider, model, ttl, ord)
), cur AS (
  SELECT b.agent_id, b.tenant_id, b.remaining_microcents AS remaining, a.concurrency
    FROM budgets b JOIN agents a ON a.tenant_id = b.tenant_id AND a.id = b.agent_id AND a.deleted_at IS NULL
   WHERE (b.tenant_id, b.agent_id) IN (SELECT tenant_id, agent_id FROM req)
   ORDER BY b.tenant_id, b.agent_id
     FOR UPDATE OF b
), acc AS (
  SELECT q.*, cur.remaining - q.upto AS balance, cur.concurrency
    FROM (SELECT req.*, sum(amount) OVER (PARTITION BY tenant_id, agent_id ORDER BY ord) AS upto FROM req) q
    JOIN cur ON cur.agent_id = q.agent_id AND cur.tenant_id = q.tenant_id
   WHERE q.upto <= cur.remaining
), b AS (
  UPDATE budgets
     SET remaining_microcents = remaining_microcents - t.total,
         reserved_microcents = reserved_microcents + t.total,
         in_flight = in_flight + t.n,
         updated_at = now()
    FROM (SELECT tenant_id, agent_id, sum(amount) AS total, count(*)::int AS n FROM acc GROUP BY tenant_id, agent_id) t
   WHERE budgets.tenant_id = t.tenant_id AND budgets.agent_id = t.agent_id
  RETURNING budgets.tenant_id, budgets.agent_id
), ok AS (
  SELECT acc.* FROM acc JOIN b ON b.tenant_id = acc.tenant_id AND b.agent_id = acc.agent_id
), run AS (
  INSERT INTO runs (agent_id, id, tenant_id)
  SELECT DISTINCT agent_id, run_id, tenant_id FROM ok
  ON CONFLICT DO NOTHING
), r AS (
  INSERT INTO reservations (id, tenant_id, agent_id, run_id, request_id, amount_microcents, status, provider, model, expires_at)
  SELECT id, tenant_id, agent_id, run_id, request_id, amount, 'open', provider, model, now() + make_interval(secs => ttl)
    FROM ok
), l AS (
  INSERT INTO ledger_entries (id, tenant_id, agent_id, kind, amount_microcents, balance_after_microcents,
                              reservation_id, run_id, request_id, provider, model)
  SELECT gen_random_uuid(), tenant_id, agent_id, 'reserve', -amount, balance, id, run_id, request_id, provider, model
    FROM ok
   ORDER BY ord
)
SELECT id, balance AS remaining_microcents, concurrency FROM ok ORDER BY ord`;
