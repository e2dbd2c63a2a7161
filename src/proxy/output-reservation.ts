// SPEC §4 rules 4-5: choose the output cap and take the worst-case hold in one step. The common
// case is one round trip: hold for the requested cap; only when that does not fit is the cap
// clamped to what the remaining budget affords (the seed's clamp) and the hold retried.
import type { Concurrency } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { BudgetLedgerRepository, Refusal } from '../budgets/budget-ledger.repository';
import { Reservation } from '../budgets/reservation';
import { ApiError } from '../common/errors/api-error';
import { SEED_DETAIL } from '../common/errors/seed-details';
import { MAX_MICROCENTS, microcentsToCentsCeil, microcentsToCentsFloor } from '../common/money';
import {
  affordableOutputTokens,
  decideOutputCap,
  HoldExtras,
  InputEstimate,
  requestedChoices,
  requestedOutputCap,
  worstCaseHoldMicrocents,
} from '../pricing/estimator';
import { PriceCard } from '../pricing/price-card';
import { MeteredRequest } from './metered-request';

export interface Reserved {
  reservation: Reservation;
  holdMicrocents: bigint;
  /** Output tokens per choice sent upstream (0 for embeddings). */
  capTokens: number;
  choices: number;
  remainingMicrocents: bigint;
  /** The agent's concurrency mode as the hold found it in the database. */
  concurrency: Concurrency;
}

const ATTEMPTS = 3;

/**
 * The most completions one request may ask for (OpenAI `n`, Gemini `candidateCount`): OpenAI's
 * own maximum. Past it the request is refused (400) rather than priced.
 */
export const MAX_CHOICES = 128;

/**
 * What a call would hold, before any budget is read: the request's checked cap and choices, the
 * default and upper caps that apply to it, and its worst case per output token. Shared by the
 * hold (reserveForCall) and POST /v1/agents/{id}/estimate.
 */
export interface HoldPlan {
  embeddings: boolean;
  extras: HoldExtras;
  requested: number | undefined;
  defaultMaxTokens: number;
  modelMax: number | undefined;
}

export function planHold(m: MeteredRequest, card: PriceCard, estimate: InputEstimate, caps: OutputCapSettings): HoldPlan {
  const { defaultMaxTokens, maxTokens } = capsFor(caps, m);
  const embeddings = m.operation === 'embeddings';
  const choices = embeddings ? 1 : requestedChoices(m.provider, m.operation, m.body);
  if (!(choices <= MAX_CHOICES)) {
    throw new ApiError('validation_failed', `n / candidateCount must be a whole number from 1 to ${MAX_CHOICES}`);
  }
  return {
    embeddings,
    extras: { choices, toolCalls: estimate.toolCalls },
    requested: embeddings ? undefined : requestedOutputCap(m.provider, m.operation, m.body),
    defaultMaxTokens,
    modelMax: minDefined(card.maxOutputTokens, maxTokens),
  };
}

/**
 * The output cap for `plan` when the budget affords `affordable` tokens (never more than the
 * largest budget the ledger keeps affords): the seed's clamp, or a refusal.
 */
export function decideCap(m: MeteredRequest, card: PriceCard, estimate: InputEstimate, plan: HoldPlan, affordable: number) {
  const atMost = affordableOutputTokens(card, estimate.inputTokens, MAX_MICROCENTS, plan.extras);
  const decision = decideOutputCap({
    requestedCap: plan.requested,
    defaultMaxTokens: plan.defaultMaxTokens,
    modelMaxOutputTokens: plan.modelMax,
    affordableTokens: Math.min(affordable, atMost),
    clamp: m.clamp,
  });
  if (!decision.ok && decision.reason === 'invalid_requested_cap') {
    const field = m.operation === 'responses' ? 'max_output_tokens' : 'max_tokens';
    throw new ApiError('validation_failed', 'the output token cap must be a positive whole number', {}, {}, field === 'max_tokens' ? SEED_DETAIL.maxTokens : SEED_DETAIL.maxOutputTokens);
  }
  return decision;
}

