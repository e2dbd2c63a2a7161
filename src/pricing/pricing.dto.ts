import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { isoDateTime, stringOrNull } from '../common/http/schemas';

const rate = z.number().nonnegative();

/** A card as the document wrote it (SPEC §6 fields, ours last). */
export const priceCardSchema = z
  .object({
    input_cents_per_1m: rate,
    output_cents_per_1m: rate,
    cached_input_cents_per_1m: rate.optional(),
    uncached_input_cents_per_1m: rate.optional(),
    reasoning_output_cents_per_1m: rate.optional(),
    cache_write_input_cents_per_1m: rate.optional(),
    cache_read_input_cents_per_1m: rate.optional(),
    grounding_cents_per_1k_queries: rate.optional(),
    web_search_cents_per_call: rate.optional(),
    file_search_cents_per_call: rate.optional(),
    context_cliff_threshold_tokens: rate.optional(),
    context_cliff_input_multiplier: rate.optional(),
    context_cliff_output_multiplier: rate.optional(),
    max_output_tokens: rate.optional(),
    aliases: z.array(z.string()).optional(),
  })
  .strict();

export const pricingSchema = z.object({
  available: z.boolean().describe('false: metered calls answer 503 pricing_unavailable'),
  source: z.enum(['url', 'file', 'bundled', 'stored']).nullable().describe('stored: the last verified table, read back from the database'),
  source_ref: stringOrNull.describe('the URL or file the table came from'),
  version: stringOrNull.describe('first 16 hex of SHA-256 over the canonical document; ledger entries name it'),
  generated_at: isoDateTime.nullable(),
  expires_at: isoDateTime.nullable(),
  fetched_at: isoDateTime.nullable(),
  verified: z.boolean().describe('its Ed25519 signature was checked against CAP_PRICING_SIGNING_PUBLIC_KEY'),
  last_error: stringOrNull.describe('why the latest load failed, if it did'),
  rates: z.record(z.string(), z.record(z.string(), priceCardSchema)).describe('{provider: {model: card}}'),
});

export class PricingDto extends createZodDto(pricingSchema) {}
