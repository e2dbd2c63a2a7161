import { AnthropicStreamTracker } from './anthropic.stream';
import { GeminiStreamTracker } from './gemini.stream';
import { OpenAiChatStreamTracker, OpenAiResponsesStreamTracker } from './openai.stream';
import { parseSse } from './sse';
import { createRelayFilter, createStreamTracker } from './stream-trackers';
import { chatStream } from './testdata/openai-streams';

describe('createStreamTracker', () => {
  it('picks the tracker for each streamed operation', () => {
    expect(createStreamTracker('openai', 'chat.completions')).toBeInstanceOf(OpenAiChatStreamTracker);
    expect(createStreamTracker('grok', 'chat.completions')).toBeInstanceOf(OpenAiChatStreamTracker);
    expect(createStreamTracker('openai', 'responses')).toBeInstanceOf(OpenAiResponsesStreamTracker);
    expect(createStreamTracker('grok', 'responses')).toBeInstanceOf(OpenAiResponsesStreamTracker);
    expect(createStreamTracker('anthropic', 'messages')).toBeInstanceOf(AnthropicStreamTracker);
    expect(createStreamTracker('gemini', 'generateContent')).toBeInstanceOf(GeminiStreamTracker);
  });

  it('refuses operations that do not stream or do not exist', () => {
    expect(() => createStreamTracker('openai', 'embeddings')).toThrow(/does not stream/);
    expect(() => createStreamTracker('anthropic', 'chat.completions')).toThrow(/does not stream/);
  });
});

describe('createRelayFilter', () => {
  it('hides the usage chunk only on OpenAI-format chat, and only when the client did not ask for it', () => {
    const events = parseSse(chatStream(true));
    const kept = (filter: (e: (typeof events)[number]) => Buffer | null) => events.filter((e) => filter(e) !== null).length;
    expect(kept(createRelayFilter('openai', 'chat.completions', false))).toBe(events.length - 1);
    expect(kept(createRelayFilter('grok', 'chat.completions', false))).toBe(events.length - 1);
    expect(kept(createRelayFilter('openai', 'chat.completions', true))).toBe(events.length);
    expect(kept(createRelayFilter('openai', 'responses', false))).toBe(events.length);
    expect(kept(createRelayFilter('anthropic', 'messages', false))).toBe(events.length);
  });
});
