import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePriceDocument, priceDocumentVersion, type PriceDocumentContext } from './price-document';
import { describeRates, findCard, isPriceTableCurrent } from './price-table';

const NOW = new Date('2027-01-01T00:00:00Z');
const context: PriceDocumentContext = { engineName: 'spendguard-engine', engineVersion: '0.1.0', now: NOW };
const validBasic = readFileSync(path.join(__dirname, 'testdata', 'vectors', 'valid-basic.json'), 'utf8');

function doc(overrides: Record<string, string> = {}, rates = '{"openai":{"m":{"input_cents_per_1m":1,"output_cents_per_1m":2}}}'): string {
  const fields: Record<string, string> = {
    schema_version: '"1"',
    engine: '{"name":"spendguard-engine","min_version":"0.1.0","max_version":"9.9.9"}',
    generated_at: '"2026-12-31T00:00:00Z"',
    expires_at: '"2027-02-01T00:00:00Z"',
    rates,
    ...overrides,
  };
  return `{${Object.entries(fields).map(([k, v]) => `"${k}":${v}`).join(',')}}`;
}

function tableOf(text: string) {
  const verdict = parsePriceDocument(text, context);
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
  return verdict;
}

describe('parsePriceDocument', () => {
  it('builds exact cards from the seed document', () => {
    const { table, droppedCards } = tableOf(validBasic);
    expect(droppedCards).toEqual([]);
    expect(table.cards.size).toBe(6);
    const mini = findCard(table, 'openai', 'gpt-4o-mini')!;
    expect(mini.inputFemtocentsPerToken).toBe(15_000_000_000n);
    expect(mini.cachedInputFemtocentsPerToken).toBe(8_000_000_000n);
    expect(mini.contextCliff).toBeUndefined();
    const opus = findCard(table, 'anthropic', 'claude-opus-4-6')!;
    expect(opus.contextCliff).toEqual({ thresholdTokens: 200_000, inputMultiplierPpm: 2_000_000n, outputMultiplierPpm: 1_500_000n });
    expect(findCard(table, 'gemini', 'gemini-3-pro-preview')!.groundingFemtocentsPerQuery).toBe(3_500_000_000_000_000n);
    expect(table.generatedAt.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(table.engine).toEqual({ name: 'spendguard-engine', minVersion: '0.1.0', maxVersion: '9.9.9' });
  });

  it('refuses a card priced past MAX_PRICES, with its reason, and keeps the rest', () => {
    const rates =
      '{"openai":{"ok":{"input_cents_per_1m":1,"output_cents_per_1m":2},' +
      '"absurd":{"input_cents_per_1m":2.5e+20,"output_cents_per_1m":2},' +
      '"edge":{"input_cents_per_1m":1000000000,"output_cents_per_1m":1000000000.000000001},' +
      '"cliff":{"input_cents_per_1m":1,"output_cents_per_1m":1,"context_cliff_threshold_tokens":10,"context_cliff_input_multiplier":101}}}';
    const { table, droppedCards } = tableOf(doc({}, rates));
    expect([...table.cards.keys()]).toEqual(['openai/ok']);
    expect(droppedCards.map((d) => [d.model, d.reason])).toEqual([
      ['absurd', expect.stringMatching(/2\.5e\+20 is past the maximum of 1000000000/)],
      ['cliff', expect.stringMatching(/past the maximum of 100/)],
      ['edge', expect.stringMatching(/1000000000\.000000001 is past the maximum/)],
    ]);
  });

  it('keeps fractional rates exact', () => {
    const { table } = tableOf(doc({}, '{"gemini":{"g":{"input_cents_per_1m":7.5,"output_cents_per_1m":0.075,"web_search_cents_per_call":1.25,"grounding_cents_per_1k_queries":3.5e3}}}'));
    const card = findCard(table, 'gemini', 'g')!;
    expect(card.inputFemtocentsPerToken).toBe(7_500_000_000n);
    expect(card.outputFemtocentsPerToken).toBe(75_000_000n);
    expect(card.webSearchFemtocentsPerCall).toBe(1_250_000_000_000_000n);
    expect(card.groundingFemtocentsPerQuery).toBe(3_500_000_000_000_000n);
  });

  it('gives the table a content-derived version', () => {
    const { table } = tableOf(validBasic);
    expect(table.version).toMatch(/^[0-9a-f]{16}$/);
    const reformatted = validBasic.replace(/\n\s*/g, '');
    expect(priceDocumentVersion(reformatted)).toBe(table.version);
    expect(priceDocumentVersion(validBasic.replace('"output_cents_per_1m": 60', '"output_cents_per_1m": 61'))).not.toBe(table.version);
    expect(priceDocumentVersion(validBasic.replace(/"signature": "[^"]+"/, '"signature": "other"'))).toBe(table.version);
  });

  it('drops bad cards with a reason and keeps the rest', () => {
    const rates = JSON.stringify({
      openai: {
        good: { input_cents_per_1m: 1, output_cents_per_1m: 2 },
        negative: { input_cents_per_1m: -1, output_cents_per_1m: 2 },
        missing: { input_cents_per_1m: 1 },
        text: { input_cents_per_1m: '1', output_cents_per_1m: 2 },
        tooFine: { input_cents_per_1m: 0.0000000001, output_cents_per_1m: 2 },
        cheapCliff: { input_cents_per_1m: 1, output_cents_per_1m: 2, context_cliff_threshold_tokens: 10, context_cliff_input_multiplier: 0.5 },
        notACard: 5,
      },
      mistral: { x: { input_cents_per_1m: 1, output_cents_per_1m: 1 } },
    }).replace('1e-10', '0.0000000001');
    const { table, droppedCards } = tableOf(doc({}, rates));
    expect([...table.cards.keys()]).toEqual(['openai/good']);
    expect(droppedCards.map((d) => `${d.provider}/${d.model}`).sort()).toEqual(
      ['mistral/*', 'openai/cheapCliff', 'openai/missing', 'openai/negative', 'openai/notACard', 'openai/text', 'openai/tooFine'].sort(),
    );
    expect(droppedCards.find((d) => d.model === 'tooFine')!.reason).toMatch(/decimal places/);
    expect(droppedCards.find((d) => d.model === 'cheapCliff')!.reason).toMatch(/≥ 1/);
  });

  it('treats null optional fields as absent and ignores unknown fields', () => {
    const { table } = tableOf(doc({}, '{"openai":{"m":{"input_cents_per_1m":1,"output_cents_per_1m":2,"cached_input_cents_per_1m":null,"future_field":{"x":1}}}}'));
    expect(findCard(table, 'openai', 'm')!.cachedInputFemtocentsPerToken).toBeUndefined();
  });

  it('resolves aliases without letting them shadow real models', () => {
    const rates = JSON.stringify({
      openai: {
        a: { input_cents_per_1m: 1, output_cents_per_1m: 1, aliases: ['a-latest', 'b', 'a'] },
        b: { input_cents_per_1m: 2, output_cents_per_1m: 2 },
      },
    });
    const { table, droppedCards } = tableOf(doc({}, rates));
    expect(findCard(table, 'openai', 'a-latest')!.model).toBe('a');
    expect(findCard(table, 'openai', 'b')!.model).toBe('b');
    expect(droppedCards).toEqual([{ provider: 'openai', model: 'b', reason: 'alias of a already names b' }]);
    expect(Object.keys(describeRates(table).openai)).toEqual(['a', 'b']);
    expect(describeRates(table).openai.a).toEqual({ input_cents_per_1m: '1', output_cents_per_1m: '1', aliases: ['a-latest', 'b', 'a'] });
  });

  it('applies the default Anthropic cliff field by field, and no cliff elsewhere unless stated', () => {
    const rates = JSON.stringify({
      anthropic: { c: { input_cents_per_1m: 300, output_cents_per_1m: 1500, context_cliff_input_multiplier: 3 } },
      gemini: { g: { input_cents_per_1m: 125, output_cents_per_1m: 1000, context_cliff_threshold_tokens: 200000, context_cliff_output_multiplier: 1.5 } },
      openai: { o: { input_cents_per_1m: 1, output_cents_per_1m: 1 } },
    });
    const { table } = tableOf(doc({}, rates));
    expect(findCard(table, 'anthropic', 'c')!.contextCliff).toEqual({ thresholdTokens: 200_000, inputMultiplierPpm: 3_000_000n, outputMultiplierPpm: 1_500_000n });
    expect(findCard(table, 'gemini', 'g')!.contextCliff).toEqual({ thresholdTokens: 200_000, inputMultiplierPpm: 1_000_000n, outputMultiplierPpm: 1_500_000n });
    expect(findCard(table, 'openai', 'o')!.contextCliff).toBeUndefined();
  });

  it('finds gemini models by their REST resource name', () => {
    const { table } = tableOf(doc({}, '{"gemini":{"gemini-3-pro-preview":{"input_cents_per_1m":1,"output_cents_per_1m":1}}}'));
    expect(findCard(table, 'gemini', 'models/gemini-3-pro-preview')).toBeDefined();
    expect(findCard(table, 'openai', 'gemini-3-pro-preview')).toBeUndefined();
  });

  it.each([
    ['malformed', 'not json'],
    ['malformed', '[]'],
    ['malformed', doc({ generated_at: '"yesterday"' })],
    ['malformed', doc({ rates: '[]' })],
    ['unsupported_schema_version', doc({ schema_version: '"2"' })],
    ['engine_mismatch', doc({ engine: '{"name":"other","min_version":"0.1.0","max_version":"9.9.9"}' })],
    ['engine_version_unsupported', doc({ engine: '{"name":"spendguard-engine","min_version":"0.2.0","max_version":"9.9.9"}' })],
    ['engine_version_unsupported', doc({ engine: '{"name":"spendguard-engine","min_version":"0.0.1","max_version":"0.0.9"}' })],
    ['not_yet_valid', doc({ generated_at: '"2027-01-01T00:05:01Z"' })],
    ['expired', doc({ expires_at: '"2026-12-31T23:55:00Z"' })],
    ['no_valid_cards', doc({}, '{}')],
  ])('rejects as %s', (reason, text) => {
    const verdict = parsePriceDocument(text, context);
    expect(verdict.ok ? 'ok' : verdict.reason).toBe(reason);
  });

  it('tolerates clock skew at both ends', () => {
    expect(parsePriceDocument(doc({ generated_at: '"2027-01-01T00:04:59Z"' }), context).ok).toBe(true);
    expect(parsePriceDocument(doc({ expires_at: '"2026-12-31T23:55:01Z"' }), context).ok).toBe(true);
    expect(parsePriceDocument(doc({ generated_at: '"2027-01-01T00:00:10Z"' }), { ...context, clockSkewSeconds: 0 }).ok).toBe(false);
  });

  it('reads offset and naive timestamps (Python isoformat) as UTC', () => {
    const { table } = tableOf(doc({ generated_at: '"2026-12-31T01:00:00+01:00"', expires_at: '"2027-02-01T00:00:00"' }));
    expect(table.generatedAt.toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(table.expiresAt.toISOString()).toBe('2027-02-01T00:00:00.000Z');
    expect(isPriceTableCurrent(table, new Date('2027-02-01T00:04:00Z'))).toBe(true);
    expect(isPriceTableCurrent(table, new Date('2027-02-01T00:05:00Z'))).toBe(false);
  });
});
