// Validation of the seed's pricing document (SPEC §6) into a PriceTable. The document is parsed
// with lossless-json so every rate is read from its exact source token. Like the seed, a bad card
// is dropped with a reason instead of sinking the whole document; the document as a whole must
// still be current, meant for this engine, and price at least one model.

import { createHash } from 'node:crypto';
import { isLosslessNumber, type LosslessNumber } from 'lossless-json';
import { z } from 'zod';
import { canonicalJson, CanonicalJsonError, parsePythonCompatible } from './canonical-json';
import { parseScaledDecimal } from './exact-decimal';
import {
  CALL_RATE_DECIMALS,
  DEFAULT_ANTHROPIC_CONTEXT_CLIFF,
  isProvider,
  MAX_PRICES,
  MULTIPLIER_DECIMALS,
  PPM,
  QUERY_RATE_DECIMALS,
  TOKEN_RATE_DECIMALS,
  type ContextCliff,
  type PriceCard,
  type Provider,
} from './price-card';
import { cardKey, type PriceTable } from './price-table';
import { semVerInRange } from './semver';

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
const MAX_ALIASES_PER_CARD = 64;
const MAX_NAME_LENGTH = 256;

export interface PriceDocumentContext {
  engineName: string;
  engineVersion: string;
  now: Date;
  /** Tolerance for clocks that disagree with the signer's; default 300 s. */
  clockSkewSeconds?: number;
}

export type PriceDocumentRejection =
  | 'malformed'
  | 'unsupported_schema_version'
  | 'engine_mismatch'
  | 'engine_version_unsupported'
  | 'not_yet_valid'
  | 'expired'
  | 'no_valid_cards';

export interface DroppedCard {
  provider: string;
  model: string;
  reason: string;
}

export type PriceDocumentVerdict =
  | { ok: true; table: PriceTable; droppedCards: DroppedCard[] }
  | { ok: false; reason: PriceDocumentRejection; detail: string };

const numberToken = z.custom<LosslessNumber>((v) => isLosslessNumber(v), { message: 'expected a number' });

function scaled(decimals: number, what: string, max: number) {
  const maxScaled = BigInt(max) * 10n ** BigInt(decimals);
  return numberToken.transform((token, ctx) => {
    const value = parseScaledDecimal(token.value, decimals);
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} ${token.value} has more than ${decimals} decimal places` });
      return z.NEVER;
    }
    if (value < 0n) {
      ctx.addIssue({ code: 'custom', message: `${what} must not be negative` });
      return z.NEVER;
    }
    if (value > maxScaled) {
      ctx.addIssue({ code: 'custom', message: `${what} ${token.value} is past the maximum of ${max} (MAX_PRICES, docs/pricing.md)` });
      return z.NEVER;
    }
    return value;
  });
}

const positiveInt = numberToken.transform((token, ctx) => {
  const value = parseScaledDecimal(token.value, 0);
  if (value === undefined || value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    ctx.addIssue({ code: 'custom', message: `expected a positive integer, got ${token.value}` });
    return z.NEVER;
  }
  return Number(value);
});

// A multiplier below 1 would make a hold priced past the cliff smaller than a cost priced below
// it, breaking "the hold covers the cost"; and a cliff that lowers prices is not a cliff.
const multiplier = scaled(MULTIPLIER_DECIMALS, 'multiplier', MAX_PRICES.multiplier).refine((ppm) => ppm >= PPM, 'multiplier must be ≥ 1');

const tokenRate = scaled(TOKEN_RATE_DECIMALS, 'rate', MAX_PRICES.tokenRateCentsPer1M);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

const cardSchema = z
  .object({
    input_cents_per_1m: tokenRate,
    output_cents_per_1m: tokenRate,
    cached_input_cents_per_1m: optional(tokenRate),
    uncached_input_cents_per_1m: optional(tokenRate),
    reasoning_output_cents_per_1m: optional(tokenRate),
    cache_write_input_cents_per_1m: optional(tokenRate),
    cache_read_input_cents_per_1m: optional(tokenRate),
    grounding_cents_per_1k_queries: optional(scaled(QUERY_RATE_DECIMALS, 'grounding rate', MAX_PRICES.queryRateCentsPer1K)),
    web_search_cents_per_call: optional(scaled(CALL_RATE_DECIMALS, 'web search rate', MAX_PRICES.callRateCents)),
    file_search_cents_per_call: optional(scaled(CALL_RATE_DECIMALS, 'file search rate', MAX_PRICES.callRateCents)),
    context_cliff_threshold_tokens: optional(positiveInt),
    context_cliff_input_multiplier: optional(multiplier),
    context_cliff_output_multiplier: optional(multiplier),
    max_output_tokens: optional(positiveInt),
    aliases: optional(z.array(z.string().min(1).max(MAX_NAME_LENGTH)).max(MAX_ALIASES_PER_CARD)),
  })
  .loose();

// Python's datetime.isoformat() writes no offset for a naive UTC time; such stamps are read as UTC.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const timestamp = z.string().transform((text, ctx) => {
  const m = TIMESTAMP.exec(text);
  const ms = m ? Date.parse(m[1] ? text : `${text}Z`) : NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 timestamp: ${text}` });
    return z.NEVER;
  }
  return new Date(ms);
});

