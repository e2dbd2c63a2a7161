import fc from 'fast-check';
import { countTokens as o200kCount } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import { LONG_RUN_CHARS, memoized, openAiEncodingFor, textCounterFor, utf8Bytes } from './token-counter';

describe('openAiEncodingFor', () => {
  it.each([
    ['gpt-4o-mini', 'o200k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['chatgpt-4o-latest', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-5.2', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini-deep-research', 'o200k_base'],
    ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'o200k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo-0125', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['davinci-002', undefined],
    ['some-new-model', undefined],
  ])('%s → %s', (model, encoding) => {
    expect(openAiEncodingFor(model)).toBe(encoding);
  });
});

describe('textCounterFor', () => {
  it('tokenizes OpenAI models and bounds everyone else by bytes', () => {
    expect(textCounterFor('openai', 'gpt-4o').method).toBe('tokenizer:o200k_base');
    expect(textCounterFor('openai', 'gpt-4').method).toBe('tokenizer:cl100k_base');
    expect(textCounterFor('openai', 'unknown').method).toBe('utf8_bytes');
    expect(textCounterFor('grok', 'gpt-4o').method).toBe('utf8_bytes');
    expect(textCounterFor('anthropic', 'claude-opus-4-6').count('héllo')).toBe(6);
  });

  it('counts exactly what the tokenizer counts for ordinary text', () => {
    const counter = textCounterFor('openai', 'gpt-4o');
    expect(counter.count('Hello, world! How are you today?')).toBe(o200kCount('Hello, world! How are you today?'));
    expect(counter.count('')).toBe(0);
  });

  it('treats special-token spellings as plain text instead of throwing', () => {
    expect(textCounterFor('openai', 'gpt-4o').count('say <|endoftext|> now')).toBeGreaterThan(3);
  });

  it('stays fast and above the real count on pathological runs', () => {
    const run = 'a'.repeat(200_000);
    const started = Date.now();
    const counted = textCounterFor('openai', 'gpt-4o').count(`start ${run} end`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(counted).toBeGreaterThanOrEqual(run.length / 8); // the real count is 25,000
    expect(counted).toBeGreaterThanOrEqual(utf8Bytes(run));
  });

  it('falls back to bytes once the per-request budget is spent', () => {
    const counter = textCounterFor('openai', 'gpt-4o', 10);
    expect(counter.count('hello world')).toBe(11);
  });

  it('never counts below the tokenizer, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 3 * LONG_RUN_CHARS }), fc.integer({ min: 0, max: 4 }), (text, repeat) => {
        const sample = text + 'x'.repeat(repeat * 400);
        expect(textCounterFor('openai', 'gpt-4o').count(sample)).toBeGreaterThanOrEqual(o200kCount(sample, { disallowedSpecial: new Set() }));
      }),
      { numRuns: 200 },
    );
  });

  describe('the memo of counts', () => {
    it('counts each text once, and gives the same answer again', () => {
      const seen: string[] = [];
      const count = memoized((text) => (seen.push(text), text.length * 2));
      expect([count('system prompt'), count('system prompt'), count('user')]).toEqual([26, 26, 8]);
      expect(seen).toEqual(['system prompt', 'user']);
    });

    it('keeps at most its bound of characters, dropping the oldest first', () => {
      const seen: string[] = [];
      const count = memoized((text) => (seen.push(text), 1), 10);
      count('aaaa'); // 4 kept
      count('bbbb'); // 8 kept
      count('cccc'); // 12 > 10: 'aaaa' goes
      count('bbbb');
      count('aaaa');
      expect(seen).toEqual(['aaaa', 'bbbb', 'cccc', 'aaaa']);
    });

    it('agrees with the tokenizer through the service counter', () => {
      const text = 'You are a careful assistant. '.repeat(20);
      const counter = textCounterFor('openai', 'gpt-4o');
      expect(counter.count(text)).toBe(o200kCount(text, { disallowedSpecial: new Set() }));
      expect(counter.count(text)).toBe(o200kCount(text, { disallowedSpecial: new Set() }));
    });
  });
});
