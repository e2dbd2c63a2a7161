import fc from 'fast-check';
import { costOf } from './cost-engine';
import type { PriceCard } from './price-card';
import { cardFrom, seedCard } from './testdata/seed-table';
import { emptyUsage, type NormalizedUsage } from './usage';
import { affordableOutputTokens, decideOutputCap, worstCaseHoldMicrocents, type HoldExtras } from './worst-case-hold';

const opus = seedCard('anthropic', 'claude-opus-4-6');
const mini = seedCard('openai', 'gpt-4o-mini');

describe('worstCaseHoldMicrocents', () => {
  it('prices input at the dearest input-side rate and the cap at the dearest output rate', () => {
    // Opus: a cache write (625) costs more than plain input (500).
    expect(worstCaseHoldMicrocents(opus, 1000, 100)).toBe(1000n * 625n + 100n * 2500n);
    expect(worstCaseHoldMicrocents(mini, 1000, 100)).toBe(1000n * 15n + 100n * 60n);
  });

  it('applies the context cliff when the estimate crosses it', () => {
    expect(worstCaseHoldMicrocents(opus, 200_000, 10)).toBe(200_000n * 625n + 10n * 2500n);
    expect(worstCaseHoldMicrocents(opus, 200_001, 10)).toBe(200_001n * 1250n + 10n * 3750n);
  });

  it('covers every choice and every allowed hosted tool call', () => {
    const card = cardFrom('gemini', { input_cents_per_1m: 1, output_cents_per_1m: 2, grounding_cents_per_1k_queries: 3500, web_search_cents_per_call: 1 });
    const extras: HoldExtras = { choices: 3, toolCalls: { webSearchCalls: 2, fileSearchCalls: 5, groundingQueries: 4 } };
    expect(worstCaseHoldMicrocents(card, 10, 100, extras)).toBe(10n + 3n * 100n * 2n + 2n * 1_000_000n + 4n * 3_500_000n);
  });

  it('rounds the exact hold up once', () => {
    const card = cardFrom('openai', { input_cents_per_1m: '0.3', output_cents_per_1m: '0.3' });
    expect(worstCaseHoldMicrocents(card, 1, 1)).toBe(1n);
    expect(worstCaseHoldMicrocents(card, 2, 2)).toBe(2n);
  });

  it('refuses negative or fractional inputs', () => {
    expect(() => worstCaseHoldMicrocents(mini, -1, 1)).toThrow(RangeError);
    expect(() => worstCaseHoldMicrocents(mini, 1, 0.5)).toThrow(RangeError);
  });
});

