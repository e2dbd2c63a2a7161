-- Budgets on every level and over time (SPEC §10). A budget is no longer one row per agent but one
-- row per level of a call's path: the tenant, each group of a (nested) group chain, the agent,
-- and a run. A metered call holds its worst case on every row of its path in one statement, and
-- each row keeps the §5 invariant and its own ledger (`ledger_entries.budget_id`).
--
-- Periods: a budget may start afresh every n seconds or minutes, every hour, or every day, week
-- or month at local midnight in an IANA timezone. The roll-over is done by whichever statement
-- touches the row first after the boundary (a hold, a settle, the sweeper), with the boundaries
-- computed here from PostgreSQL's timezone database (the IANA tz database).

CREATE TABLE "groups" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "parent_group_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "groups_pkey" PRIMARY KEY ("tenant_id", "id"),
    CONSTRAINT "groups_not_own_parent_check" CHECK ("parent_group_id" IS DISTINCT FROM "id")
);
CREATE INDEX "groups_tenant_id_created_at_id_idx" ON "groups"("tenant_id", "created_at", "id");
CREATE INDEX "groups_tenant_id_parent_group_id_idx" ON "groups"("tenant_id", "parent_group_id");
ALTER TABLE "groups" ADD CONSTRAINT "groups_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "groups" ADD CONSTRAINT "groups_tenant_id_parent_group_id_fkey" FOREIGN KEY ("tenant_id", "parent_group_id") REFERENCES "groups"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "agents" ADD COLUMN "group_id" UUID;
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_group_id_fkey" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "agents_tenant_id_group_id_idx" ON "agents"("tenant_id", "group_id");

-- budgets: one row per (tenant, level, owner). owner_id names the owner in one text column so
-- that a hold finds its path by one index: the tenant id, a group id, an agent id, or
-- "<agent id>/<run id>" (neither id can hold a "/").
ALTER TABLE "budgets" ADD COLUMN "id" UUID;
UPDATE "budgets" SET "id" = gen_random_uuid();
ALTER TABLE "budgets" ALTER COLUMN "id" SET NOT NULL;
ALTER TABLE "budgets" ADD COLUMN "level" TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE "budgets" ALTER COLUMN "level" DROP DEFAULT;
ALTER TABLE "budgets" ADD COLUMN "owner_id" TEXT;
UPDATE "budgets" SET "owner_id" = "agent_id";
ALTER TABLE "budgets" ALTER COLUMN "owner_id" SET NOT NULL;
ALTER TABLE "budgets" ADD COLUMN "group_id" UUID;
ALTER TABLE "budgets" ADD COLUMN "run_id" TEXT;
ALTER TABLE "budgets" DROP CONSTRAINT "budgets_pkey";
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_pkey" PRIMARY KEY ("id");
ALTER TABLE "budgets" ALTER COLUMN "agent_id" DROP NOT NULL;
CREATE UNIQUE INDEX "budgets_tenant_id_level_owner_id_key" ON "budgets"("tenant_id", "level", "owner_id");
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_level_check" CHECK (
       ("level" = 'tenant' AND "owner_id" = "tenant_id"::text AND "group_id" IS NULL AND "agent_id" IS NULL AND "run_id" IS NULL)
    OR ("level" = 'group'  AND "owner_id" = "group_id"::text AND "agent_id" IS NULL AND "run_id" IS NULL)
    OR ("level" = 'agent'  AND "owner_id" = "agent_id" AND "group_id" IS NULL AND "run_id" IS NULL)
    OR ("level" = 'run'    AND "owner_id" = "agent_id" || '/' || "run_id" AND "group_id" IS NULL));
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_group_id_fkey" FOREIGN KEY ("tenant_id", "group_id") REFERENCES "groups"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_agent_id_run_id_fkey" FOREIGN KEY ("tenant_id", "agent_id", "run_id") REFERENCES "runs"("tenant_id", "agent_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Periods. period_spent counts the spend settled in the current period (lifetime spend goes on in
-- spent_microcents); the other three are null together for a lifetime budget (the seed's).
ALTER TABLE "budgets" ADD COLUMN "period_every" TEXT;
ALTER TABLE "budgets" ADD COLUMN "period_timezone" TEXT;
ALTER TABLE "budgets" ADD COLUMN "period_started_at" TIMESTAMPTZ(3);
ALTER TABLE "budgets" ADD COLUMN "next_reset_at" TIMESTAMPTZ(3);
ALTER TABLE "budgets" ADD COLUMN "period_spent_microcents" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_period_check" CHECK (
    ("period_every" IS NULL) = ("period_timezone" IS NULL)
    AND ("period_every" IS NULL) = ("period_started_at" IS NULL)
    AND ("period_every" IS NULL) = ("next_reset_at" IS NULL)
    AND ("period_every" IS NULL OR "period_every" ~ '^(1h|1d|1w|1mo|[1-9][0-9]{0,6}s|[1-9][0-9]{0,6}m)$'));
