// The exact price of a call: every line item in zeptocents (10^-21 cent, i.e. a femtocent
// price × a ppm multiplier), summed exactly, then rounded up to a whole microcent once. Never
// per line item, never to cents.

import { ceilDiv, formatScaledDecimal } from './exact-decimal';
import { PPM, type PriceCard } from './price-card';
import { assertValidUsage, totalInputTokens, type NormalizedUsage } from './usage';

/** 1 µ¢ = 10^9 fc, and a ppm multiplier adds 6 more decimal places. */
export const ZEPTOCENTS_PER_MICROCENT = 10n ** 15n;
const MICROCENT_DECIMALS = 15;

export type LineItemKind =
  | 'input'
  | 'cached_input'
  | 'cache_write_input'
  | 'cache_read_input'
  | 'output'
  | 'reasoning_output'
  | 'web_search'
  | 'file_search'
  | 'grounding';

export interface CostLineItem {
  item: LineItemKind;
  /** Token items carry `tokens`; per-call items (searches, grounding queries) carry `calls`. */
  tokens?: number;
  calls?: number;
  /** µ¢ per token or per call, exact, after any context-cliff multiplier. */
  rate: string;
  /** Exact µ¢ for this item before the single final round-up. */
  microcents: string;
}

export interface CostBreakdown {
  totalMicrocents: bigint;
  lineItems: CostLineItem[];
  cliffApplied: boolean;
}

/** Per-unit prices after the card's fallbacks: one place decides which rate bills what. */
export interface EffectiveRates {
  inputFemtocentsPerToken: bigint;
  cachedInputFemtocentsPerToken: bigint;
  cacheWriteInputFemtocentsPerToken: bigint;
  cacheReadInputFemtocentsPerToken: bigint;
  outputFemtocentsPerToken: bigint;
  reasoningOutputFemtocentsPerToken: bigint;
  webSearchFemtocentsPerCall: bigint;
  fileSearchFemtocentsPerCall: bigint;
  groundingFemtocentsPerQuery: bigint;
}

/**
 * Fallbacks: uncached input overrides the input rate for uncached tokens; cached input, cache
 * writes and cache reads fall back to the card's input rate; reasoning falls back to the output
 * rate. A card without a per-call price charges nothing per call (its tokens are still billed).
 */
export function effectiveRates(card: PriceCard): EffectiveRates {
  const input = card.inputFemtocentsPerToken;
  return {
    inputFemtocentsPerToken: card.uncachedInputFemtocentsPerToken ?? input,
    cachedInputFemtocentsPerToken: card.cachedInputFemtocentsPerToken ?? input,
    cacheWriteInputFemtocentsPerToken: card.cacheWriteInputFemtocentsPerToken ?? input,
    cacheReadInputFemtocentsPerToken: card.cacheReadInputFemtocentsPerToken ?? input,
    outputFemtocentsPerToken: card.outputFemtocentsPerToken,
    reasoningOutputFemtocentsPerToken: card.reasoningOutputFemtocentsPerToken ?? card.outputFemtocentsPerToken,
    webSearchFemtocentsPerCall: card.webSearchFemtocentsPerCall ?? 0n,
    fileSearchFemtocentsPerCall: card.fileSearchFemtocentsPerCall ?? 0n,
    groundingFemtocentsPerQuery: card.groundingFemtocentsPerQuery ?? 0n,
  };
}

/** Whether `inputTokens` crosses the card's context cliff (strictly above the threshold). */
export function cliffApplies(card: PriceCard, inputTokens: number): boolean {
  return card.contextCliff !== undefined && inputTokens > card.contextCliff.thresholdTokens;
}

/** Input-side and output-side multipliers in ppm for a call with this much input. */
export function cliffMultipliersPpm(card: PriceCard, inputTokens: number): { input: bigint; output: bigint } {
  if (!cliffApplies(card, inputTokens)) return { input: PPM, output: PPM };
  return { input: card.contextCliff!.inputMultiplierPpm, output: card.contextCliff!.outputMultiplierPpm };
}

export function costOf(card: PriceCard, usage: NormalizedUsage): CostBreakdown {
  assertValidUsage(usage);
  const rates = effectiveRates(card);
  const cliff = cliffMultipliersPpm(card, totalInputTokens(usage));
  const lines: [LineItemKind, 'tokens' | 'calls', number, bigint, bigint][] = [
    ['input', 'tokens', usage.inputTokens, rates.inputFemtocentsPerToken, cliff.input],
    ['cached_input', 'tokens', usage.cachedInputTokens, rates.cachedInputFemtocentsPerToken, cliff.input],
    ['cache_write_input', 'tokens', usage.cacheWriteTokens, rates.cacheWriteInputFemtocentsPerToken, cliff.input],
    ['cache_read_input', 'tokens', usage.cacheReadTokens, rates.cacheReadInputFemtocentsPerToken, cliff.input],
    ['output', 'tokens', usage.outputTokens, rates.outputFemtocentsPerToken, cliff.output],
    ['reasoning_output', 'tokens', usage.reasoningTokens, rates.reasoningOutputFemtocentsPerToken, cliff.output],
    ['web_search', 'calls', usage.webSearchCalls, rates.webSearchFemtocentsPerCall, PPM],
    ['file_search', 'calls', usage.fileSearchCalls, rates.fileSearchFemtocentsPerCall, PPM],
    ['grounding', 'calls', usage.groundingQueries, rates.groundingFemtocentsPerQuery, PPM],
  ];
  let totalZeptocents = 0n;
  const lineItems: CostLineItem[] = [];
  for (const [item, unit, count, priceFemtocents, multiplierPpm] of lines) {
    if (count === 0) continue;
    const unitZeptocents = priceFemtocents * multiplierPpm;
    const zeptocents = BigInt(count) * unitZeptocents;
    totalZeptocents += zeptocents;
    lineItems.push({
      item,
      [unit]: count,
      rate: formatScaledDecimal(unitZeptocents, MICROCENT_DECIMALS),
      microcents: formatScaledDecimal(zeptocents, MICROCENT_DECIMALS),
    });
  }
  return {
    totalMicrocents: zeptocentsToMicrocentsCeil(totalZeptocents),
    lineItems,
    cliffApplied: cliffApplies(card, totalInputTokens(usage)),
  };
}

export function zeptocentsToMicrocentsCeil(zeptocents: bigint): bigint {
  return ceilDiv(zeptocents, ZEPTOCENTS_PER_MICROCENT);
}

/** The breakdown as the ledger stores it: snake_case, bigints as decimal strings. */
export interface CostBreakdownJson {
  total_microcents: string;
  cliff_applied: boolean;
  line_items: { item: LineItemKind; tokens?: number; calls?: number; rate_microcents: string; microcents: string }[];
}

export function costBreakdownToJson(breakdown: CostBreakdown): CostBreakdownJson {
  return {
    total_microcents: breakdown.totalMicrocents.toString(),
    cliff_applied: breakdown.cliffApplied,
    line_items: breakdown.lineItems.map(({ rate, ...rest }) => ({ ...rest, rate_microcents: rate })),
  };
}