describe('affordableOutputTokens', () => {
  it('finds the largest cap whose hold fits', () => {
    // 1000 input × 15 = 15,000 µ¢; each output token 60 µ¢.
    expect(affordableOutputTokens(mini, 1000, 15_000n + 60n * 7n + 59n)).toBe(7);
    expect(affordableOutputTokens(mini, 1000, 15_000n)).toBe(0);
    expect(affordableOutputTokens(mini, 1000, 14_999n)).toBe(0);
    expect(affordableOutputTokens(mini, 0, 0n)).toBe(0);
  });

  it('divides the budget between choices', () => {
    expect(affordableOutputTokens(mini, 0, 600n, { choices: 2 })).toBe(5);
  });

  it('is unbounded when output is free', () => {
    expect(affordableOutputTokens(seedCard('openai', 'text-embedding-3-small'), 10, 20n)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('agrees with worstCaseHoldMicrocents at the boundary', () => {
    fc.assert(
      fc.property(anyCard(), fc.nat({ max: 500_000 }), fc.bigInt({ min: 0n, max: 10n ** 10n }), anyExtras(), (card, input, remaining, extras) => {
        const n = affordableOutputTokens(card, input, remaining, extras);
        if (n === 0) {
          expect(worstCaseHoldMicrocents(card, input, 1, extras) > remaining || worstCaseHoldMicrocents(card, input, 0, extras) > remaining).toBe(true);
          return;
        }
        if (n === Number.MAX_SAFE_INTEGER) return;
        expect(worstCaseHoldMicrocents(card, input, n, extras) <= remaining).toBe(true);
        expect(worstCaseHoldMicrocents(card, input, n + 1, extras) > remaining).toBe(true);
      }),
    );
  });
});

describe('decideOutputCap', () => {
  const base = { defaultMaxTokens: 1024, modelMaxOutputTokens: 4096, affordableTokens: 100_000 };

  it('uses the request’s cap, else the default', () => {
    expect(decideOutputCap({ ...base, requestedCap: 300 })).toEqual({ ok: true, capTokens: 300, clampedToBudget: false, clampedToModel: false });
    expect(decideOutputCap({ ...base, requestedCap: undefined })).toEqual({ ok: true, capTokens: 1024, clampedToBudget: false, clampedToModel: false });
  });

  it('clamps to the model’s limit and to the budget', () => {
    expect(decideOutputCap({ ...base, requestedCap: 10_000 })).toEqual({ ok: true, capTokens: 4096, clampedToBudget: false, clampedToModel: true });
    expect(decideOutputCap({ ...base, requestedCap: 10_000, modelMaxOutputTokens: undefined, affordableTokens: 500 })).toEqual({ ok: true, capTokens: 500, clampedToBudget: true, clampedToModel: false });
  });

  it('refuses when not one token is affordable, or when clamping is off and it would shrink', () => {
    expect(decideOutputCap({ ...base, requestedCap: 10, affordableTokens: 0 })).toEqual({ ok: false, reason: 'insufficient_budget' });
    expect(decideOutputCap({ ...base, requestedCap: 10, affordableTokens: 9, clamp: false })).toEqual({ ok: false, reason: 'insufficient_budget' });
    expect(decideOutputCap({ ...base, requestedCap: 10, affordableTokens: 10, clamp: false })).toMatchObject({ ok: true, capTokens: 10 });
  });

  it('refuses a cap that is not a positive integer', () => {
    for (const requestedCap of [0, -5, 1.5, Number.NaN]) {
      expect(decideOutputCap({ ...base, requestedCap })).toEqual({ ok: false, reason: 'invalid_requested_cap' });
    }
  });
});

describe('the hold covers the settled cost', () => {
  it('for any usage the request allows', () => {
    fc.assert(
      fc.property(anyCard(), fc.nat({ max: 400_000 }), fc.nat({ max: 100_000 }), anyExtras(), fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (card, estimate, cap, extras, random) => {
        const hold = worstCaseHoldMicrocents(card, estimate, cap, extras);
        const usage = allowedUsage(estimate, cap, extras, random);
        expect(costOf(card, usage).totalMicrocents <= hold).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('including the tightest case: everything at the limit', () => {
    for (const card of [opus, mini, seedCard('gemini', 'gemini-3-pro-preview')]) {
      for (const estimate of [199_999, 200_000, 200_001]) {
        const hold = worstCaseHoldMicrocents(card, estimate, 4096);
        for (const split of ['inputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'cacheReadTokens'] as const) {
          const usage: NormalizedUsage = { ...emptyUsage(), [split]: estimate, reasoningTokens: 4096 };
          expect(costOf(card, usage).totalMicrocents <= hold).toBe(true);
        }
      }
    }
  });
});

function anyCard(): fc.Arbitrary<PriceCard> {
  const rate = fc.oneof(fc.nat({ max: 5000 }).map(String), fc.tuple(fc.nat({ max: 5000 }), fc.nat({ max: 999_999_999 })).map(([i, f]) => `${i}.${String(f).padStart(9, '0')}`));
  const mult = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat({ max: 999_999 })).map(([i, f]) => `${i}.${String(f).padStart(6, '0')}`);
  const provider = fc.constantFrom('openai' as const, 'grok' as const, 'anthropic' as const, 'gemini' as const);
  const generated = fc
    .record({
      provider,
      input: rate,
      output: rate,
      optional: fc.subarray(['cached_input_cents_per_1m', 'uncached_input_cents_per_1m', 'reasoning_output_cents_per_1m', 'cache_write_input_cents_per_1m', 'cache_read_input_cents_per_1m', 'grounding_cents_per_1k_queries', 'web_search_cents_per_call', 'file_search_cents_per_call']),
      optionalRates: fc.array(rate, { minLength: 8, maxLength: 8 }),
      cliff: fc.option(fc.record({ threshold: fc.integer({ min: 1, max: 300_000 }), input: mult, output: mult }), { nil: undefined }),
    })
    .map(({ provider: p, input, output, optional, optionalRates, cliff }) => {
      const fields: Record<string, string | number> = { input_cents_per_1m: input, output_cents_per_1m: output };
      optional.forEach((name, i) => (fields[name] = optionalRates[i]));
      if (cliff) Object.assign(fields, { context_cliff_threshold_tokens: cliff.threshold, context_cliff_input_multiplier: cliff.input, context_cliff_output_multiplier: cliff.output });
      return cardFrom(p, fields);
    });
  return fc.oneof(fc.constantFrom(opus, mini, seedCard('openai', 'gpt-5.2'), seedCard('gemini', 'gemini-3-pro-preview'), seedCard('grok', 'grok-3')), generated);
}

function anyExtras(): fc.Arbitrary<HoldExtras> {
  return fc.record({
    choices: fc.integer({ min: 1, max: 4 }),
    toolCalls: fc.record({ webSearchCalls: fc.nat({ max: 20 }), fileSearchCalls: fc.nat({ max: 20 }), groundingQueries: fc.nat({ max: 20 }) }),
  });
}

/** A usage within the request's limits, split at random positions drawn from `random`. */
function allowedUsage(estimate: number, cap: number, extras: HoldExtras, random: fc.Stream<number>): NormalizedUsage {
  const draws = [...random.take(12)];
  // 0..limit inclusive; draws near 1 reach the limit itself.
  const upTo = (limit: number, i: number) => Math.min(limit, Math.floor((limit + 1) * draws[i]));
  const split = (total: number, parts: number, from: number): number[] => {
    const cuts = Array.from({ length: parts - 1 }, (_, k) => upTo(total, from + k)).sort((a, b) => a - b);
    return [...cuts, total].map((c, k) => c - (k === 0 ? 0 : cuts[k - 1]));
  };
  const [inputTokens, cachedInputTokens, cacheWriteTokens, cacheReadTokens] = split(upTo(estimate, 0), 4, 1);
  const [outputTokens, reasoningTokens] = split(upTo(cap * (extras.choices ?? 1), 4), 2, 5);
  const calls = extras.toolCalls!;
  return {
    inputTokens,
    cachedInputTokens,
    cacheWriteTokens,
    cacheReadTokens,
    outputTokens,
    reasoningTokens,
    webSearchCalls: upTo(calls.webSearchCalls, 6),
    fileSearchCalls: upTo(calls.fileSearchCalls, 7),
    groundingQueries: upTo(calls.groundingQueries, 8),
  };
}
