// The metered call of SPEC §4, start to end:
//   price card → estimate → (exclusive: agent lock) → hold → upstream → relay → settle → unlock.
// Every path that took a hold settles or releases it, and every path that took a lock releases
// it (finally), client disconnects and upstream failures included.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AgentsService } from '../agents/agents.service';
import { TenantAuth } from '../auth/auth-context';
import { BudgetLedgerRepository, Finalized } from '../budgets/budget-ledger.repository';
import { Reservation } from '../budgets/reservation';
import { ApiError } from '../common/errors/api-error';
import { providerFailedDetail, unknownModelDetail } from '../common/errors/seed-details';
import { AGENT_ID_RE } from '../common/http/ids';
import { microcentsToCentsCeil, microcentsToCentsFloor } from '../common/money';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { HeldLock, LockServiceUnavailable, AgentLocks } from '../locks/agent-lock';
import { AGENT_LOCKS } from '../locks/agent-locks.token';
import { MetricsService } from '../metrics/metrics.service';
import { costBreakdownToJson, costOf } from '../pricing/cost-engine';
import { estimateInputTokens, InputEstimate } from '../pricing/estimator';
import { PriceCard } from '../pricing/price-card';
import { findCard } from '../pricing/price-table';
import { PricingService } from '../pricing/pricing.service';
import { emptyUsage, NormalizedUsage } from '../pricing/usage';
import { extractUsage } from '../providers/extract-usage';
import { nativeAnthropicToSeedAnswer } from '../providers/anthropic.seed';
import { nativeGeminiToSeedAnswer, SeedGeminiBody, seedGeminiToNative } from '../providers/gemini.seed';
import { prepareOpenAiStreamRequest } from '../providers/openai.stream';
import { applyOutputCap } from '../providers/output-cap';
import { CALL_OBSERVER, CallObservation, CallObserver } from './call-observer';
import { CallScope, ClientGone } from './call-scope';
import { MeteredRequest } from './metered-request';
import { Reserved, reserveForCall } from './output-reservation';
import { relayStream } from './stream-relay';
import { UpstreamClient, UpstreamError } from './upstream.client';

/** What a 409 tells the client to wait before trying again. */
const RETRY_AFTER_SECONDS = 1;

export interface CallContext {
  auth: TenantAuth;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** Everything settle needs about one call in flight. */
export interface CallInFlight {
  m: MeteredRequest;
  auth: TenantAuth;
  card: PriceCard;
  estimate: InputEstimate;
  reserved: Reserved;
  priceVersion: string;
  requestId: string;
  /** OpenAI chat streams: the client asked for the usage chunk itself (else it is hidden). */
  clientAskedForUsage: boolean;
  /** Present only while something watches calls (telemetry). */
  observed?: CallObservation;
}

@Injectable()
export class ProxyService {
  private readonly logger = new Logger('proxy');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly pricing: PricingService,
    private readonly agents: AgentsService,
    private readonly ledger: BudgetLedgerRepository,
    private readonly upstream: UpstreamClient,
    private readonly metrics: MetricsService,
    @Inject(AGENT_LOCKS) private readonly locks: AgentLocks,
    /** Null unless telemetry is configured: then calls are reported to it (call-observer.ts). */
    @Optional() @Inject(CALL_OBSERVER) private readonly observer: CallObserver | null = null,
  ) {}

  /** Calls still running on this instance (for a shutdown that must let them end their holds). */
  private readonly running = new Set<Promise<void>>();

  async handle(m: MeteredRequest, ctx: CallContext): Promise<void> {
    const scope = new CallScope(ctx.request, ctx.reply, this.config.proxy.upstreamTimeoutMs);
    const observed = this.observer?.begin(m, ctx.auth.tenantId, String(ctx.request.id));
    let failure: unknown;
    const call = this.run(m, ctx, scope, observed)
      .catch((err: unknown) => {
        failure = err;
        throw err;
      })
      .finally(() => {
        scope.end();
        observed?.end(failure, ctx.reply.statusCode);
        this.running.delete(call);
      });
    this.running.add(call);
    return call;
  }

