// Usage from Gemini generateContent answers (and the last chunk of streamGenerateContent, whose
// usageMetadata is cumulative). promptTokenCount includes cachedContentTokenCount; thinking
// (thoughtsTokenCount) and tool-use prompt tokens are reported beside the main counts.

import { countOf, emptyUsage, type NormalizedUsage } from '../pricing/usage';

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

// The REST API answers in camelCase; some SDK serialisations use snake_case. Accept both.
const field = (obj: Json | undefined, camel: string, snake: string): unknown => obj?.[camel] ?? obj?.[snake];

export function geminiUsage(response: unknown): NormalizedUsage | undefined {
  const body = asObject(response);
  const meta = asObject(field(body, 'usageMetadata', 'usage_metadata'));
  if (!meta) return undefined;
  const prompt = countOf(field(meta, 'promptTokenCount', 'prompt_token_count'));
  const cached = countOf(field(meta, 'cachedContentTokenCount', 'cached_content_token_count'));
  const toolUsePrompt = countOf(field(meta, 'toolUsePromptTokenCount', 'tool_use_prompt_token_count'));
  return {
    ...emptyUsage(),
    inputTokens: Math.max(prompt - cached, 0) + toolUsePrompt,
    cachedInputTokens: cached,
    outputTokens: countOf(field(meta, 'candidatesTokenCount', 'candidates_token_count')),
    reasoningTokens: countOf(field(meta, 'thoughtsTokenCount', 'thoughts_token_count')),
    groundingQueries: groundingQueriesOf(body),
  };
}

/** Grounding with Google Search bills per search query the model ran, across all candidates. */
export function groundingQueriesOf(response: unknown): number {
  const candidates = field(asObject(response), 'candidates', 'candidates');
  if (!Array.isArray(candidates)) return 0;
  let queries = 0;
  for (const candidate of candidates) {
    const grounding = asObject(field(asObject(candidate), 'groundingMetadata', 'grounding_metadata'));
    const searched = field(grounding, 'webSearchQueries', 'web_search_queries');
    if (Array.isArray(searched)) queries += searched.length;
  }
  return queries;
}
