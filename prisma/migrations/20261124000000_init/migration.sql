-- SpendGuard ledger, first version. Hand-written in Prisma's layout; see prisma/schema.prisma.

CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys"("secret_hash");
CREATE INDEX "api_keys_tenant_id_created_at_idx" ON "api_keys"("tenant_id", "created_at");

CREATE TABLE "agents" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT,
    "concurrency" TEXT NOT NULL DEFAULT 'exclusive',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "agents_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "agents_concurrency_check" CHECK ("concurrency" IN ('exclusive', 'parallel'))
);
CREATE INDEX "agents_tenant_id_created_at_id_idx" ON "agents"("tenant_id", "created_at", "id");

CREATE TABLE "budgets" (
    "agent_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "hard_limit_microcents" BIGINT NOT NULL,
    "credited_microcents" BIGINT NOT NULL,
    "remaining_microcents" BIGINT NOT NULL,
    "reserved_microcents" BIGINT NOT NULL,
    "spent_microcents" BIGINT NOT NULL,
    "in_flight" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "budgets_pkey" PRIMARY KEY ("agent_id"),
    -- The SPEC §5 invariant, enforced by the database on every write.
    CONSTRAINT "budgets_balanced_check" CHECK ("remaining_microcents" + "reserved_microcents" + "spent_microcents" = "credited_microcents"),
    CONSTRAINT "budgets_reserved_check" CHECK ("reserved_microcents" >= 0 AND "spent_microcents" >= 0 AND "in_flight" >= 0)
);

CREATE TABLE "runs" (
    "agent_id" UUID NOT NULL,
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "runs_pkey" PRIMARY KEY ("agent_id", "id")
);
CREATE INDEX "runs_agent_id_created_at_idx" ON "runs"("agent_id", "created_at");

CREATE TABLE "reservations" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "run_id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "amount_microcents" BIGINT NOT NULL,
    "cost_microcents" BIGINT,
    "status" TEXT NOT NULL,
    "provider" TEXT,
    "model" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "reservations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reservations_status_check" CHECK ("status" IN ('open', 'settled', 'released', 'expired')),
    CONSTRAINT "reservations_amount_check" CHECK ("amount_microcents" > 0)
);
CREATE INDEX "reservations_agent_id_run_id_idx" ON "reservations"("agent_id", "run_id");
-- Only open holds are ever swept, so the sweeper's index holds only those.
CREATE INDEX "reservations_open_expires_at_idx" ON "reservations"("expires_at") WHERE "status" = 'open';
CREATE INDEX "reservations_open_agent_id_created_at_idx" ON "reservations"("agent_id", "created_at") WHERE "status" = 'open';

CREATE TABLE "ledger_entries" (
    "seq" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "agent_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "amount_microcents" BIGINT NOT NULL,
    "balance_after_microcents" BIGINT NOT NULL,
    "reservation_id" UUID,
    "run_id" TEXT,
    "request_id" TEXT,
    "provider" TEXT,
    "model" TEXT,
    "usage" JSONB,
    "cost_breakdown" JSONB,
    "price_version" TEXT,
    "details" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("seq"),
    CONSTRAINT "ledger_entries_kind_check" CHECK ("kind" IN ('limit_set', 'topup', 'reserve', 'settle', 'release', 'expire', 'overrun', 'adjustment'))
);
CREATE UNIQUE INDEX "ledger_entries_id_key" ON "ledger_entries"("id");
CREATE INDEX "ledger_entries_agent_id_seq_idx" ON "ledger_entries"("agent_id", "seq");

-- Append-only means append-only: the database refuses edits and deletions of ledger entries.
CREATE FUNCTION "ledger_entries_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only';
END;
$$;
CREATE TRIGGER "ledger_entries_no_update_or_delete"
    BEFORE UPDATE OR DELETE ON "ledger_entries"
    FOR EACH ROW EXECUTE FUNCTION "ledger_entries_append_only"();

CREATE TABLE "idempotency_keys" (
    "tenant_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("tenant_id", "key")
);
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "runs" ADD CONSTRAINT "runs_agent_id_fkey" FOREIGN KEY ("agent_id") REFERENCES "agents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
