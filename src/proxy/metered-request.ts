// What a metered call is, once its route has been read: who pays, which provider and operation,
// and the body as the client sent it.
import { MeteredOperation } from '../pricing/estimator';
import { Provider } from '../pricing/price-card';

export type UpstreamOperation = MeteredOperation | 'streamGenerateContent';

export type Json = Record<string, unknown>;

export interface MeteredRequest {
  agentId: string;
  /** From the path, x-cynsta-run-id, or generated. */
  runId: string;
  provider: Provider;
  /** How it is priced and estimated (streamGenerateContent is generateContent). */
  operation: MeteredOperation;
  /** What is called upstream. */
  upstreamOperation: UpstreamOperation;
  model: string;
  body: Json;
  /** The answer is an SSE stream. */
  stream: boolean;
  /** The seed's simplified gemini body `{model, prompt, …}`, answered in the seed's shape. */
  seedGemini: boolean;
  /** The seed's explicit Anthropic route, not streaming: answered `{completion, raw, usage, billing_breakdown}`. */
  seedAnthropic: boolean;
  /** x-cynsta-clamp: off → 402 rather than shrinking the output cap to the budget. */
  clamp: boolean;
  clientHeaders: Record<string, string | string[] | undefined>;
}
