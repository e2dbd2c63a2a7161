// Usage from OpenAI-format answers (OpenAI itself, and xAI's Grok, which speaks the same
// formats): Chat Completions, Responses and Embeddings. OpenAI reports cached tokens inside
// prompt/input tokens and reasoning tokens inside completion/output tokens; we split them out so
// each token is billed once at its own rate.

import { countOf, emptyUsage, type NormalizedUsage } from '../pricing/usage';

export type OpenAiFormatProvider = 'openai' | 'grok';

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/** Chat Completions answer, or the final streamed chunk that carries `usage`. */
export function openAiChatUsage(response: unknown, provider: OpenAiFormatProvider = 'openai'): NormalizedUsage | undefined {
  const usage = asObject(asObject(response)?.usage);
  if (!usage) return undefined;
  return splitTokens({
    provider,
    inputTokens: countOf(usage.prompt_tokens),
    cachedTokens: countOf(asObject(usage.prompt_tokens_details)?.cached_tokens),
    outputTokens: countOf(usage.completion_tokens),
    reasoningTokens: countOf(asObject(usage.completion_tokens_details)?.reasoning_tokens),
    totalTokens: usage.total_tokens,
  });
}

/**
 * Responses API answer (for a stream: the `response` of the `response.completed` event). Hosted
 * tool calls are counted from the output items: every `web_search_call` / `file_search_call` item
 * is one billed call.
 */
export function openAiResponsesUsage(response: unknown, provider: OpenAiFormatProvider = 'openai'): NormalizedUsage | undefined {
  const body = asObject(response);
  const usage = asObject(body?.usage);
  if (!usage) return undefined;
  const normalized = splitTokens({
    provider,
    inputTokens: countOf(usage.input_tokens),
    cachedTokens: countOf(asObject(usage.input_tokens_details)?.cached_tokens),
    outputTokens: countOf(usage.output_tokens),
    reasoningTokens: countOf(asObject(usage.output_tokens_details)?.reasoning_tokens),
    totalTokens: usage.total_tokens,
  });
  const output = Array.isArray(body?.output) ? body.output : [];
  for (const item of output) {
    const type = asObject(item)?.type;
    if (type === 'web_search_call') normalized.webSearchCalls += 1;
    if (type === 'file_search_call') normalized.fileSearchCalls += 1;
  }
  return normalized;
}

export function openAiEmbeddingsUsage(response: unknown): NormalizedUsage | undefined {
  const usage = asObject(asObject(response)?.usage);
  if (!usage) return undefined;
  return { ...emptyUsage(), inputTokens: Math.max(countOf(usage.prompt_tokens), countOf(usage.total_tokens)) };
}

interface RawCounts {
  provider: OpenAiFormatProvider;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: unknown;
}

function splitTokens(raw: RawCounts): NormalizedUsage {
  const usage = emptyUsage();
  // Cached tokens are part of the prompt count. Should a provider ever report more cached than
  // prompt tokens, bill the cached count as reported rather than drop any of it.
  usage.cachedInputTokens = raw.cachedTokens;
  usage.inputTokens = Math.max(raw.inputTokens - raw.cachedTokens, 0);
  usage.reasoningTokens = raw.reasoningTokens;
  usage.outputTokens = reasoningIncluded(raw) ? Math.max(raw.outputTokens - raw.reasoningTokens, 0) : raw.outputTokens;
  return usage;
}

/**
 * OpenAI counts reasoning inside completion/output tokens. xAI has reported it both ways
 * (grok-3-mini outside, later models inside), so for Grok the total decides: total = prompt +
 * completion means inside. When the total cannot tell, assume outside, which bills more.
 */
function reasoningIncluded(raw: RawCounts): boolean {
  if (raw.reasoningTokens === 0) return true;
  if (raw.provider === 'openai') return true;
  if (raw.reasoningTokens > raw.outputTokens) return false;
  return countOf(raw.totalTokens) === raw.inputTokens + raw.outputTokens;
}
