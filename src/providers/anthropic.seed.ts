// The seed's answer on its explicit Anthropic route (SPEC §2): seed clients read
// `{"completion", "raw", "usage": {"tokens_in", "tokens_out"}, "billing_breakdown"}` from
// `POST /v1/agents/{agent}/runs/{run}/anthropic/messages`. The native message is kept whole in
// `raw`; the header-routed `/v1/messages` answers natively, for the Anthropic SDK.
import { asArray, asObject, type Json } from './stream-usage';

export interface SeedAnthropicAnswer {
  completion: string;
  raw: unknown;
  usage: { tokens_in: number; tokens_out: number };
  billing_breakdown: unknown;
}

const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * `completion`: the text blocks of the message, in order (thinking and tool blocks left out);
 * `tokens_in`: every input token the call was billed for (plain, cache writes and cache reads);
 * `tokens_out`: output tokens, thinking included (Anthropic bills it as output).
 */
export function nativeAnthropicToSeedAnswer(message: unknown, billingBreakdown: unknown): SeedAnthropicAnswer {
  const m = asObject(message) ?? {};
  const completion = asArray(m.content)
    .map((block) => asObject(block))
    .filter((block): block is Json => block?.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('');
  const usage = asObject(m.usage) ?? {};
  return {
    completion,
    raw: message,
    usage: {
      tokens_in: count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens),
      tokens_out: count(usage.output_tokens),
    },
    billing_breakdown: billingBreakdown,
  };
}
