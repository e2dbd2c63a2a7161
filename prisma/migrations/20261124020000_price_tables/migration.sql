-- The last verified price tables (SPEC §6: a restart does not need the network).

CREATE TABLE "price_tables" (
    "version" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "source_ref" TEXT NOT NULL,
    "document" TEXT NOT NULL,
    "etag" TEXT,
    "generated_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "price_tables_pkey" PRIMARY KEY ("version")
);
CREATE INDEX "price_tables_fetched_at_idx" ON "price_tables"("fetched_at");
