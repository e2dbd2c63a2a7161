// Attribute names and values of the OpenTelemetry GenAI semantic conventions (status:
// development), checked against the conventions' gen-ai-spans.md as of v1.41. Copied here rather
// than imported from `@opentelemetry/semantic-conventions/incubating`, as that package advises:
// its incubating entry point may break in a minor release. Stable names (service.name,
// error.type, server.*) come from the package itself.
import type { MeteredOperation } from '../pricing/estimator';
import type { Provider } from '../pricing/price-card';

export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** The name of provider.name up to v1.36; many backends still group by it. */
  system: 'gen_ai.system',
  agentId: 'gen_ai.agent.id',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestStream: 'gen_ai.request.stream',
  requestChoiceCount: 'gen_ai.request.choice.count',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  /** Opt-in content (CAP_CAPTURE_PROMPT_RESPONSE): JSON strings in the conventions' message schemas. */
  systemInstructions: 'gen_ai.system_instructions',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** `gen_ai.provider.name` and the older `gen_ai.system` for each provider we call. */
export const PROVIDER_NAMES: Record<Provider, { providerName: string; system: string }> = {
  openai: { providerName: 'openai', system: 'openai' },
  grok: { providerName: 'x_ai', system: 'xai' },
  anthropic: { providerName: 'anthropic', system: 'anthropic' },
  // generativelanguage.googleapis.com (the Gemini API, "AI Studio").
  gemini: { providerName: 'gcp.gemini', system: 'gcp.gemini' },
};

/** OpenAI's conventions name both Chat Completions and Responses `chat`. */
export const OPERATION_NAMES: Record<MeteredOperation, string> = {
  'chat.completions': 'chat',
  responses: 'chat',
  messages: 'chat',
  generateContent: 'generate_content',
  embeddings: 'embeddings',
};
