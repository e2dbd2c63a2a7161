import fc from 'fast-check';
import { costBreakdownToJson, costOf } from './cost-engine';
import { parseScaledDecimal } from './exact-decimal';
import { cardFrom, seedCard } from './testdata/seed-table';
import { emptyUsage, USAGE_FIELDS, type NormalizedUsage } from './usage';

const usage = (fields: Partial<NormalizedUsage>): NormalizedUsage => ({ ...emptyUsage(), ...fields });

describe('costOf', () => {
  it('prices each token at its card rate in µ¢', () => {
    // gpt-4o-mini: input 15, cached 8, output 60 µ¢ per token.
    const cost = costOf(seedCard('openai', 'gpt-4o-mini'), usage({ inputTokens: 1000, cachedInputTokens: 500, outputTokens: 200 }));
    expect(cost.totalMicrocents).toBe(1000n * 15n + 500n * 8n + 200n * 60n);
    expect(cost.cliffApplied).toBe(false);
    expect(cost.lineItems).toEqual([
      { item: 'input', tokens: 1000, rate: '15', microcents: '15000' },
      { item: 'cached_input', tokens: 500, rate: '8', microcents: '4000' },
      { item: 'output', tokens: 200, rate: '60', microcents: '12000' },
    ]);
  });

  it('keeps fractional rates exact and rounds the total up once', () => {
    const card = cardFrom('openai', { input_cents_per_1m: '7.5', output_cents_per_1m: '0.075', cached_input_cents_per_1m: '0.5' });
    const cost = costOf(card, usage({ inputTokens: 3, outputTokens: 1 }));
    expect(cost.lineItems.map((l) => l.microcents)).toEqual(['22.5', '0.075']);
    expect(cost.totalMicrocents).toBe(23n);
    // Two half-microcent items make one microcent, not two.
    expect(costOf(card, usage({ cachedInputTokens: 2 })).totalMicrocents).toBe(1n);
    expect(costOf(card, usage({ cachedInputTokens: 1 })).totalMicrocents).toBe(1n);
    expect(costOf(card, usage({})).totalMicrocents).toBe(0n);
  });

  it('applies the Anthropic context cliff above 200k input tokens, counting cache reads and writes', () => {
    const opus = seedCard('anthropic', 'claude-opus-4-6');
    const below = costOf(opus, usage({ inputTokens: 140_000, cacheReadTokens: 60_000, outputTokens: 1000 }));
    expect(below.cliffApplied).toBe(false);
    expect(below.totalMicrocents).toBe(140_000n * 500n + 60_000n * 50n + 1000n * 2500n);

    const above = costOf(opus, usage({ inputTokens: 140_000, cacheReadTokens: 60_000, cacheWriteTokens: 1, outputTokens: 1000 }));
    expect(above.cliffApplied).toBe(true);
    // Input side ×2, output side ×1.5.
    expect(above.totalMicrocents).toBe(140_000n * 1000n + 60_000n * 100n + 1n * 1250n + 1000n * 3750n);
    expect(above.lineItems.find((l) => l.item === 'output')!.rate).toBe('3750');
  });

  it('bills grounding per 1000 queries and searches per call, outside the cliff', () => {
    const gemini = seedCard('gemini', 'gemini-3-pro-preview');
    const cost = costOf(gemini, usage({ inputTokens: 10, groundingQueries: 3 }));
    // 3500 cents per 1000 queries = 3.5 cents = 3,500,000 µ¢ per query.
    expect(cost.totalMicrocents).toBe(10n * 200n + 3n * 3_500_000n);
    expect(cost.lineItems[1]).toEqual({ item: 'grounding', calls: 3, rate: '3500000', microcents: '10500000' });

    const card = cardFrom('anthropic', {
      input_cents_per_1m: 300,
      output_cents_per_1m: 1500,
      web_search_cents_per_call: 1,
      file_search_cents_per_call: '0.25',
      context_cliff_threshold_tokens: 10,
    });
    const searched = costOf(card, usage({ inputTokens: 11, webSearchCalls: 2, fileSearchCalls: 1 }));
    expect(searched.cliffApplied).toBe(true);
    expect(searched.totalMicrocents).toBe(11n * 600n + 2n * 1_000_000n + 250_000n);
  });

  it('uses the fallbacks for absent rates', () => {
    const card = cardFrom('openai', { input_cents_per_1m: 100, output_cents_per_1m: 400, uncached_input_cents_per_1m: 120 });
    const cost = costOf(card, usage({ inputTokens: 1, cachedInputTokens: 1, cacheWriteTokens: 1, cacheReadTokens: 1, outputTokens: 1, reasoningTokens: 1, webSearchCalls: 5 }));
    expect(cost.lineItems.map((l) => [l.item, l.rate])).toEqual([
      ['input', '120'],
      ['cached_input', '100'],
      ['cache_write_input', '100'],
      ['cache_read_input', '100'],
      ['output', '400'],
      ['reasoning_output', '400'],
      ['web_search', '0'],
    ]);
    expect(cost.totalMicrocents).toBe(120n + 300n + 800n);
  });

  it('prices reasoning at its own rate when the card has one', () => {
    const card = cardFrom('openai', { input_cents_per_1m: 1, output_cents_per_1m: 10, reasoning_output_cents_per_1m: 20 });
    expect(costOf(card, usage({ outputTokens: 2, reasoningTokens: 3 })).totalMicrocents).toBe(80n);
  });

  it('refuses usage that is not a non-negative integer', () => {
    const card = seedCard('openai', 'gpt-4o-mini');
    expect(() => costOf(card, usage({ inputTokens: -1 }))).toThrow(RangeError);
    expect(() => costOf(card, usage({ outputTokens: 1.5 }))).toThrow(RangeError);
    expect(() => costOf(card, usage({ reasoningTokens: Number.NaN }))).toThrow(RangeError);
  });

  it('serialises for the ledger with bigints as strings', () => {
    const json = costBreakdownToJson(costOf(seedCard('openai', 'gpt-4o-mini'), usage({ inputTokens: 2 })));
    expect(json).toEqual({ total_microcents: '30', cliff_applied: false, line_items: [{ item: 'input', tokens: 2, rate_microcents: '15', microcents: '30' }] });
    expect(() => JSON.stringify(json)).not.toThrow();
  });

  const anyUsage = fc.record(Object.fromEntries(USAGE_FIELDS.map((f) => [f, fc.nat({ max: 3_000_000 })])) as Record<keyof NormalizedUsage, fc.Arbitrary<number>>);
  const cards = fc.constantFrom(
    seedCard('openai', 'gpt-5.2'),
    seedCard('anthropic', 'claude-opus-4-6'),
    seedCard('gemini', 'gemini-3-pro-preview'),
    cardFrom('grok', { input_cents_per_1m: '0.333333333', output_cents_per_1m: '7.000000001', web_search_cents_per_call: '0.5', context_cliff_threshold_tokens: 128000, context_cliff_input_multiplier: '1.000001' }),
  );

  it('total is the exact sum of the line items rounded up once', () => {
    fc.assert(
      fc.property(cards, anyUsage, (card, u) => {
        const cost = costOf(card, u);
        const sum = cost.lineItems.reduce((acc, l) => acc + parseScaledDecimal(l.microcents, 15)!, 0n);
        const scale = 10n ** 15n;
        expect(cost.totalMicrocents * scale >= sum).toBe(true);
        expect((cost.totalMicrocents - 1n) * scale < sum).toBe(true);
      }),
    );
  });

  it('never costs less for more usage', () => {
    fc.assert(
      fc.property(cards, anyUsage, anyUsage, (card, a, extra) => {
        const more = Object.fromEntries(USAGE_FIELDS.map((f) => [f, a[f] + extra[f]])) as unknown as NormalizedUsage;
        expect(costOf(card, more).totalMicrocents >= costOf(card, a).totalMicrocents).toBe(true);
      }),
    );
  });
});