  /**
   * Resolves once every call running now has ended (its hold settled or released: their clients
   * are gone by now), or after `timeoutMs`. Shutdown waits on it before the database pool closes;
   * a hold it could not end is expired by another instance's sweeper, charged in full.
   */
  async idle(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private async run(m: MeteredRequest, ctx: CallContext, scope: CallScope, observed: CallObservation | undefined): Promise<void> {
    const { auth, reply } = ctx;
    const requestId = String(ctx.request.id);
    reply.header('x-cynsta-run-id', m.runId).header('x-cynsta-request-id', requestId);

    const active = this.pricing.require();
    const card = findCard(active.table, m.provider, m.model);
    if (!card) {
      throw new ApiError(
        'unknown_model',
        `model '${m.model}' has no price for provider ${m.provider}; nothing was reserved`,
        {},
        {},
        unknownModelDetail(m.provider, m.model),
      );
    }
    if (!AGENT_ID_RE.test(m.agentId)) throw new ApiError('agent_not_found', `agent ${m.agentId} not found`);
    const key = await this.upstream.apiKey(auth.tenantId, m.provider);
    const estimate = estimateInputTokens({ provider: m.provider, operation: m.operation, model: m.model, body: m.body });

    // Exclusive agents lock before the hold. The mode comes from a hint (what the last hold on
    // this instance saw), so no lookup is made per call; the hold returns the real mode and the
    // lock is corrected by it. Until the hold is taken the lock is ours to release (finally);
    // from then on the reservation owns it and releases it when it ends.
    let lock = await this.lockIfExclusive(auth, m);
    let reservation: Reservation | undefined;
    try {
      if (scope.clientGone) throw new ClientGone();
      const reserved = await reserveForCall(this.ledger, auth, m, card, estimate, {
        requestId,
        caps: this.config.proxy,
        ttlSeconds: this.config.reservationTtlSeconds,
        deadlineAt: scope.deadlineAt + this.config.proxy.settleGraceMs,
      }).catch((err) => {
        if (err instanceof ApiError && err.code === 'insufficient_budget') this.metrics.denials.inc({ code: 'insufficient_budget' });
        throw err;
      });
      reservation = reserved.reservation;
      observed?.held(reserved, active.table.version);
      this.agents.noteConcurrency(auth, m.agentId, reserved.concurrency);
      if (reserved.concurrency === 'parallel' && lock) {
        await lock.release();
        lock = undefined;
      } else if (reserved.concurrency === 'exclusive' && !lock) {
        // The hint said parallel but the agent has become exclusive meanwhile.
        lock = await this.acquireLock(auth, m).catch(async (err) => {
          await reservation!.release({ reason: 'agent_locked_after_hold', message: (err as Error).message });
          throw err;
        });
      }
      reservation.keepAlive({
        holdTtlSeconds: this.config.reservationTtlSeconds,
        lease: lock,
        leaseTtlMs: this.config.proxy.lockTtlMs,
        onLeaseLost: () => scope.stop('lock_lost'),
      });
      lock = undefined;
      if (scope.clientGone) {
        await reservation.release({ reason: 'client_disconnected', stage: 'before_upstream' });
        throw new ClientGone();
      }
      let prepared: { body: string; clientAskedForUsage: boolean };
      try {
        prepared = upstreamBody(m, reserved.capTokens);
      } catch (err) {
        await reservation.release({ reason: 'request_not_sendable', message: (err as Error).message });
        throw new ApiError('validation_failed', `the request body cannot be sent upstream: ${(err as Error).message}`);
      }
      const { body, clientAskedForUsage } = prepared;
      const call: CallInFlight = { m, auth, card, estimate, reserved, priceVersion: active.table.version, requestId, clientAskedForUsage, observed };
      await this.forward(call, body, key, ctx, scope);
    } catch (err) {
      // Whatever stopped the call, its hold ends now (a no-op when it already ended).
      await reservation?.release({ reason: 'internal_error', message: (err as Error).message }).catch(() => undefined);
      throw err;
    } finally {
      await lock?.release();
    }
  }

  /** The agent lock, unless the agent is parallel (see handle). */
  private async lockIfExclusive(auth: TenantAuth, m: MeteredRequest): Promise<HeldLock | undefined> {
    const mode = this.agents.concurrencyHint(auth, m.agentId) ?? (await this.agents.concurrencyOf(auth, m.agentId));
    return mode === 'exclusive' ? this.acquireLock(auth, m) : undefined;
  }

  private async acquireLock(auth: TenantAuth, m: MeteredRequest): Promise<HeldLock> {
    let attempt;
    try {
      attempt = await this.locks.acquire(auth.tenantId, m.agentId, m.runId, this.config.proxy.lockTtlMs);
    } catch (err) {
      if (err instanceof LockServiceUnavailable) {
        throw new ApiError('lock_service_unavailable', 'the lock service (Redis) is unavailable; exclusive agents are refused until it is back');
      }
      throw err;
    }
    if (!attempt.ok) {
      this.metrics.denials.inc({ code: 'agent_locked' });
      // The lock's TTL only bounds a crashed holder; a live call ends much sooner, so ask clients
      // (the SDKs honour Retry-After) to come back shortly rather than after the whole TTL.
      const retryAfter = String(Math.max(1, Math.min(RETRY_AFTER_SECONDS, Math.ceil(attempt.retryAfterMs / 1000))));
      throw new ApiError(
        'agent_locked',
        `agent ${m.agentId} has a call in flight${attempt.holderRunId ? ` (run ${attempt.holderRunId})` : ''}; it is exclusive`,
        { locked_run_id: attempt.holderRunId },
        { 'retry-after': retryAfter },
      );
    }
    return attempt.lock;
  }

  /** From the hold on: every exit ends the reservation (it ends once; later ends are no-ops). */
  private async forward(call: CallInFlight, body: string, key: string, ctx: CallContext, scope: CallScope): Promise<void> {
    const { m, reserved } = call;
    const { reservation } = reserved;
    ctx.reply
      .header('x-cynsta-reserved-cents', String(microcentsToCentsCeil(reserved.holdMicrocents)))
      .header('x-cynsta-max-tokens', String(reserved.capTokens));
    const url = this.upstream.url(m.provider, m.upstreamOperation, m.model);
    const headers = this.upstream.headers(m.provider, key, m.clientHeaders);

    let res;
    try {
      res = await this.upstream.send(url, headers, body, scope.signal);
    } catch (err) {
      if (scope.clientGone) {
        // The provider had the prompt when the client left: the input is charged, the output
        // (never started, or stopped by our hang-up) is not.
        await this.settleUsage(call, inputOnly(call), 'client_disconnected_before_answer');
        throw new ClientGone();
      }
      await reservation.release({ reason: 'upstream_failed', failure: this.failureKind(err, scope), message: (err as Error).message });
      throw this.upstreamFailure(m, err as UpstreamError, scope);
    }
    call.observed?.upstreamAnswered(res.statusCode);

    if (res.statusCode >= 400 || !m.stream) {
      let bytes: Buffer;
      scope.readingAnswer(true);
      try {
        bytes = await this.upstream.readAll(res.body);
      } catch (err) {
        // The provider answered but the body broke off: we cannot know the usage, so the hold
        // is charged in full (the provider may well bill the call).
        if (res.statusCode < 400) await this.settle(call, reserved.holdMicrocents, undefined, { reason: 'answer_cut_short', message: (err as Error).message });
        else await reservation.release({ reason: 'upstream_failed', failure: 'network', upstream_status: res.statusCode });
        if (scope.clientGone) throw new ClientGone();
        throw this.upstreamFailure(m, err as UpstreamError, scope);
      } finally {
        scope.readingAnswer(false);
      }
      call.observed?.answerRead(bytes);
      if (res.statusCode >= 500) {
        await reservation.release({ reason: 'upstream_error', upstream_status: res.statusCode });
        this.metrics.upstreamErrors.inc({ provider: m.provider, kind: 'status_5xx' });
        const said = bytes.toString('utf8').slice(0, 2_000);
        throw new ApiError(
          'upstream_error',
          `${m.provider} answered ${res.statusCode}; the hold was released`,
          { upstream_status: res.statusCode, upstream_body: said },
          {},
          providerFailedDetail(m.provider, `${res.statusCode} ${said}`),
        );
      }
      if (res.statusCode >= 400) {
        // The provider refused the request: nothing was produced, pass its answer through.
        await reservation.release({ reason: 'upstream_refused', upstream_status: res.statusCode });
        this.passThrough(ctx.reply, res.statusCode, res.headers, bytes);
        return;
      }
      await this.answer(call, ctx.reply, res.statusCode, res.headers, bytes);
      return;
    }

    await relayStream({
      call,
      upstream: res,
      reply: ctx.reply,
      scope,
      settle: (costMicrocents, usage, details, breakdown) => this.settle(call, costMicrocents, usage, details, breakdown),
      onUpstreamError: () => this.metrics.upstreamErrors.inc({ provider: m.provider, kind: 'stream_broken' }),
    });
  }

  /** A whole answer: price its usage, settle, send it on unchanged (or in the seed's gemini shape). */
  private async answer(call: CallInFlight, reply: FastifyReply, status: number, headers: Record<string, unknown>, bytes: Buffer): Promise<void> {
    const { m } = call;
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      json = undefined;
    }
    const usage = json === undefined ? undefined : extractUsage(m.provider, m.operation, json);
    const breakdown = usage ? costBreakdownToJson(costOf(call.card, usage)) : undefined;
    const done = usage
      ? await this.settleUsage(call, usage, 'reported')
      : await this.settle(call, call.reserved.holdMicrocents, undefined, {
          reason: json === undefined ? 'answer_not_json' : 'usage_missing',
          note: 'charged the full hold: the answer did not say what it used',
        });
    if (done) {
      reply
        .header('x-cynsta-cost-cents', String(microcentsToCentsCeil(done.costMicrocents)))
        .header('x-cynsta-remaining-cents', String(microcentsToCentsFloor(done.remainingMicrocents)));
    }
    // The seed's answer shapes on its explicit routes (SPEC §2); the native answer otherwise.
    if (m.seedGemini && json !== undefined) {
      reply.status(status).header('content-type', 'application/json').send(nativeGeminiToSeedAnswer(json as Record<string, unknown>));
      return;
    }
    if (m.seedAnthropic && json !== undefined) {
      reply.status(status).header('content-type', 'application/json').send(nativeAnthropicToSeedAnswer(json, breakdown ?? null));
      return;
    }
    this.passThrough(reply, status, headers, bytes);
  }

