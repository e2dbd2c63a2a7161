// SPEC §4 rules 4-5: what to reserve before a call, and how many output tokens the budget can
// afford. The hold is a price no settlement can exceed for any usage the request allows: input
// up to the estimate (split any way between uncached, cached and cache-write/read tokens),
// output plus reasoning up to the cap per choice, and hosted tool calls up to their allowance.

import { ceilDiv, floorDiv } from './exact-decimal';
import { cliffMultipliersPpm, effectiveRates, ZEPTOCENTS_PER_MICROCENT } from './cost-engine';
import { PPM, type PriceCard } from './price-card';

export interface ToolCallAllowance {
  webSearchCalls: number;
  fileSearchCalls: number;
  groundingQueries: number;
}

export interface HoldExtras {
  /** Choices generated (OpenAI `n`, Gemini `candidateCount`): output is billed for each. */
  choices?: number;
  toolCalls?: ToolCallAllowance;
}

export function worstCaseHoldMicrocents(card: PriceCard, inputEstimate: number, outputCap: number, extras: HoldExtras = {}): bigint {
  assertCount('inputEstimate', inputEstimate);
  assertCount('outputCap', outputCap);
  const parts = holdParts(card, inputEstimate, extras);
  return ceilDiv(parts.fixedZeptocents + BigInt(outputCap) * parts.perOutputTokenZeptocents, ZEPTOCENTS_PER_MICROCENT);
}

/**
 * The largest output cap (per choice) whose worst-case hold fits in `remainingMicrocents`; 0 when
 * not even the input fits. Output that costs nothing is unbounded: MAX_SAFE_INTEGER.
 */
export function affordableOutputTokens(card: PriceCard, inputEstimate: number, remainingMicrocents: bigint, extras: HoldExtras = {}): number {
  assertCount('inputEstimate', inputEstimate);
  const parts = holdParts(card, inputEstimate, extras);
  // A whole-µ¢ budget R covers an exact hold H iff ceil(H) ≤ R iff H ≤ R.
  const spareZeptocents = remainingMicrocents * ZEPTOCENTS_PER_MICROCENT - parts.fixedZeptocents;
  if (spareZeptocents < 0n) return 0;
  if (parts.perOutputTokenZeptocents === 0n) return Number.MAX_SAFE_INTEGER;
  const tokens = floorDiv(spareZeptocents, parts.perOutputTokenZeptocents);
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}

export type OutputCapDecision =
  | { ok: true; capTokens: number; clampedToBudget: boolean; clampedToModel: boolean }
  | { ok: false; reason: 'insufficient_budget' | 'invalid_requested_cap' };

export interface OutputCapInput {
  requestedCap: number | undefined;
  defaultMaxTokens: number;
  modelMaxOutputTokens: number | undefined;
  affordableTokens: number;
  /** `x-cynsta-clamp: off`: refuse (402) rather than shrink the cap to the budget. */
  clamp?: boolean;
}

/**
 * The request's cap (or the default), limited to the model's maximum, then to what the budget
 * affords. Fewer than 1 affordable token, or any budget shrink with clamping off, is a 402.
 */
export function decideOutputCap(input: OutputCapInput): OutputCapDecision {
  const { requestedCap, defaultMaxTokens, modelMaxOutputTokens, affordableTokens, clamp = true } = input;
  if (requestedCap !== undefined && (!Number.isSafeInteger(requestedCap) || requestedCap < 1)) {
    return { ok: false, reason: 'invalid_requested_cap' };
  }
  let capTokens = requestedCap ?? defaultMaxTokens;
  const clampedToModel = modelMaxOutputTokens !== undefined && capTokens > modelMaxOutputTokens;
  if (clampedToModel) capTokens = modelMaxOutputTokens;
  const clampedToBudget = affordableTokens < capTokens;
  if (clampedToBudget) {
    if (!clamp || affordableTokens < 1) return { ok: false, reason: 'insufficient_budget' };
    capTokens = affordableTokens;
  }
  return { ok: true, capTokens, clampedToBudget, clampedToModel };
}

interface HoldParts {
  fixedZeptocents: bigint;
  perOutputTokenZeptocents: bigint;
}

/**
 * Input at the dearest input-side rate (a cache write can cost more than plain input), output at
 * the dearer of output and reasoning, both past the cliff when the estimate crosses it. Cliff
 * multipliers are ≥ 1 (the document validator insists), so an actual input below the threshold
 * is still covered.
 */
function holdParts(card: PriceCard, inputEstimate: number, extras: HoldExtras): HoldParts {
  const rates = effectiveRates(card);
  const cliff = cliffMultipliersPpm(card, inputEstimate);
  const inputRate = max(
    rates.inputFemtocentsPerToken,
    rates.cachedInputFemtocentsPerToken,
    rates.cacheWriteInputFemtocentsPerToken,
    rates.cacheReadInputFemtocentsPerToken,
  );
  const outputRate = max(rates.outputFemtocentsPerToken, rates.reasoningOutputFemtocentsPerToken);
  const choices = extras.choices ?? 1;
  assertCount('choices', choices);
  const calls = extras.toolCalls ?? { webSearchCalls: 0, fileSearchCalls: 0, groundingQueries: 0 };
  for (const [name, count] of Object.entries(calls)) assertCount(name, count);
  const toolZeptocents =
    (BigInt(calls.webSearchCalls) * rates.webSearchFemtocentsPerCall +
      BigInt(calls.fileSearchCalls) * rates.fileSearchFemtocentsPerCall +
      BigInt(calls.groundingQueries) * rates.groundingFemtocentsPerQuery) *
    PPM;
  return {
    fixedZeptocents: BigInt(inputEstimate) * inputRate * cliff.input + toolZeptocents,
    perOutputTokenZeptocents: BigInt(choices) * outputRate * cliff.output,
  };
}

function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}