const documentSchema = z
  .object({
    schema_version: z.string(),
    engine: z.object({ name: z.string(), min_version: z.string(), max_version: z.string() }).loose(),
    generated_at: timestamp,
    expires_at: timestamp,
    rates: z.record(z.string(), z.unknown()),
    signature: z.string().nullish(),
  })
  .loose();

/** Validates a pricing document (its signature is checked separately, see signature.ts). */
export function parsePriceDocument(rawText: string, context: PriceDocumentContext): PriceDocumentVerdict {
  let parsed: unknown;
  let version: string;
  try {
    parsed = parsePythonCompatible(rawText);
    version = priceDocumentVersion(rawText);
  } catch (err) {
    if (err instanceof CanonicalJsonError) return reject('malformed', err.message);
    throw err;
  }
  const doc = documentSchema.safeParse(parsed);
  if (!doc.success) return reject('malformed', z.prettifyError(doc.error));
  const { schema_version, engine, generated_at, expires_at, rates } = doc.data;

  if (schema_version !== '1') return reject('unsupported_schema_version', `schema_version ${schema_version}`);
  if (engine.name !== context.engineName) {
    return reject('engine_mismatch', `document is for engine ${engine.name}, this is ${context.engineName}`);
  }
  if (!semVerInRange(context.engineVersion, engine.min_version, engine.max_version)) {
    return reject(
      'engine_version_unsupported',
      `engine ${context.engineVersion} is outside ${engine.min_version}..${engine.max_version}`,
    );
  }
  const skewMs = (context.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  const nowMs = context.now.getTime();
  if (generated_at.getTime() > nowMs + skewMs) {
    return reject('not_yet_valid', `generated_at ${generated_at.toISOString()} is in the future`);
  }
  if (expires_at.getTime() <= nowMs - skewMs) {
    return reject('expired', `expired at ${expires_at.toISOString()}`);
  }

  const { cards, droppedCards } = buildCards(rates);
  if (cards.size === 0) return reject('no_valid_cards', 'the document prices no model');
  return {
    ok: true,
    droppedCards,
    table: {
      version,
      generatedAt: generated_at,
      expiresAt: expires_at,
      engine: { name: engine.name, minVersion: engine.min_version, maxVersion: engine.max_version },
      cards,
    },
  };
}

/**
 * The table's version id: the first 16 hex chars of sha256 over the signed bytes. Content-derived,
 * so it is stable across restarts, instances and re-fetches, and differs whenever any price does.
 */
export function priceDocumentVersion(rawText: string): string {
  const canonical = canonicalJson(rawText, { omitTopLevelKeys: ['signature'] });
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16);
}

