import { requestedOutputCap } from '../pricing/estimator';
import { applyOutputCap } from './output-cap';

const order = (body: object) => Object.keys(body);

describe('applyOutputCap', () => {
  it('sets the cap field an OpenAI chat client sent, keeping key order and every other value', () => {
    const body = { model: 'gpt-4o-mini', max_tokens: 4000, messages: [{ role: 'user', content: 'Hi' }], stream: true };
    const capped = applyOutputCap('openai', 'chat.completions', body, 1200);
    expect(capped).toEqual({ ...body, max_tokens: 1200 });
    expect(order(capped)).toEqual(order(body));
    expect(body.max_tokens).toBe(4000); // the client's object is untouched
    expect(requestedOutputCap('openai', 'chat.completions', capped)).toBe(1200);
  });

  it('sets max_completion_tokens when the client used it, and both fields when it sent both', () => {
    expect(applyOutputCap('openai', 'chat.completions', { model: 'o3', max_completion_tokens: 9000 }, 500)).toEqual({ model: 'o3', max_completion_tokens: 500 });
    expect(applyOutputCap('openai', 'chat.completions', { max_tokens: 10, max_completion_tokens: 9000 }, 500)).toEqual({ max_tokens: 500, max_completion_tokens: 500 });
  });

  it('adds max_completion_tokens for OpenAI and max_tokens for xAI when the client sent none', () => {
    expect(applyOutputCap('openai', 'chat.completions', { model: 'gpt-4o', messages: [] }, 256)).toEqual({ model: 'gpt-4o', messages: [], max_completion_tokens: 256 });
    expect(applyOutputCap('openai', 'chat.completions', { model: 'gpt-5.2', messages: [] }, 256)).toEqual({ model: 'gpt-5.2', messages: [], max_completion_tokens: 256 });
    expect(applyOutputCap('grok', 'chat.completions', { model: 'grok-4', messages: [] }, 256)).toEqual({ model: 'grok-4', messages: [], max_tokens: 256 });
  });

  it('fills a cap field the client sent as null where it stands', () => {
    const capped = applyOutputCap('openai', 'chat.completions', { model: 'gpt-4o', max_tokens: null, messages: [] }, 77);
    expect(JSON.stringify(capped)).toBe('{"model":"gpt-4o","max_tokens":77,"messages":[]}');
  });

  it('sets max_output_tokens on Responses and max_tokens on Anthropic Messages', () => {
    expect(applyOutputCap('openai', 'responses', { model: 'gpt-5', input: 'x' }, 300)).toEqual({ model: 'gpt-5', input: 'x', max_output_tokens: 300 });
    expect(applyOutputCap('grok', 'responses', { model: 'grok-4', max_output_tokens: 5000 }, 300)).toEqual({ model: 'grok-4', max_output_tokens: 300 });
    const anthropic = { model: 'claude-opus-4-6', max_tokens: 32000, messages: [], thinking: { type: 'enabled', budget_tokens: 16000 } };
    expect(applyOutputCap('anthropic', 'messages', anthropic, 20000)).toEqual({ ...anthropic, max_tokens: 20000 });
    expect(applyOutputCap('anthropic', 'messages', { model: 'claude-haiku-4-5', messages: [] }, 1024)).toEqual({ model: 'claude-haiku-4-5', messages: [], max_tokens: 1024 });
  });

  it('lowers an Anthropic thinking budget the clamped cap leaves no room for', () => {
    const body = { model: 'claude-opus-4-6', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 16000 }, messages: [] };
    expect(applyOutputCap('anthropic', 'messages', body, 8000)).toEqual({ ...body, max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 7999 } });
    expect(body.thinking.budget_tokens).toBe(16000);
    expect(applyOutputCap('anthropic', 'messages', body, 16001)).toEqual({ ...body, max_tokens: 16001 });
    // Below the API's minimum budget there is nothing valid to lower it to: left as sent.
    expect(applyOutputCap('anthropic', 'messages', body, 1000)).toEqual({ ...body, max_tokens: 1000 });
    const adaptive = { model: 'claude-opus-4-6', thinking: { type: 'adaptive' }, messages: [] };
    expect(applyOutputCap('anthropic', 'messages', adaptive, 500)).toEqual({ ...adaptive, max_tokens: 500 });
  });

  it('sets generationConfig.maxOutputTokens on Gemini, in the spelling the client used', () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { temperature: 0.5, maxOutputTokens: 8192, thinkingConfig: { thinkingBudget: 1024 } } };
    const capped = applyOutputCap('gemini', 'generateContent', body, 2048);
    expect(capped).toEqual({ ...body, generationConfig: { ...body.generationConfig, maxOutputTokens: 2048 } });
    expect(body.generationConfig.maxOutputTokens).toBe(8192);
    expect(applyOutputCap('gemini', 'generateContent', { contents: [] }, 10)).toEqual({ contents: [], generationConfig: { maxOutputTokens: 10 } });
    expect(applyOutputCap('gemini', 'generateContent', { contents: [], generation_config: { temperature: 1 } }, 10)).toEqual({ contents: [], generation_config: { temperature: 1, max_output_tokens: 10 } });
    expect(applyOutputCap('gemini', 'generateContent', { contents: [], generationConfig: { max_output_tokens: 99 } }, 10)).toEqual({ contents: [], generationConfig: { max_output_tokens: 10 } });
    expect(requestedOutputCap('gemini', 'generateContent', capped)).toBe(2048);
  });

  it('sets max_tokens on the seed’s simplified Gemini body', () => {
    expect(applyOutputCap('gemini', 'generateContent', { model: 'gemini-2.5-flash', prompt: 'Hi', max_tokens: 500 }, 100)).toEqual({ model: 'gemini-2.5-flash', prompt: 'Hi', max_tokens: 100 });
    expect(applyOutputCap('gemini', 'generateContent', { model: 'gemini-2.5-flash', prompt: 'Hi' }, 100)).toEqual({ model: 'gemini-2.5-flash', prompt: 'Hi', max_tokens: 100 });
  });

  it('leaves embeddings unchanged', () => {
    const body = { model: 'text-embedding-3-small', input: 'x' };
    const out = applyOutputCap('openai', 'embeddings', body, 1);
    expect(out).toEqual(body);
    expect(out).not.toBe(body);
  });

  it('refuses a cap that is not a positive integer', () => {
    for (const cap of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => applyOutputCap('openai', 'chat.completions', {}, cap)).toThrow(RangeError);
  });
});
