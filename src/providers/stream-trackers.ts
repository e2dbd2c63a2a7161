// One entry point from (provider, operation) to the stream usage tracker and the relay filter,
// so the proxy does not need to know which wire format each provider streams in.

import type { MeteredOperation } from '../pricing/estimator';
import type { Provider } from '../pricing/price-card';
import { AnthropicStreamTracker } from './anthropic.stream';
import { GeminiStreamTracker } from './gemini.stream';
import { OpenAiChatStreamTracker, OpenAiResponsesStreamTracker, openAiChatRelayFilter } from './openai.stream';
import type { SseEvent } from './sse';
import type { StreamEstimateAllowances, StreamUsageTracker } from './stream-usage';

/** streamGenerateContent is the streamed form of generateContent; embeddings do not stream. */
export function createStreamTracker(provider: Provider, operation: MeteredOperation, allowances?: StreamEstimateAllowances): StreamUsageTracker {
  switch (provider) {
    case 'openai':
    case 'grok':
      if (operation === 'chat.completions') return new OpenAiChatStreamTracker(provider, allowances);
      if (operation === 'responses') return new OpenAiResponsesStreamTracker(provider, allowances);
      break;
    case 'anthropic':
      if (operation === 'messages') return new AnthropicStreamTracker(allowances);
      break;
    case 'gemini':
      if (operation === 'generateContent') return new GeminiStreamTracker(allowances);
      break;
  }
  throw new Error(`${provider} does not stream ${operation}`);
}

/**
 * The bytes to relay for each upstream event (null: drop it). Only OpenAI-format chat needs one:
 * it hides the usage chunk the proxy asked for on the client's behalf (prepareOpenAiStreamRequest).
 */
export function createRelayFilter(provider: Provider, operation: MeteredOperation, clientAskedForUsage: boolean): (event: SseEvent) => Buffer | null {
  if ((provider === 'openai' || provider === 'grok') && operation === 'chat.completions') return openAiChatRelayFilter(clientAskedForUsage);
  return (event) => event.raw;
}
