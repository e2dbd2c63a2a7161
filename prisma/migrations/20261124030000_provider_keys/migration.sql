-- Tenants' own provider API keys (hosted mode), encrypted at rest (AES-256-GCM).

CREATE TABLE "provider_keys" (
    "tenant_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "provider_keys_pkey" PRIMARY KEY ("tenant_id", "provider"),
    CONSTRAINT "provider_keys_provider_check" CHECK ("provider" IN ('openai', 'grok', 'anthropic', 'gemini'))
);
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
