// From an HTTP request on one of the metered routes to a MeteredRequest: which agent, run,
// provider, operation and model; or a clear 400/404 before anything is reserved.
import { ApiError } from '../common/errors/api-error';
import { SEED_DETAIL } from '../common/errors/seed-details';
import { RUN_ID_RE } from '../common/http/ids';
import { MeteredOperation } from '../pricing/estimator';
import { isProvider, Provider } from '../pricing/price-card';
import { isSeedGeminiBody } from '../providers/gemini.seed';
import { Json, MeteredRequest, UpstreamOperation } from './metered-request';
import { newRunId } from './proxy.service';

type Headers = Record<string, string | string[] | undefined>;

const OPERATIONS: Record<Provider, UpstreamOperation[]> = {
  openai: ['chat.completions', 'responses', 'embeddings'],
  grok: ['chat.completions', 'responses', 'embeddings'],
  anthropic: ['messages'],
  gemini: ['generateContent', 'streamGenerateContent'],
};

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (Array.isArray(v)) throw new ApiError('validation_failed', `send the ${name} header once`);
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Deeper bodies are refused before anything is reserved: no provider request nests this far, and
 * re-serialising one that does would exhaust the stack (JSON.parse takes far deeper documents
 * than JSON.stringify can write back).
 */
export const MAX_BODY_DEPTH = 256;

function objectBody(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('validation_failed', 'the request body must be a JSON object', {}, {}, SEED_DETAIL.invalidBody);
  }
  if (depthExceeds(body, MAX_BODY_DEPTH)) {
    throw new ApiError('validation_failed', `the request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  return body as Json;
}

/** Whether a parsed JSON value nests deeper than `max` (iteratively: any depth is safe to ask about). */
function depthExceeds(root: object, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(value) ? value : Object.values(value as object);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

function runIdFrom(value: string | undefined): string {
  if (value === undefined) return newRunId();
  if (!RUN_ID_RE.test(value)) throw new ApiError('validation_failed', 'run ids are 1-128 characters of A-Z a-z 0-9 . _ : -');
  return value;
}

function clampFrom(headers: Headers): boolean {
  const v = header(headers, 'x-cynsta-clamp')?.toLowerCase();
  if (v === undefined || v === 'on') return true;
  if (v === 'off') return false;
  throw new ApiError('validation_failed', "x-cynsta-clamp is 'on' (default: shrink the output cap to the budget) or 'off' (402 instead)");
}

function modelFrom(body: Json): string {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) {
    throw new ApiError('validation_failed', 'the request body needs a "model" string', {}, {}, SEED_DETAIL.modelRequired);
  }
  return model;
}

/** The seed refused a temperature that is not a number before anything was held; so do we. */
function checkTemperature(body: Json): void {
  const t = body.temperature ?? (body.generationConfig as Json | undefined)?.temperature;
  if (t !== undefined && t !== null && typeof t !== 'number') {
    throw new ApiError('validation_failed', 'temperature must be a number', {}, {}, SEED_DETAIL.temperature);
  }
}

export function buildMeteredRequest(input: {
  agentId: string;
  runId?: string;
  provider: Provider;
  upstreamOperation: UpstreamOperation;
  model?: string;
  body: unknown;
  headers: Headers;
  /** An explicit run route (the seed's), rather than a header-routed drop-in for an SDK. */
  explicitRoute?: boolean;
}): MeteredRequest {
  if (!OPERATIONS[input.provider].includes(input.upstreamOperation)) {
    throw new ApiError('route_not_found', `${input.provider} has no ${input.upstreamOperation} route`);
  }
  const body = objectBody(input.body);
  const model = input.model ?? modelFrom(body);
  checkTemperature(body);
  const operation: MeteredOperation = input.upstreamOperation === 'streamGenerateContent' ? 'generateContent' : input.upstreamOperation;
  const stream = input.upstreamOperation === 'streamGenerateContent' || (operation !== 'generateContent' && body.stream === true);
  if (operation === 'embeddings' && body.stream === true) throw new ApiError('validation_failed', 'embeddings do not stream');
  return {
    agentId: input.agentId,
    runId: runIdFrom(input.runId),
    provider: input.provider,
    operation,
    upstreamOperation: input.upstreamOperation,
    model,
    body,
    stream,
    seedGemini: input.provider === 'gemini' && isSeedGeminiBody(body),
    seedAnthropic: input.explicitRoute === true && input.provider === 'anthropic' && !stream,
    clamp: clampFrom(input.headers),
    clientHeaders: input.headers,
  };
}

/** The agent of a header-routed call (x-cynsta-agent-id), 400 when missing (the seed's rule). */
export function agentFromHeader(headers: Headers): string {
  const agent = header(headers, 'x-cynsta-agent-id');
  if (!agent) throw new ApiError('missing_agent_header', 'the x-cynsta-agent-id header is required: the agent whose budget pays');
  return agent;
}

export function runFromHeader(headers: Headers): string | undefined {
  return header(headers, 'x-cynsta-run-id');
}

/**
 * OpenAI-format header routes serve OpenAI and xAI: `x-cynsta-provider: grok`, or a model that
 * only xAI's price card knows, goes to xAI.
 */
export function openAiFamilyProvider(headers: Headers, model: unknown, pricedUnder: (p: Provider, model: string) => boolean): Provider {
  const chosen = header(headers, 'x-cynsta-provider')?.toLowerCase();
  if (chosen !== undefined) {
    if (chosen === 'openai' || chosen === 'grok' || chosen === 'xai') return chosen === 'openai' ? 'openai' : 'grok';
    throw new ApiError('validation_failed', "x-cynsta-provider is 'openai' or 'grok' on this route");
  }
  if (typeof model === 'string' && !pricedUnder('openai', model) && pricedUnder('grok', model)) return 'grok';
  return 'openai';
}

export function explicitProvider(value: string): Provider {
  const v = value === 'xai' ? 'grok' : value;
  if (!isProvider(v)) throw new ApiError('route_not_found', `unknown provider '${value}': openai, grok, anthropic or gemini`);
  return v;
}

/** `gemini-2.5-flash:streamGenerateContent` → model and action. */
export function geminiModelAction(modelAction: string): { model: string; operation: UpstreamOperation } {
  const at = modelAction.lastIndexOf(':');
  const model = at > 0 ? modelAction.slice(0, at) : '';
  const action = modelAction.slice(at + 1);
  if (!model || (action !== 'generateContent' && action !== 'streamGenerateContent')) {
    throw new ApiError('route_not_found', 'use /v1beta/models/{model}:generateContent or :streamGenerateContent');
  }
  return { model, operation: action };
}
