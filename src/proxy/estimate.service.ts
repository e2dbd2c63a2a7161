// POST /v1/agents/{agent_id}/estimate (SPEC §10): what a call would hold on every level of its
// path, the output cap it would get, and which level would refuse it — with the metered path's
// own pricing, estimate and clamp (output-reservation.ts), and nothing held or written.
import { Inject, Injectable } from '@nestjs/common';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { BudgetAccountsRepository } from '../budgets/budget-accounts.repository';
import { ApiError } from '../common/errors/api-error';
import { unknownModelDetail } from '../common/errors/seed-details';
import { microcentsToCentsCeil, microcentsToCentsFloor } from '../common/money';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { estimateInputTokens } from '../pricing/estimator';
import { findCard } from '../pricing/price-table';
import { PricingService } from '../pricing/pricing.service';
import { affordableOutputTokens, worstCaseHoldMicrocents } from '../pricing/worst-case-hold';
import { EstimateDto, EstimateRequestDto } from './estimate.dto';
import { decideCap, planHold } from './output-reservation';
import { buildMeteredRequest } from './route-resolution';

@Injectable()
export class EstimateService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pricing: PricingService,
    private readonly agents: AgentsService,
    private readonly accounts: BudgetAccountsRepository,
  ) {}

  async estimate(auth: TenantAuth, agentId: string, body: EstimateRequestDto): Promise<EstimateDto> {
    await this.agents.require(auth, agentId);
    const { provider, operation, run_id: runId, clamp, ...request } = body;
    const m = buildMeteredRequest({
      agentId,
      runId: runId ?? 'estimate',
      provider,
      upstreamOperation: operation,
      model: body.model,
      body: request,
      headers: clamp ? {} : { 'x-cynsta-clamp': 'off' },
    });
    const card = findCard(this.pricing.require().table, provider, m.model);
    if (!card) throw new ApiError('unknown_model', `model '${m.model}' has no price for provider ${provider}`, {}, {}, unknownModelDetail(provider, m.model));
    const estimate = estimateInputTokens({ provider, operation: m.operation, model: m.model, body: m.body });
    const plan = planHold(m, card, estimate, this.config.proxy);

    const levels = await this.accounts.pathOf(auth.tenantId, agentId, runId ?? null);
    if (!levels) throw new ApiError('agent_not_found', `agent ${agentId} not found`);
    if (levels.length === 0) throw new ApiError('budget_not_found', `agent ${agentId} has no budget on any level (agent, its groups, the tenant)`);
    const binding = levels.reduce((a, b) => (b.remainingMicrocents < a.remainingMicrocents ? b : a));

    let capTokens: number | null = plan.embeddings ? null : 0;
    let clamped = false;
    let hold: bigint;
    if (plan.embeddings) {
      hold = worstCaseHoldMicrocents(card, estimate.inputTokens, 0, plan.extras);
    } else {
      const affordable = affordableOutputTokens(card, estimate.inputTokens, binding.remainingMicrocents, plan.extras);
      const decision = decideCap(m, card, estimate, plan, affordable);
      capTokens = decision.ok ? decision.capTokens : null;
      clamped = decision.ok && decision.clampedToBudget;
      // A refused call is refused for what it asked (clamp off) or for one token (clamp on).
      const shown = decision.ok ? decision.capTokens : m.clamp ? 1 : (plan.requested ?? plan.defaultMaxTokens);
      hold = worstCaseHoldMicrocents(card, estimate.inputTokens, shown, plan.extras);
    }
    if (hold < 1n) hold = 1n;
    const allowed = hold <= binding.remainingMicrocents;
    return {
      agent_id: agentId,
      provider,
      model: m.model,
      input_tokens: estimate.inputTokens,
      requested_max_tokens: plan.requested ?? null,
      max_tokens: allowed ? capTokens : null,
      clamped,
      hold_cents: microcentsToCentsCeil(hold),
      hold_microcents: hold.toString(),
      allowed,
      refused_by: allowed
        ? null
        : {
            level: binding.level,
            level_id: binding.levelId,
            required_cents: microcentsToCentsCeil(hold),
            remaining_cents: microcentsToCentsFloor(binding.remainingMicrocents),
          },
      levels: levels.map((l) => ({
        level: l.level,
        level_id: l.levelId,
        remaining_cents: microcentsToCentsFloor(l.remainingMicrocents),
        remaining_microcents: l.remainingMicrocents.toString(),
        would_hold_microcents: hold.toString(),
        fits: hold <= l.remainingMicrocents,
      })),
    };
  }
}
