import { emptyUsage } from '../pricing/usage';
import { extractUsage } from './extract-usage';

describe('extractUsage', () => {
  it('routes each provider and operation to its wire format', () => {
    expect(extractUsage('openai', 'embeddings', { usage: { prompt_tokens: 3, total_tokens: 3 } })).toEqual({ ...emptyUsage(), inputTokens: 3 });
    expect(extractUsage('grok', 'chat.completions', { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 13, completion_tokens_details: { reasoning_tokens: 10 } } })).toMatchObject({ outputTokens: 2, reasoningTokens: 10 });
    expect(extractUsage('openai', 'responses', { usage: { input_tokens: 4, output_tokens: 5 }, output: [] })).toMatchObject({ inputTokens: 4, outputTokens: 5 });
    expect(extractUsage('anthropic', 'messages', { usage: { input_tokens: 6, output_tokens: 7 } })).toMatchObject({ inputTokens: 6, outputTokens: 7 });
    expect(extractUsage('gemini', 'generateContent', { usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 9 } })).toMatchObject({ inputTokens: 8, outputTokens: 9 });
  });

  it('refuses an operation the provider does not have', () => {
    expect(() => extractUsage('anthropic', 'responses', {})).toThrow(/no responses/);
  });
});
