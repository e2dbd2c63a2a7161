// Writing the decided output cap (SPEC §4 rule 4) into the request body that goes upstream. The
// body is otherwise unchanged (rule 1): a shallow copy with the cap field set, keeping every
// other key, value and the key order; the client's object is never modified.
//
// Where the cap goes:
// - OpenAI / Grok chat: every cap field the client sent (`max_completion_tokens`, `max_tokens`;
//   both when both were sent, so neither can allow more). When the client sent none:
//   `max_completion_tokens` for OpenAI, which every current chat model accepts and which the
//   o-series and gpt-5 models require (`max_tokens` is deprecated and refused by them);
//   `max_tokens` for xAI, whose API documents it.
// - Responses: `max_output_tokens`. Anthropic Messages: `max_tokens` (required there). Anthropic
//   refuses a `thinking.budget_tokens` that is not below `max_tokens`, and thinking is part of
//   the output the cap bounds, so a budget the clamped cap no longer leaves room for is lowered
//   to cap − 1 (when that is still the API's minimum of 1,024; below it the budget is left as
//   sent and the provider's 400 comes back to the client).
// - Gemini: `generationConfig.maxOutputTokens` (or the snake_case spelling the client used);
//   the seed's simplified body: its `max_tokens` (seedGeminiToNative carries it over).
// - Embeddings produce no output: the body is returned unchanged.

import type { MeteredOperation } from '../pricing/estimator';
import type { Provider } from '../pricing/price-card';
import { isSeedGeminiBody } from './gemini.seed';
import { asObject, type Json } from './stream-usage';

const isSet = (value: unknown) => value !== undefined && value !== null;

export function applyOutputCap(provider: Provider, operation: MeteredOperation, body: Json, capTokens: number): Json {
  if (!Number.isSafeInteger(capTokens) || capTokens < 1) throw new RangeError(`capTokens must be a positive integer, got ${String(capTokens)}`);
  switch (operation) {
    case 'chat.completions':
      return { ...body, ...chatCapFields(provider, body, capTokens) };
    case 'responses':
      return { ...body, max_output_tokens: capTokens };
    case 'messages':
      return { ...body, max_tokens: capTokens, ...anthropicThinkingWithin(body, capTokens) };
    case 'generateContent':
      return isSeedGeminiBody(body) ? { ...body, max_tokens: capTokens } : geminiWithCap(body, capTokens);
    case 'embeddings':
      return { ...body };
  }
}

/** Anthropic's smallest accepted thinking budget. */
const ANTHROPIC_MIN_THINKING_BUDGET = 1024;

function anthropicThinkingWithin(body: Json, capTokens: number): Json {
  const thinking = asObject(body.thinking);
  const budget = thinking?.budget_tokens;
  if (!thinking || thinking.type !== 'enabled' || typeof budget !== 'number' || budget < capTokens) return {};
  if (capTokens - 1 < ANTHROPIC_MIN_THINKING_BUDGET) return {};
  return { thinking: { ...thinking, budget_tokens: capTokens - 1 } };
}

function chatCapFields(provider: Provider, body: Json, capTokens: number): Json {
  const sent = (['max_completion_tokens', 'max_tokens'] as const).filter((key) => isSet(body[key]));
  if (sent.length > 0) return Object.fromEntries(sent.map((key) => [key, capTokens]));
  // A field sent as null is "no cap": fill it in where it stands.
  const nulled = (['max_completion_tokens', 'max_tokens'] as const).find((key) => key in body);
  return { [nulled ?? (provider === 'grok' ? 'max_tokens' : 'max_completion_tokens')]: capTokens };
}

function geminiWithCap(body: Json, capTokens: number): Json {
  const containers = (['generationConfig', 'generation_config'] as const).filter((key) => asObject(body[key]));
  if (containers.length === 0) {
    const key = 'generation_config' in body ? 'generation_config' : 'generationConfig';
    return { ...body, [key]: { [key === 'generationConfig' ? 'maxOutputTokens' : 'max_output_tokens']: capTokens } };
  }
  const out = { ...body };
  for (const key of containers) {
    const config = asObject(body[key])!;
    const fields = (['maxOutputTokens', 'max_output_tokens'] as const).filter((name) => name in config);
    const defaultField = key === 'generationConfig' ? 'maxOutputTokens' : 'max_output_tokens';
    out[key] = { ...config, ...Object.fromEntries((fields.length > 0 ? fields : [defaultField]).map((name) => [name, capTokens])) };
  }
  return out;
}
