// One entry point from (provider, operation, answer) to NormalizedUsage, so the proxy does not
// need to know which wire format each provider answers in.

import type { MeteredOperation } from '../pricing/estimator';
import type { Provider } from '../pricing/price-card';
import type { NormalizedUsage } from '../pricing/usage';
import { anthropicMessageUsage } from './anthropic.usage';
import { geminiUsage } from './gemini.usage';
import { openAiChatUsage, openAiEmbeddingsUsage, openAiResponsesUsage } from './openai.usage';

/**
 * Usage from a complete answer (or, for streams: the final chat chunk, the `response` of
 * `response.completed`, the last Gemini chunk). Anthropic streams: merge message_start and
 * message_delta with mergeAnthropicStreamUsage, then anthropicUsageFromFields.
 */
export function extractUsage(provider: Provider, operation: MeteredOperation, answer: unknown): NormalizedUsage | undefined {
  switch (provider) {
    case 'openai':
    case 'grok':
      if (operation === 'chat.completions') return openAiChatUsage(answer, provider);
      if (operation === 'responses') return openAiResponsesUsage(answer, provider);
      if (operation === 'embeddings') return openAiEmbeddingsUsage(answer);
      break;
    case 'anthropic':
      if (operation === 'messages') return anthropicMessageUsage(answer);
      break;
    case 'gemini':
      if (operation === 'generateContent') return geminiUsage(answer);
      break;
  }
  throw new Error(`${provider} has no ${operation} operation`);
}
