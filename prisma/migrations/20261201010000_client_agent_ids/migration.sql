-- Agent ids are the client's to choose (SPEC §2: 1-128 characters of A-Z a-z 0-9 . _ : -), as
-- the seed's were, so they are text, and unique per tenant rather than across tenants: two
-- tenants may both name an agent "ci-bot". Every table that names an agent keys it by
-- (tenant_id, agent_id). Existing UUIDs carry over as their text.

ALTER TABLE "budgets" DROP CONSTRAINT "budgets_agent_id_fkey";
ALTER TABLE "runs" DROP CONSTRAINT "runs_agent_id_fkey";

ALTER TABLE "agents" ALTER COLUMN "id" TYPE TEXT;
ALTER TABLE "agents" DROP CONSTRAINT "agents_pkey";
ALTER TABLE "agents" ADD CONSTRAINT "agents_pkey" PRIMARY KEY ("tenant_id", "id");
ALTER TABLE "agents" ADD CONSTRAINT "agents_id_check" CHECK ("id" ~ '^[A-Za-z0-9._:-]{1,128}$');

ALTER TABLE "budgets" ALTER COLUMN "agent_id" TYPE TEXT;
ALTER TABLE "budgets" DROP CONSTRAINT "budgets_pkey";
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_pkey" PRIMARY KEY ("tenant_id", "agent_id");
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_tenant_id_agent_id_fkey" FOREIGN KEY ("tenant_id", "agent_id") REFERENCES "agents"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "runs" ALTER COLUMN "agent_id" TYPE TEXT;
ALTER TABLE "runs" DROP CONSTRAINT "runs_pkey";
ALTER TABLE "runs" ADD CONSTRAINT "runs_pkey" PRIMARY KEY ("tenant_id", "agent_id", "id");
DROP INDEX "runs_agent_id_created_at_idx";
CREATE INDEX "runs_tenant_id_agent_id_created_at_idx" ON "runs"("tenant_id", "agent_id", "created_at");
ALTER TABLE "runs" ADD CONSTRAINT "runs_tenant_id_agent_id_fkey" FOREIGN KEY ("tenant_id", "agent_id") REFERENCES "agents"("tenant_id", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "reservations" ALTER COLUMN "agent_id" TYPE TEXT;
DROP INDEX "reservations_agent_id_run_id_idx";
CREATE INDEX "reservations_tenant_id_agent_id_run_id_idx" ON "reservations"("tenant_id", "agent_id", "run_id");
DROP INDEX "reservations_open_agent_id_created_at_idx";
CREATE INDEX "reservations_open_tenant_id_agent_id_created_at_idx" ON "reservations"("tenant_id", "agent_id", "created_at") WHERE "status" = 'open';

ALTER TABLE "ledger_entries" ALTER COLUMN "agent_id" TYPE TEXT;
DROP INDEX "ledger_entries_agent_id_seq_idx";
CREATE INDEX "ledger_entries_tenant_id_agent_id_seq_idx" ON "ledger_entries"("tenant_id", "agent_id", "seq");
