// SPEC §4 rule 3: an input-token estimate that is never below what the provider will bill,
// from the provider's own request body. Text is counted with the model's tokenizer where one
// exists (OpenAI families) and by UTF-8 bytes otherwise; everything text counting cannot see
// (framing, tools, images, files, stored context, hosted-search results) gets an allowance.

import { estimateAnthropicMessages } from '../providers/anthropic.estimate';
import { estimateGeminiGenerate, isSeedGeminiBody } from '../providers/gemini.estimate';
import { InputTally, asObject } from '../providers/input-tally';
import { estimateOpenAiChat, estimateOpenAiEmbeddings, estimateOpenAiResponses } from '../providers/openai.estimate';
import { DEFAULT_ESTIMATE_ALLOWANCES, type EstimateAllowances } from './estimate-allowances';
import type { Provider } from './price-card';
import { DEFAULT_MAX_TOKENIZED_CHARS, textCounterFor, type CountingMethod } from './token-counter';
import type { ToolCallAllowance } from './worst-case-hold';

export type MeteredOperation = 'chat.completions' | 'responses' | 'embeddings' | 'messages' | 'generateContent';

const OPERATIONS: Record<Provider, readonly MeteredOperation[]> = {
  openai: ['chat.completions', 'responses', 'embeddings'],
  grok: ['chat.completions', 'responses', 'embeddings'],
  anthropic: ['messages'],
  gemini: ['generateContent'],
};

export interface InputEstimateRequest {
  provider: Provider;
  /** streamGenerateContent is estimated as generateContent. */
  operation: MeteredOperation;
  model: string;
  /** The request body as the client sent it (parsed JSON). */
  body: unknown;
  allowances?: EstimateAllowances;
  maxTokenizedChars?: number;
}

export interface InputEstimate {
  inputTokens: number;
  method: CountingMethod;
  /** Hosted tool calls the request enables, to price into the hold. */
  toolCalls: ToolCallAllowance;
}

export function estimateInputTokens(request: InputEstimateRequest): InputEstimate {
  const { provider, operation, model } = request;
  assertOperation(provider, operation);
  const allowances = request.allowances ?? DEFAULT_ESTIMATE_ALLOWANCES;
  const counter = textCounterFor(provider, model, request.maxTokenizedChars ?? DEFAULT_MAX_TOKENIZED_CHARS);
  const tally = new InputTally(provider, model, counter, allowances);
  const body = asObject(request.body) ?? {};
  switch (operation) {
    case 'chat.completions':
      estimateOpenAiChat(tally, body);
      break;
    case 'responses':
      estimateOpenAiResponses(tally, body);
      break;
    case 'embeddings':
      estimateOpenAiEmbeddings(tally, body);
      break;
    case 'messages':
      estimateAnthropicMessages(tally, body);
      break;
    case 'generateContent':
      estimateGeminiGenerate(tally, body);
      break;
  }
  return { inputTokens: tally.tokens, method: counter.method, toolCalls: tally.toolCalls };
}

/**
 * The output cap the request itself asks for (SPEC §4 rule 4), or undefined when it sets none.
 * A present but non-numeric cap comes back as NaN so decideOutputCap refuses it. Embeddings
 * produce no output tokens: hold them with an output cap of 0 and skip decideOutputCap.
 */
export function requestedOutputCap(provider: Provider, operation: MeteredOperation, body: unknown): number | undefined {
  assertOperation(provider, operation);
  const b = asObject(body) ?? {};
  const read = (value: unknown) => (value === undefined || value === null ? undefined : typeof value === 'number' ? value : Number.NaN);
  switch (operation) {
    case 'chat.completions':
      return read(b.max_completion_tokens ?? b.max_tokens);
    case 'responses':
      return read(b.max_output_tokens);
    case 'embeddings':
      return undefined;
    case 'messages':
      return read(b.max_tokens);
    case 'generateContent': {
      if (isSeedGeminiBody(b)) return read(b.max_tokens);
      const config = asObject(b.generationConfig ?? b.generation_config);
      return read(config?.maxOutputTokens ?? config?.max_output_tokens);
    }
  }
}

/**
 * How many completions the request generates; each is billed its own output tokens. A number of
 * 1 or more that is not a whole number within Number.MAX_SAFE_INTEGER comes back as NaN, for the
 * caller to refuse; anything else that is no count (absent, 0, a string) is read as 1, as the
 * providers do or refuse themselves.
 */
export function requestedChoices(provider: Provider, operation: MeteredOperation, body: unknown): number {
  assertOperation(provider, operation);
  const b = asObject(body) ?? {};
  const config = asObject(b.generationConfig ?? b.generation_config);
  const n = operation === 'chat.completions' ? b.n : operation === 'generateContent' ? (config?.candidateCount ?? config?.candidate_count) : 1;
  if (typeof n !== 'number' || !(n >= 1)) return 1;
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

function assertOperation(provider: Provider, operation: MeteredOperation): void {
  if (!OPERATIONS[provider].includes(operation)) throw new Error(`${provider} has no ${operation} operation`);
}

// Rules 4-5 (output cap, clamp, hold) live beside the estimate's consumers in worst-case-hold.ts;
// re-exported so one import serves the whole reserve step.
export { affordableOutputTokens, decideOutputCap, worstCaseHoldMicrocents } from './worst-case-hold';
export type { HoldExtras, OutputCapDecision, OutputCapInput, ToolCallAllowance } from './worst-case-hold';
