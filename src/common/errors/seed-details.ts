// The seed's exact `detail` strings (../shared/seed/ERRORS.md). Seed clients and its error playbook
// match on them, so wherever one of our refusals has a seed counterpart, `detail` carries the
// seed's string and our fuller sentence goes in `error.message` (SPEC §2, §8).
import type { Provider } from '../../pricing/price-card';

export const SEED_DETAIL = {
  missingAgentHeader: 'Missing x-cynsta-agent-id header',
  invalidBody: 'Invalid request body',
  modelRequired: 'model is required',
  maxTokens: 'max_tokens must be a positive int',
  maxOutputTokens: 'max_output_tokens must be a positive int',
  temperature: 'temperature must be a number',
  nameString: 'name must be a string',
  nameRequired: 'name is required (string)',
  nameNonEmpty: 'name must be a non-empty string',
  limitRequired: 'hard_limit_cents is required (int)',
  topupInt: 'topup_cents must be an int',
  limitPositive: 'hard_limit_cents must be > 0',
  topupNonNegative: 'topup_cents must be >= 0',
  insufficientInput: 'Insufficient budget for request input',
  insufficient: 'Insufficient budget',
  agentNotFound: 'Agent not found',
  budgetNotFound: 'Budget not found',
  agentLocked: 'Agent budget is locked by an in-flight run',
} as const;

/** Validation messages that are seed strings: a schema that uses one as its message gets it as `detail`. */
export const SEED_VALIDATION_DETAILS: ReadonlySet<string> = new Set(Object.values(SEED_DETAIL));

export function unknownModelDetail(provider: Provider, model: string): string {
  return `Unknown model for pricing: ${provider}:${model}`;
}

const PROVIDER_NAMES: Record<Provider, string> = { openai: 'OpenAI', grok: 'Grok', anthropic: 'Anthropic', gemini: 'Gemini' };

export function providerFailedDetail(provider: Provider, what: string): string {
  return `${PROVIDER_NAMES[provider]} request failed: ${what}`;
}