  async settleUsage(call: CallInFlight, usage: NormalizedUsage, basis: string, details?: Record<string, unknown>): Promise<Finalized | null> {
    const breakdown = costOf(call.card, usage);
    return this.settle(call, breakdown.totalMicrocents, usage, { basis, ...details }, costBreakdownToJson(breakdown));
  }

  private async settle(
    call: CallInFlight,
    costMicrocents: bigint,
    usage: NormalizedUsage | undefined,
    details: Record<string, unknown> | undefined,
    breakdown?: unknown,
  ): Promise<Finalized | null> {
    const { reservation } = call.reserved;
    const expired = reservation.finished;
    if (expired) {
      this.logger.warn({ msg: 'the call ended after its reservation had (deadline?)', reservation_id: reservation.id });
    }
    const startedAt = call.observed ? performance.now() : 0;
    const done = await reservation.settle(costMicrocents, { usage, costBreakdown: breakdown, priceVersion: call.priceVersion, details });
    if (!done) this.logger.warn({ msg: 'settle found the hold already closed (expired?)', reservation_id: reservation.id });
    call.observed?.settled({ expired, costMicrocents, usage, breakdown, details, finalized: done, startedAt });
    return done;
  }

  private passThrough(reply: FastifyReply, status: number, headers: Record<string, unknown>, bytes: Buffer): void {
    const type = headers['content-type'];
    reply.status(status).header('content-type', typeof type === 'string' ? type : 'application/json').send(bytes);
  }