function buildCards(rates: Record<string, unknown>): { cards: Map<string, PriceCard>; droppedCards: DroppedCard[] } {
  const cards = new Map<string, PriceCard>();
  const droppedCards: DroppedCard[] = [];
  const aliasQueue: PriceCard[] = [];
  for (const provider of Object.keys(rates).sort()) {
    const models = rates[provider];
    if (!isProvider(provider)) {
      droppedCards.push({ provider, model: '*', reason: 'unknown provider' });
      continue;
    }
    if (typeof models !== 'object' || models === null || Array.isArray(models) || isLosslessNumber(models)) {
      droppedCards.push({ provider, model: '*', reason: 'provider rates must be an object of model cards' });
      continue;
    }
    for (const model of Object.keys(models).sort()) {
      const card = buildCard(provider, model, (models as Record<string, unknown>)[model]);
      if ('reason' in card) {
        droppedCards.push({ provider, model, reason: card.reason });
        continue;
      }
      cards.set(cardKey(provider, model), card);
      aliasQueue.push(card);
    }
  }
  // Aliases go in after every real model name, so an alias can never shadow a priced model.
  for (const card of aliasQueue) {
    for (const alias of card.aliases) {
      const key = cardKey(card.provider, alias);
      const holder = cards.get(key);
      if (holder && holder !== card) {
        droppedCards.push({ provider: card.provider, model: alias, reason: `alias of ${card.model} already names ${holder.model}` });
      } else {
        cards.set(key, card);
      }
    }
  }
  return { cards, droppedCards };
}

function buildCard(provider: Provider, model: string, raw: unknown): PriceCard | { reason: string } {
  if (model.length === 0 || model.length > MAX_NAME_LENGTH) return { reason: 'invalid model name' };
  const parsed = cardSchema.safeParse(raw);
  if (!parsed.success) return { reason: z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ') };
  const c = parsed.data;
  const card: PriceCard = {
    provider,
    model,
    inputFemtocentsPerToken: c.input_cents_per_1m,
    outputFemtocentsPerToken: c.output_cents_per_1m,
    cachedInputFemtocentsPerToken: c.cached_input_cents_per_1m ?? undefined,
    uncachedInputFemtocentsPerToken: c.uncached_input_cents_per_1m ?? undefined,
    reasoningOutputFemtocentsPerToken: c.reasoning_output_cents_per_1m ?? undefined,
    cacheWriteInputFemtocentsPerToken: c.cache_write_input_cents_per_1m ?? undefined,
    cacheReadInputFemtocentsPerToken: c.cache_read_input_cents_per_1m ?? undefined,
    groundingFemtocentsPerQuery: c.grounding_cents_per_1k_queries ?? undefined,
    webSearchFemtocentsPerCall: c.web_search_cents_per_call ?? undefined,
    fileSearchFemtocentsPerCall: c.file_search_cents_per_call ?? undefined,
    contextCliff: contextCliffOf(provider, c),
    maxOutputTokens: c.max_output_tokens ?? undefined,
    aliases: [...new Set(c.aliases ?? [])].filter((a) => a !== model),
    documentFields: displayFields(raw as Record<string, unknown>),
  };
  return card;
}

/**
 * Anthropic cards fall back field by field to the seed's default cliff (200k tokens, ×2 input,
 * ×1.5 output). Other providers have a cliff only when the card names a threshold; a missing
 * multiplier there means ×1.
 */
function contextCliffOf(
  provider: Provider,
  c: {
    context_cliff_threshold_tokens?: number | null;
    context_cliff_input_multiplier?: bigint | null;
    context_cliff_output_multiplier?: bigint | null;
  },
): ContextCliff | undefined {
  const fallback = provider === 'anthropic' ? DEFAULT_ANTHROPIC_CONTEXT_CLIFF : undefined;
  const thresholdTokens = c.context_cliff_threshold_tokens ?? fallback?.thresholdTokens;
  if (thresholdTokens === undefined) return undefined;
  return {
    thresholdTokens,
    inputMultiplierPpm: c.context_cliff_input_multiplier ?? fallback?.inputMultiplierPpm ?? PPM,
    outputMultiplierPpm: c.context_cliff_output_multiplier ?? fallback?.outputMultiplierPpm ?? PPM,
  };
}

function displayFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) out[key] = toDisplay(value);
  return out;
}

function toDisplay(value: unknown): unknown {
  if (isLosslessNumber(value)) return (value as LosslessNumber).value;
  if (Array.isArray(value)) return value.map(toDisplay);
  if (typeof value === 'object' && value !== null) return displayFields(value as Record<string, unknown>);
  return value;
}

function reject(reason: PriceDocumentRejection, detail: string): PriceDocumentVerdict {
  return { ok: false, reason, detail };
}
