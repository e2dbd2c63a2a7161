// Usage from Anthropic Messages answers. Unlike OpenAI, `input_tokens` excludes the cache
// writes and cache reads, which are reported beside it; thinking tokens are inside
// `output_tokens` and are not reported apart, so they bill at the output rate.

import { countOf, emptyUsage, type NormalizedUsage } from '../pricing/usage';

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** A Messages answer (`{type: "message", usage: {...}}`). */
export function anthropicMessageUsage(response: unknown): NormalizedUsage | undefined {
  const usage = asObject(asObject(response)?.usage);
  return usage ? anthropicUsageFromFields(usage) : undefined;
}

/** A raw `usage` object, e.g. the result of mergeAnthropicStreamUsage. */
export function anthropicUsageFromFields(usage: Json): NormalizedUsage {
  const cacheCreation = asObject(usage.cache_creation);
  const cacheWriteBreakdown = countOf(cacheCreation?.ephemeral_5m_input_tokens) + countOf(cacheCreation?.ephemeral_1h_input_tokens);
  return {
    ...emptyUsage(),
    inputTokens: countOf(usage.input_tokens),
    cacheWriteTokens: Math.max(countOf(usage.cache_creation_input_tokens), cacheWriteBreakdown),
    cacheReadTokens: countOf(usage.cache_read_input_tokens),
    outputTokens: countOf(usage.output_tokens),
    webSearchCalls: countOf(asObject(usage.server_tool_use)?.web_search_requests),
  };
}

/**
 * A stream reports usage in `message_start` (message.usage) and again, cumulatively, in
 * `message_delta` (usage), where fields may be absent or may have grown (server tools add input).
 * Taking each field's maximum never under-counts.
 */
export function mergeAnthropicStreamUsage(startUsage: unknown, deltaUsage: unknown): Json {
  const start = asObject(startUsage) ?? {};
  const delta = asObject(deltaUsage) ?? {};
  const fields = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'output_tokens'];
  const merged: Json = {};
  for (const field of fields) merged[field] = Math.max(countOf(start[field]), countOf(delta[field]));
  const startCreation = asObject(start.cache_creation) ?? {};
  const deltaCreation = asObject(delta.cache_creation) ?? {};
  merged.cache_creation = {
    ephemeral_5m_input_tokens: Math.max(countOf(startCreation.ephemeral_5m_input_tokens), countOf(deltaCreation.ephemeral_5m_input_tokens)),
    ephemeral_1h_input_tokens: Math.max(countOf(startCreation.ephemeral_1h_input_tokens), countOf(deltaCreation.ephemeral_1h_input_tokens)),
  };
  merged.server_tool_use = {
    web_search_requests: Math.max(
      countOf(asObject(start.server_tool_use)?.web_search_requests),
      countOf(asObject(delta.server_tool_use)?.web_search_requests),
    ),
  };
  return merged;
}
