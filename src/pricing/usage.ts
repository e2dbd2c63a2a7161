// What a call consumed, normalised across providers so each unit is counted exactly once.
// Provider extractors (src/providers/*.usage.ts) map their wire fields onto this.

export interface NormalizedUsage {
  /** Input tokens billed at the full (uncached, non-cache-write) input rate. */
  inputTokens: number;
  /** Input tokens served from an automatic prompt cache (OpenAI, Grok, Gemini). */
  cachedInputTokens: number;
  /** Input tokens written to an explicit prompt cache (Anthropic cache_creation). */
  cacheWriteTokens: number;
  /** Input tokens read from an explicit prompt cache (Anthropic cache_read). */
  cacheReadTokens: number;
  /** Visible output tokens, excluding reasoning. */
  outputTokens: number;
  /** Hidden reasoning / thinking tokens, billed on the output side. */
  reasoningTokens: number;
  webSearchCalls: number;
  fileSearchCalls: number;
  groundingQueries: number;
}

export const USAGE_FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'cacheWriteTokens',
  'cacheReadTokens',
  'outputTokens',
  'reasoningTokens',
  'webSearchCalls',
  'fileSearchCalls',
  'groundingQueries',
] as const satisfies readonly (keyof NormalizedUsage)[];

export function emptyUsage(): NormalizedUsage {
  return {
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    webSearchCalls: 0,
    fileSearchCalls: 0,
    groundingQueries: 0,
  };
}

/** Everything that counts toward the context window (and so toward a context cliff). */
export function totalInputTokens(usage: NormalizedUsage): number {
  return usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens + usage.cacheReadTokens;
}

export function assertValidUsage(usage: NormalizedUsage): void {
  for (const field of USAGE_FIELDS) {
    const value = usage[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`usage.${field} must be a non-negative integer, got ${String(value)}`);
    }
  }
}

/**
 * Reads a provider count defensively: a missing, null, negative, fractional or non-numeric
 * field counts as 0 rather than poisoning the settlement; fractions round up (never undercharge).
 */
export function countOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;
  return Math.min(Math.ceil(value), Number.MAX_SAFE_INTEGER);
}
