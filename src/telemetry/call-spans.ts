// The two spans of an observed call (docs/telemetry.md): the model call (`{operation} {model}`,
// kind CLIENT, GenAI conventions plus `spendguard.*`) and, when a hold was taken, its settlement
// (`spendguard.settlement`, its child). Built once the call is over, from its CallRecord.
import { Attributes, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import { toErrorResponse } from '../common/errors/to-error-response';
import { microcentsToCentsCeil } from '../common/money';
import type { Provider } from '../pricing/price-card';
import { NormalizedUsage, totalInputTokens } from '../pricing/usage';
import { ClientGone } from '../proxy/call-scope';
import { CallRecord, MAX_CAPTURED_CHARS, sha384Hex } from './call-record';
import { contentAdapter, promptText } from './content/content';
import { AnswerFacts, asObject, PromptContent, str } from './content/parts';
import { GEN_AI, OPERATION_NAMES, PROVIDER_NAMES } from './semconv';

export interface SpanOptions {
  /** CAP_CAPTURE_PROMPT_RESPONSE: raw prompt and completion on the call span. */
  capture: boolean;
  /** Hosted mode: the tenant id is worth reporting (a sidecar has one tenant). */
  hosted: boolean;
  /** Where each provider's calls go (server.address / server.port). */
  upstreams: Record<Provider, { address: string; port: number }>;
}

type Outcome = 'settle' | 'release' | 'expire' | 'unknown';

interface Settlement {
  outcome: Outcome;
  costMicrocents: bigint;
  holdMicrocents: bigint;
  remainingMicrocents?: bigint;
  usage?: NormalizedUsage;
  details?: Record<string, unknown>;
  breakdown?: unknown;
  startedAt: number;
  endedAt: number;
}

interface Ending {
  status?: number;
  errorCode?: string;
  clientGone: boolean;
}

export function writeCallSpans(tracer: Tracer, r: CallRecord, o: SpanOptions): void {
  const ending = endingOf(r);
  const settlement = settlementOf(r, ending);
  const ids = identity(r, o);
  const call = tracer.startSpan(
    `${OPERATION_NAMES[r.m.operation]} ${r.m.model}`,
    { kind: SpanKind.CLIENT, startTime: r.startedAt, attributes: { ...ids, ...callAttributes(r, o, ending, settlement) } },
    ROOT_CONTEXT,
  );
  const failed = ending.errorCode ?? (r.upstreamStatus !== undefined && r.upstreamStatus >= 400 ? String(r.upstreamStatus) : undefined);
  if (failed) call.setStatus({ code: SpanStatusCode.ERROR, message: failed });
  if (settlement) {
    tracer
      .startSpan(
        'spendguard.settlement',
        { kind: SpanKind.INTERNAL, startTime: settlement.startedAt, attributes: { ...ids, ...settlementAttributes(r, settlement) } },
        trace.setSpan(ROOT_CONTEXT, call),
      )
      .end(settlement.endedAt);
  }
  call.end(r.endedAt);
}

/** Who and what, on both spans, so either can be found alone. */
function identity(r: CallRecord, o: SpanOptions): Attributes {
  return {
    'spendguard.model': `${r.m.provider}:${r.m.model}`,
    'spendguard.agent_id': r.m.agentId,
    'spendguard.run_id': r.m.runId,
    'spendguard.request_id': r.requestId,
    ...(o.hosted ? { 'spendguard.tenant_id': r.tenantId } : {}),
  };
}

function callAttributes(r: CallRecord, o: SpanOptions, ending: Ending, settlement: Settlement | undefined): Attributes {
  const { m } = r;
  const names = PROVIDER_NAMES[m.provider];
  const upstream = o.upstreams[m.provider];
  const adapter = contentAdapter(m.provider);
  const prompt = adapter.prompt(m.operation, m.body);
  const answer = completionOf(r);
  const usage = settlement?.usage;
  const upstreamError = r.upstreamStatus !== undefined && r.upstreamStatus >= 400 ? providerErrorCode(r.answer) : undefined;
  const a: Attributes = {
    [GEN_AI.operationName]: OPERATION_NAMES[m.operation],
    [GEN_AI.providerName]: names.providerName,
    [GEN_AI.system]: names.system,
    [GEN_AI.requestModel]: m.model,
    [GEN_AI.requestStream]: m.stream,
    [GEN_AI.agentId]: m.agentId,
    [ATTR_SERVER_ADDRESS]: upstream.address,
    [ATTR_SERVER_PORT]: upstream.port,
    ...requestParameters(r),
    'spendguard.provider': m.provider,
    'spendguard.operation': m.upstreamOperation,
    'spendguard.stream': m.stream,
    'spendguard.prompt.sha384': sha384Hex(promptText(prompt)),
  };
  if (r.upstreamStatus !== undefined) a[ATTR_HTTP_RESPONSE_STATUS_CODE] = r.upstreamStatus;
  if (ending.status !== undefined) a['spendguard.status_code'] = ending.status;
  if (ending.clientGone) a['spendguard.client_disconnected'] = true;
  if (ending.errorCode) a['spendguard.error.code'] = ending.errorCode;
  if (upstreamError) a['spendguard.upstream.error_code'] = upstreamError;
  const errorType = upstreamError ?? (r.upstreamStatus !== undefined && r.upstreamStatus >= 400 ? String(r.upstreamStatus) : ending.errorCode);
  if (errorType) a[ATTR_ERROR_TYPE] = errorType;
  if (answer) {
    if (answer.responseModel) a[GEN_AI.responseModel] = answer.responseModel;
    if (answer.responseId) a[GEN_AI.responseId] = answer.responseId;
    if (answer.finishReasons.length > 0) a[GEN_AI.responseFinishReasons] = answer.finishReasons;
    a['spendguard.completion.sha384'] = answer.sha384;
  }
  if (usage) Object.assign(a, usageAttributes(usage));
  if (settlement?.outcome === 'settle' || settlement?.outcome === 'expire') a['spendguard.cost.microcents'] = Number(settlement.costMicrocents);
  if (settlement?.details?.basis) a['spendguard.usage.basis'] = String(settlement.details.basis);
  if (settlement?.details?.cut_short) a['spendguard.cut_short'] = String(settlement.details.cut_short);
  if (o.capture) Object.assign(a, capturedContent(prompt, answer));
  return a;
}

function settlementAttributes(r: CallRecord, s: Settlement): Attributes {
  const a: Attributes = {
    'spendguard.settlement.outcome': s.outcome,
    'spendguard.cost.microcents': Number(s.costMicrocents),
    'spendguard.cost.cents': microcentsToCentsCeil(s.costMicrocents),
    'spendguard.hold.microcents': Number(s.holdMicrocents),
    'spendguard.hold.cents': microcentsToCentsCeil(s.holdMicrocents),
    'spendguard.reservation_id': r.reserved!.reservation.id,
  };
  if (r.priceVersion) a['spendguard.price_version'] = r.priceVersion;
  if (s.costMicrocents > s.holdMicrocents) a['spendguard.overrun.microcents'] = Number(s.costMicrocents - s.holdMicrocents);
  if (s.remainingMicrocents !== undefined) a['spendguard.remaining.microcents'] = Number(s.remainingMicrocents);
  if (s.usage) {
    const tokens = usageAttributes(s.usage);
    a['spendguard.tokens_in'] = tokens['spendguard.tokens_in'];
    a['spendguard.tokens_out'] = tokens['spendguard.tokens_out'];
  }
  if (s.details?.basis) a['spendguard.usage.basis'] = String(s.details.basis);
  if (s.breakdown) a['spendguard.cost.breakdown'] = JSON.stringify(s.breakdown);
  return a;
}

/** Input counts every input token (cached and cache writes too), output counts reasoning: as the conventions ask. */
function usageAttributes(u: NormalizedUsage): Attributes {
  const input = totalInputTokens(u);
  const output = u.outputTokens + u.reasoningTokens;
  return {
    [GEN_AI.usageInputTokens]: input,
    [GEN_AI.usageOutputTokens]: output,
    [GEN_AI.usageCacheReadInputTokens]: u.cachedInputTokens + u.cacheReadTokens,
    [GEN_AI.usageCacheCreationInputTokens]: u.cacheWriteTokens,
    [GEN_AI.usageReasoningOutputTokens]: u.reasoningTokens,
    'spendguard.tokens_in': input,
    'spendguard.tokens_out': output,
  };
}

function requestParameters(r: CallRecord): Attributes {
  const body = r.m.body;
  const config = asObject(body.generationConfig);
  const a: Attributes = {};
  const temperature = body.temperature ?? config?.temperature;
  const topP = body.top_p ?? config?.topP;
  if (typeof temperature === 'number') a[GEN_AI.requestTemperature] = temperature;
  if (typeof topP === 'number') a[GEN_AI.requestTopP] = topP;
  if (r.reserved && r.m.operation !== 'embeddings') a[GEN_AI.requestMaxTokens] = r.reserved.capTokens;
  if (r.reserved && r.reserved.choices !== 1) a[GEN_AI.requestChoiceCount] = r.reserved.choices;
  return a;
}

type Completion = AnswerFacts & { sha384: string; text?: string };

/** The answer's first-choice text and facts: from the stream as it passed, or the whole answer. */
function completionOf(r: CallRecord): Completion | undefined {
  if (r.m.operation === 'embeddings') return undefined;
  if (r.stream) return r.stream.result();
  if (!r.answer || r.upstreamStatus === undefined || r.upstreamStatus >= 400) return undefined;
  let json;
  try {
    json = asObject(JSON.parse(r.answer.toString('utf8')));
  } catch {
    return undefined;
  }
  if (!json) return undefined;
  const answer = contentAdapter(r.m.provider).answer(r.m.operation, json);
  return { ...answer, sha384: sha384Hex(answer.text) };
}

/** The provider's own error code (OpenAI `error.code`/`type`, Anthropic `error.type`, Gemini `error.status`, xAI `code`). */
function providerErrorCode(bytes: Buffer | undefined): string | undefined {
  if (!bytes) return undefined;
  try {
    const body = asObject(JSON.parse(bytes.toString('utf8')));
    const error = asObject(body?.error);
    const code = str(error?.code) ?? str(error?.type) ?? str(error?.status) ?? str(body?.code);
    // A code is a short identifier; anything longer could be a message quoting the prompt.
    return code && /^[\w.-]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Raw content, only with capture on, in the conventions' message schemas (JSON strings on a span). */
function capturedContent(prompt: PromptContent, answer: Completion | undefined): Attributes {
  const cut = (text: string) => text.slice(0, MAX_CAPTURED_CHARS);
  const a: Attributes = {
    [GEN_AI.inputMessages]: JSON.stringify(prompt.messages.map((m) => ({ role: m.role, parts: [{ type: 'text', content: cut(m.text) }] }))),
  };
  if (prompt.system.length > 0) a[GEN_AI.systemInstructions] = JSON.stringify(prompt.system.map((t) => ({ type: 'text', content: cut(t) })));
  if (answer?.text !== undefined) {
    const message = { role: 'assistant', parts: [{ type: 'text', content: cut(answer.text) }], finish_reason: answer.finishReasons[0] ?? 'unknown' };
    a[GEN_AI.outputMessages] = JSON.stringify([message]);
  }
  return a;
}

function endingOf(r: CallRecord): Ending {
  if (r.error instanceof ClientGone) return { clientGone: true };
  if (r.error === undefined) return { status: r.status, clientGone: false };
  const res = toErrorResponse(r.error, r.requestId);
  return { status: res.status, errorCode: res.body.error.code, clientGone: false };
}

/**
 * How the hold ended. A settle is reported by the proxy; a hold that ended without one was
 * released (every other path releases), unless the ledger itself failed: then the hold may still
 * be open, and the sweeper will expire it.
 */
function settlementOf(r: CallRecord, ending: Ending): Settlement | undefined {
  if (!r.reserved) return undefined;
  const holdMicrocents = r.reserved.holdMicrocents;
  const s = r.settle;
  if (s) {
    // A hold found already closed had expired: charged in full.
    const expired = s.expired || s.finalized === null;
    return {
      outcome: expired ? 'expire' : 'settle',
      costMicrocents: s.finalized?.costMicrocents ?? holdMicrocents,
      holdMicrocents,
      remainingMicrocents: s.finalized?.remainingMicrocents,
      usage: s.usage,
      details: s.details,
      breakdown: expired ? undefined : s.breakdown,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
    };
  }
  const ledgerFailed = ending.errorCode === 'database_unavailable' || ending.errorCode === 'internal_error';
  return { outcome: ledgerFailed ? 'unknown' : 'release', costMicrocents: 0n, holdMicrocents, startedAt: r.endedAt, endedAt: r.endedAt };
}