  private failureKind(err: unknown, scope: CallScope): string {
    if (scope.ended === 'deadline') return 'timeout';
    return err instanceof UpstreamError ? err.kind : 'network';
  }

  private upstreamFailure(m: MeteredRequest, err: UpstreamError, scope: CallScope): ApiError {
    // Not the provider's fault: the call was stopped because its exclusive lock could not be kept.
    if (scope.ended === 'lock_lost') {
      return new ApiError('lock_service_unavailable', "the agent's lock could not be kept (Redis); the call was stopped and its hold released", {}, {
        'retry-after': '1',
      });
    }
    const kind = this.failureKind(err, scope);
    this.metrics.upstreamErrors.inc({ provider: m.provider, kind });
    return kind === 'timeout'
      ? new ApiError('upstream_timeout', `${m.provider} did not answer in time; the hold was released`, {}, {}, providerFailedDetail(m.provider, 'timed out'))
      : new ApiError('upstream_error', `could not reach ${m.provider}: ${err.message}; the hold was released`, {}, {}, providerFailedDetail(m.provider, err.message));
  }
}

export const newRunId = (): string => randomUUID();

/** What the provider bills for a call it had the prompt of and produced nothing for. */
function inputOnly(call: CallInFlight): NormalizedUsage {
  return { ...emptyUsage(), inputTokens: call.estimate.inputTokens };
}

/**
 * The body sent upstream: the client's, unchanged but for the output cap and, on OpenAI-format
 * chat streams, the streaming-usage option (SPEC §4 rule 1). The seed's gemini body becomes a
 * native one.
 */
function upstreamBody(m: MeteredRequest, capTokens: number): { body: string; clientAskedForUsage: boolean } {
  let body = m.operation === 'embeddings' ? m.body : applyOutputCap(m.provider, m.operation, m.body, capTokens);
  if (m.seedGemini) body = seedGeminiToNative(body as unknown as SeedGeminiBody);
  let clientAskedForUsage = true;
  if (m.stream && m.operation === 'chat.completions') {
    const prepared = prepareOpenAiStreamRequest(body);
    body = prepared.body;
    clientAskedForUsage = prepared.clientAskedForUsage;
  }
  return { body: JSON.stringify(body), clientAskedForUsage };
}
