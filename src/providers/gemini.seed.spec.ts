import { isSeedGeminiBody, nativeGeminiChunksToSeedAnswer, nativeGeminiToSeedAnswer, seedGeminiToNative } from './gemini.seed';
import { applyOutputCap } from './output-cap';

describe('the seed’s simplified Gemini body', () => {
  it('is recognised by a prompt string without contents', () => {
    expect(isSeedGeminiBody({ model: 'gemini-2.5-flash', prompt: 'Hi', max_tokens: 64, temperature: 0.2 })).toBe(true);
    expect(isSeedGeminiBody({ model: 'gemini-2.5-flash', prompt: 'Hi' })).toBe(true);
    expect(isSeedGeminiBody({ contents: [{ parts: [{ text: 'Hi' }] }] })).toBe(false);
    expect(isSeedGeminiBody({ prompt: 'Hi', contents: [] })).toBe(false);
    expect(isSeedGeminiBody({ prompt: 42 })).toBe(false);
    expect(isSeedGeminiBody(null)).toBe(false);
    expect(isSeedGeminiBody(['prompt'])).toBe(false);
  });

  it('becomes a native generateContent request, with the output cap applied first', () => {
    const seed = { model: 'gemini-2.5-flash', prompt: 'Write a haiku about budgets.', max_tokens: 500, temperature: 0.7 };
    const capped = applyOutputCap('gemini', 'generateContent', seed, 120);
    expect(isSeedGeminiBody(capped)).toBe(true);
    if (!isSeedGeminiBody(capped)) return;
    expect(seedGeminiToNative(capped)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Write a haiku about budgets.' }] }],
      generationConfig: { maxOutputTokens: 120, temperature: 0.7 },
    });
    expect(seedGeminiToNative({ prompt: 'x' })).toEqual({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
    expect(seedGeminiToNative({ prompt: 'x', temperature: 0 })).toEqual({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { temperature: 0 } });
  });

  it('answers with the first candidate’s text and tokens in / out (thinking counted as output)', () => {
    const response = {
      candidates: [
        {
          content: { parts: [{ text: 'Thinking about budgets…', thought: true }, { text: 'Ledger lines tight,\n' }, { text: 'cents held before they are spent —\nno overrun tonight.' }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 19, totalTokenCount: 130, thoughtsTokenCount: 100 },
      modelVersion: 'gemini-2.5-flash',
    };
    expect(nativeGeminiToSeedAnswer(response)).toEqual({
      completion: 'Ledger lines tight,\ncents held before they are spent —\nno overrun tonight.',
      usage: { tokens_in: 11, tokens_out: 119 },
    });
  });

  it('answers an empty or blocked response with an empty completion', () => {
    expect(nativeGeminiToSeedAnswer({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4 } })).toEqual({ completion: '', usage: { tokens_in: 4, tokens_out: 0 } });
    expect(nativeGeminiToSeedAnswer('nonsense')).toEqual({ completion: '', usage: { tokens_in: 0, tokens_out: 0 } });
  });

  it('joins a streamed answer’s chunks, taking the cumulative usage', () => {
    const chunks = [
      { candidates: [{ content: { parts: [{ text: 'Hello' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } },
      { candidates: [{ content: { parts: [{ text: ', world' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 } },
    ];
    expect(nativeGeminiChunksToSeedAnswer(chunks)).toEqual({ completion: 'Hello, world', usage: { tokens_in: 3, tokens_out: 4 } });
  });
});
