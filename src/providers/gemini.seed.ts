// The seed's simplified Gemini call (SPEC §4, explicit run routes): a client may post
// `{"model", "prompt", "max_tokens"?, "temperature"?}` instead of a native generateContent body,
// and then gets the seed's answer `{"completion", "usage": {"tokens_in", "tokens_out"}}`.
// Upstream always receives a native request; the model goes in the URL, not the body.

import { countOf } from '../pricing/usage';
import { isSeedGeminiBody as hasSeedGeminiFields } from './gemini.estimate';
import { asArray, asObject, type Json } from './stream-usage';

export interface SeedGeminiBody {
  model?: unknown;
  prompt: string;
  max_tokens?: unknown;
  temperature?: unknown;
}

export interface SeedGeminiAnswer {
  completion: string;
  usage: { tokens_in: number; tokens_out: number };
}

/** A `prompt` string and no `contents`: the seed's shape (the same test the estimator uses). */
export function isSeedGeminiBody(body: unknown): body is SeedGeminiBody {
  const fields = asObject(body);
  return fields !== undefined && hasSeedGeminiFields(fields);
}

/**
 * The native generateContent request for a seed body: the prompt as one user turn, `max_tokens`
 * as `generationConfig.maxOutputTokens` and `temperature` as is (each only when set). Apply the
 * output cap to the seed body first (applyOutputCap sets its `max_tokens`).
 */
export function seedGeminiToNative(body: SeedGeminiBody): Json {
  const generationConfig: Json = {};
  if (body.max_tokens !== undefined && body.max_tokens !== null) generationConfig.maxOutputTokens = body.max_tokens;
  if (body.temperature !== undefined && body.temperature !== null) generationConfig.temperature = body.temperature;
  const request: Json = { contents: [{ role: 'user', parts: [{ text: body.prompt }] }] };
  if (Object.keys(generationConfig).length > 0) request.generationConfig = generationConfig;
  return request;
}

/**
 * The seed's answer from a native generateContent response: the first candidate's text (thought
 * summaries left out), `tokens_in` = promptTokenCount, `tokens_out` = candidatesTokenCount +
 * thoughtsTokenCount (thinking is billed as output, so the seed client sees it as output).
 */
export function nativeGeminiToSeedAnswer(response: unknown): SeedGeminiAnswer {
  return nativeGeminiChunksToSeedAnswer([response]);
}

/**
 * The same for a streamed answer: the first candidate's text across all chunks, and the usage
 * of the chunks' cumulative `usageMetadata` (each count's largest value).
 */
export function nativeGeminiChunksToSeedAnswer(chunks: readonly unknown[]): SeedGeminiAnswer {
  let completion = '';
  let tokensIn = 0;
  let candidatesOut = 0;
  let thoughtsOut = 0;
  for (const chunk of chunks) {
    const body = asObject(chunk);
    const first = asObject(asArray(body?.candidates)[0]);
    for (const part of asArray(asObject(first?.content)?.parts)) {
      const p = asObject(part);
      if (p && typeof p.text === 'string' && p.thought !== true) completion += p.text;
    }
    const meta = asObject(body?.usageMetadata ?? body?.usage_metadata);
    if (!meta) continue;
    tokensIn = Math.max(tokensIn, countOf(meta.promptTokenCount ?? meta.prompt_token_count));
    candidatesOut = Math.max(candidatesOut, countOf(meta.candidatesTokenCount ?? meta.candidates_token_count));
    thoughtsOut = Math.max(thoughtsOut, countOf(meta.thoughtsTokenCount ?? meta.thoughts_token_count));
  }
  return { completion, usage: { tokens_in: tokensIn, tokens_out: candidatesOut + thoughtsOut } };
}