export async function reserveForCall(
  ledger: BudgetLedgerRepository,
  auth: TenantAuth,
  m: MeteredRequest,
  card: PriceCard,
  estimate: InputEstimate,
  opts: { requestId: string; caps: OutputCapSettings; ttlSeconds: number; deadlineAt: number },
): Promise<Reserved> {
  const plan = planHold(m, card, estimate, opts.caps);
  const { embeddings, extras, requested, defaultMaxTokens } = plan;
  const choices = extras.choices ?? 1;
  let affordable = Number.MAX_SAFE_INTEGER;
  let refusal: Refusal | undefined;

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let capTokens = 0;
    if (!embeddings) {
      const decision = decideCap(m, card, estimate, plan, affordable);
      if (!decision.ok) throw insufficient(card, estimate, extras, m.clamp ? 1 : (requested ?? defaultMaxTokens), refusal);
      capTokens = decision.capTokens;
    }
    const holdMicrocents = maxBig(worstCaseHoldMicrocents(card, estimate.inputTokens, capTokens, extras), 1n);
    const held = await ledger.hold({
      tenantId: auth.tenantId,
      agentId: m.agentId,
      runId: m.runId,
      requestId: opts.requestId,
      amountMicrocents: holdMicrocents,
      ttlSeconds: opts.ttlSeconds,
      deadlineAt: opts.deadlineAt,
      provider: m.provider,
      model: m.model,
    });
    if (held.ok) {
      return {
        reservation: held.reservation,
        holdMicrocents,
        capTokens,
        choices,
        remainingMicrocents: held.remainingMicrocents,
        concurrency: held.concurrency,
      };
    }
    if (held.reason === 'agent_not_found') throw new ApiError('agent_not_found', `agent ${m.agentId} not found`);
    if (held.reason === 'budget_not_found') {
      throw new ApiError(
        'budget_not_found',
        `agent ${m.agentId} has no budget on any level (agent, its groups, the tenant); set one with POST /v1/agents/${m.agentId}/budget`,
      );
    }
    refusal = held;
    const canAfford = embeddings ? 0 : affordableOutputTokens(card, estimate.inputTokens, refusal.remainingMicrocents, extras);
    if (embeddings || !m.clamp || canAfford < 1) {
      throw insufficient(card, estimate, extras, embeddings ? 0 : m.clamp ? 1 : capTokens, refusal);
    }
    // The cap must shrink to what the budget affords (or another call moved the budget
    // meanwhile): try again with what fits now.
    affordable = canAfford;
  }
  throw insufficient(card, estimate, extras, 1, refusal);
}

/**
 * The 402 of SPEC §10: the level that refused (the one of the call's path with least room), its
 * figures, and the seed's detail, which told apart a prompt that alone does not fit from an
 * answer that cannot get one token.
 */
export function insufficient(card: PriceCard, estimate: InputEstimate, extras: HoldExtras, capTokens: number, refusal?: Refusal): ApiError {
  const required = worstCaseHoldMicrocents(card, estimate.inputTokens, capTokens, extras);
  const remaining = refusal?.remainingMicrocents;
  const inputAlone = worstCaseHoldMicrocents(card, estimate.inputTokens, 0, extras);
  const inputDoesNotFit = inputAlone > (remaining ?? MAX_MICROCENTS);
  const where = refusal ? ` on the ${refusal.level} budget (${refusal.levelId})` : '';
  return new ApiError(
    'insufficient_budget',
    inputDoesNotFit
      ? `insufficient budget for the request input alone${where}: top up or raise the limit`
      : `insufficient budget for this call${where}: top up or raise the limit`,
    {
      required_cents: microcentsToCentsCeil(required),
      ...(refusal
        ? { remaining_cents: microcentsToCentsFloor(refusal.remainingMicrocents), level: refusal.level, level_id: refusal.levelId }
        : {}),
    },
    {},
    inputDoesNotFit ? SEED_DETAIL.insufficientInput : SEED_DETAIL.insufficient,
  );
}

const maxBig = (a: bigint, b: bigint) => (a > b ? a : b);

/** The output-cap settings of ProxyConfig (CAP_DEFAULT_MAX_TOKENS and the seed's OpenAI caps). */
export interface OutputCapSettings {
  defaultMaxTokens: number;
  defaultMaxOutputTokens: number;
  openAiMaxCompletionTokens?: number;
  openAiMaxOutputTokens?: number;
}

/**
 * The default cap and the upper cap for this request: Responses routes have their own default
 * (CAP_DEFAULT_MAX_OUTPUT_TOKENS); OpenAI and xAI chat and Responses an upper cap (the seed's
 * CAP_OPENAI_MAX_COMPLETION_TOKENS / CAP_OPENAI_MAX_OUTPUT_TOKENS), applied like a model's limit.
 */
export function capsFor(caps: OutputCapSettings, m: MeteredRequest): { defaultMaxTokens: number; maxTokens?: number } {
  const openAiFamily = m.provider === 'openai' || m.provider === 'grok';
  if (m.operation === 'responses') {
    return { defaultMaxTokens: caps.defaultMaxOutputTokens, maxTokens: openAiFamily ? caps.openAiMaxOutputTokens : undefined };
  }
  return { defaultMaxTokens: caps.defaultMaxTokens, maxTokens: openAiFamily && m.operation === 'chat.completions' ? caps.openAiMaxCompletionTokens : undefined };
}

const minDefined = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