CREATE INDEX "budgets_next_reset_at_idx" ON "budgets"("next_reset_at") WHERE "next_reset_at" IS NOT NULL;

-- ledger_entries: each entry posts to one budget row (a level); agent_id names the agent whose call
-- caused it (none for a credit to a tenant or group budget).
ALTER TABLE "ledger_entries" ADD COLUMN "budget_id" UUID;
UPDATE "ledger_entries" e SET "budget_id" = b."id" FROM "budgets" b WHERE b."tenant_id" = e."tenant_id" AND b."agent_id" = e."agent_id" AND b."level" = 'agent';
ALTER TABLE "ledger_entries" ALTER COLUMN "budget_id" SET NOT NULL;
ALTER TABLE "ledger_entries" ALTER COLUMN "agent_id" DROP NOT NULL;
CREATE INDEX "ledger_entries_budget_id_seq_idx" ON "ledger_entries"("budget_id", "seq");
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_kind_check";
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_kind_check" CHECK ("kind" IN ('limit_set', 'topup', 'reserve', 'settle', 'release', 'expire', 'overrun', 'adjustment', 'period_reset'));

-- reservations: the budget rows a hold was taken on (the same amount on each).
ALTER TABLE "reservations" ADD COLUMN "budget_ids" UUID[];
UPDATE "reservations" r SET "budget_ids" = ARRAY[b."id"] FROM "budgets" b WHERE b."tenant_id" = r."tenant_id" AND b."agent_id" = r."agent_id" AND b."level" = 'agent';
UPDATE "reservations" SET "budget_ids" = '{}' WHERE "budget_ids" IS NULL;
ALTER TABLE "reservations" ALTER COLUMN "budget_ids" SET NOT NULL;

-- Period arithmetic. Seconds, minutes and hours are aligned to UTC (multiples since the epoch);
-- days, weeks (from Monday) and months start at local midnight in the budget's timezone, through
-- daylight-saving changes (a day may be 23 or 25 hours). Months start on their first day, so the
-- period after 31 January's is February's, and a month is 28 to 31 days.
CREATE FUNCTION "sg_period_seconds"(every TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT CASE
    WHEN every = '1h' THEN 3600
    WHEN every ~ '^[0-9]+s$' THEN left(every, -1)::bigint
    WHEN every ~ '^[0-9]+m$' THEN left(every, -1)::bigint * 60
  END
$$;

-- A local time as an instant: the earlier one where the clocks went back over it (a local midnight
-- can happen twice, as in Havana, which moves its clocks at midnight), the first instant after
-- the gap where they went forward over it. PostgreSQL alone picks the later one of the two.
CREATE FUNCTION "sg_local_instant"(local_time TIMESTAMP, tz TEXT) RETURNS TIMESTAMPTZ LANGUAGE sql STABLE STRICT AS $$
  SELECT CASE
    WHEN ((x - interval '1 hour') AT TIME ZONE tz) = local_time THEN x - interval '1 hour'
    WHEN ((x - interval '30 minutes') AT TIME ZONE tz) = local_time THEN x - interval '30 minutes'
    ELSE x
  END
  FROM (SELECT local_time AT TIME ZONE tz AS x) AS later
$$;

CREATE FUNCTION "sg_period_start"(every TEXT, tz TEXT, t TIMESTAMPTZ) RETURNS TIMESTAMPTZ LANGUAGE sql STABLE STRICT AS $$
  SELECT CASE every
    WHEN '1d'  THEN sg_local_instant(date_trunc('day',   t AT TIME ZONE tz), tz)
    WHEN '1w'  THEN sg_local_instant(date_trunc('week',  t AT TIME ZONE tz), tz)
    WHEN '1mo' THEN sg_local_instant(date_trunc('month', t AT TIME ZONE tz), tz)
    ELSE to_timestamp((floor(extract(epoch FROM t) / sg_period_seconds(every)) * sg_period_seconds(every))::double precision)
  END
$$;

CREATE FUNCTION "sg_period_end"(every TEXT, tz TEXT, t TIMESTAMPTZ) RETURNS TIMESTAMPTZ LANGUAGE sql STABLE STRICT AS $$
  SELECT CASE every
    WHEN '1d'  THEN sg_local_instant(date_trunc('day',   t AT TIME ZONE tz) + interval '1 day', tz)
    WHEN '1w'  THEN sg_local_instant(date_trunc('week',  t AT TIME ZONE tz) + interval '7 days', tz)
    WHEN '1mo' THEN sg_local_instant(date_trunc('month', t AT TIME ZONE tz) + interval '1 month', tz)
    ELSE to_timestamp(((floor(extract(epoch FROM t) / sg_period_seconds(every)) + 1) * sg_period_seconds(every))::double precision)
  END
$$;
