// What one model costs, in the exact integer units the cost engine computes with.
//
// Units, chosen generously and once (TIGER_STYLE's asset scale):
// - per-token, per-query and per-call prices are femtocents (1 fc = 10^-15 cent = 10^-9 µ¢).
//   A document rate of R cents per 1M tokens is R µ¢ per token, i.e. R × 10^9 fc per token, so
//   rates with up to 9 decimal places are exact; a finer rate makes the card invalid.
// - context-cliff multipliers are parts per million (1.5 → 1_500_000), up to 6 decimals.

export const PROVIDERS = ['openai', 'grok', 'anthropic', 'gemini'] as const;
export type Provider = (typeof PROVIDERS)[number];

export function isProvider(value: string): value is Provider {
  return (PROVIDERS as readonly string[]).includes(value);
}

export const FEMTOCENTS_PER_MICROCENT = 1_000_000_000n;
export const PPM = 1_000_000n;

/** Decimal places of each document field that the femtocent scale keeps exact. */
export const TOKEN_RATE_DECIMALS = 9; // cents per 1M tokens → fc per token
export const QUERY_RATE_DECIMALS = 12; // cents per 1k queries → fc per query
export const CALL_RATE_DECIMALS = 15; // cents per call → fc per call
export const MULTIPLIER_DECIMALS = 6; // multiplier → ppm

/**
 * The largest values a price card may carry, far past any real price (the dearest models of
 * 2026 cost under 100,000 cents per 1M tokens). A card past them is refused at verification, so
 * no price can make a hold or a cost larger than the ledger keeps (common/money.ts MAX_MICROCENTS:
 * the longest prompt a body can carry, priced at these rates, still fits).
 */
export const MAX_PRICES = {
  /** Cents per 1M tokens: $10M per 1M tokens, $10 a token. */
  tokenRateCentsPer1M: 1_000_000_000,
  /** Cents per 1k grounding queries. */
  queryRateCentsPer1K: 100_000_000,
  /** Cents per hosted tool call: $10,000. */
  callRateCents: 1_000_000,
  /** Context-cliff multipliers. */
  multiplier: 100,
} as const;

export interface ContextCliff {
  /** The cliff applies when total input tokens exceed (strictly) this many. */
  thresholdTokens: number;
  inputMultiplierPpm: bigint;
  outputMultiplierPpm: bigint;
}

/**
 * The seed's Anthropic long-context pricing, used for an anthropic card that does not state its
 * own: above 200,000 input tokens, input-side rates double and output-side rates rise by half.
 */
export const DEFAULT_ANTHROPIC_CONTEXT_CLIFF: ContextCliff = {
  thresholdTokens: 200_000,
  inputMultiplierPpm: 2_000_000n,
  outputMultiplierPpm: 1_500_000n,
};

export interface PriceCard {
  provider: Provider;
  model: string;
  inputFemtocentsPerToken: bigint;
  outputFemtocentsPerToken: bigint;
  /** Absent fields fall back as the cost engine documents (mostly to the input rate). */
  cachedInputFemtocentsPerToken?: bigint;
  uncachedInputFemtocentsPerToken?: bigint;
  reasoningOutputFemtocentsPerToken?: bigint;
  cacheWriteInputFemtocentsPerToken?: bigint;
  cacheReadInputFemtocentsPerToken?: bigint;
  groundingFemtocentsPerQuery?: bigint;
  webSearchFemtocentsPerCall?: bigint;
  fileSearchFemtocentsPerCall?: bigint;
  contextCliff?: ContextCliff;
  maxOutputTokens?: number;
  aliases: readonly string[];
  /** The card's fields as the document wrote them (numbers as their source text), for display. */
  documentFields: Readonly<Record<string, unknown>>;
}
