// The fake provider's knobs: what one answer should look like (usage, errors, timing, stream
// faults), how a test sets them (defaults, a queue, or a marker inside the request body) and how
// they combine. Markers live in the body because the SpendGuard proxy forwards the body unchanged
// but not arbitrary headers.

/**
 * What the fake reports, in the same sense as SpendGuard's NormalizedUsage so that a test can
 * assert an exact cost: each token is counted in exactly one field.
 * - `input`: input billed at the full rate (uncached, not a cache write or read).
 * - `cachedInput`: automatic prompt-cache hits (OpenAI, xAI, Gemini); ignored by Anthropic.
 * - `cacheWrite` / `cacheRead`: Anthropic explicit cache; ignored by the others.
 * - `output`: visible output tokens (the answer text holds exactly this many `tok ` words).
 * - `reasoning`: hidden reasoning / thinking tokens.
 */
export interface FakeUsage {
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  cacheRead: number;
  reasoning: number;
}

export interface FakeBehavior {
  /** Wait this long before sending the status line and headers. */
  latencyMs: number;
  /** 200 answers normally; 4xx/5xx answers the provider's error body with this status. */
  status: number;
  /** Message (and provider error type/code) of the error body, for status >= 400. */
  errorMessage?: string;
  errorType?: string;
  /** Extra response headers (e.g. `retry-after` on a 429). */
  headers?: Record<string, string>;
  /** Non-streaming: a truncated JSON body. Streaming: the first text event carries broken JSON. */
  malformedJson: boolean;
  /** Reset the TCP connection instead of answering (after latencyMs). */
  resetConnection: boolean;
  /** Pause this long mid-answer: after `stallAfterChunks` stream events (non-streaming: after half the body). */
  stallMs: number;
  stallAfterChunks: number;
  /** Destroy the connection after this many stream events (non-streaming: after half the body). */
  disconnectAfterChunks?: number;
  /** After this many stream events, send the provider's in-stream error event and end the stream. */
  errorAfterChunks?: number;
  /** Leave every usage field out of the answer (and out of every stream event). */
  omitUsage: boolean;
  /** Delay between stream events. */
  chunkDelayMs: number;
  /** Output tokens carried by each text delta event. */
  tokensPerChunk: number;
  /** Output tokens when `usage.output` is not set: min(this, the request's output cap). */
  defaultOutputTokens: number;
  /** Exact usage to report; fields left out are computed from the request. */
  usage: Partial<FakeUsage>;
  /** Responses API: this many `web_search_call` output items; Anthropic: usage.server_tool_use.web_search_requests. */
  webSearchCalls: number;
  /** Gemini: this many `groundingMetadata.webSearchQueries`. */
  groundingQueries: number;
  /**
   * OpenAI-format usage: reasoning counted inside completion/output tokens (OpenAI, newer Grok).
   * false reports it beside them, as grok-3-mini did (total = prompt + completion + reasoning).
   */
  reasoningInCompletion: boolean;
  /** SSE events end in `\r\n\r\n` instead of `\n\n`. Unset: Gemini true, others false. */
  sseCrlf?: boolean;
}

/** A partial behavior; `usage` merges field by field. */
export type FakeBehaviorPatch = Partial<Omit<FakeBehavior, 'usage'>> & { usage?: Partial<FakeUsage> };

export const DEFAULT_BEHAVIOR: Readonly<FakeBehavior> = Object.freeze({
  latencyMs: 0,
  status: 200,
  malformedJson: false,
  resetConnection: false,
  stallMs: 0,
  stallAfterChunks: 1,
  omitUsage: false,
  chunkDelayMs: 0,
  tokensPerChunk: 1,
  defaultOutputTokens: 20,
  usage: Object.freeze({}),
  webSearchCalls: 0,
  groundingQueries: 0,
  reasoningInCompletion: true,
});

export function mergeBehavior(base: FakeBehavior, patch: FakeBehaviorPatch | undefined): FakeBehavior {
  if (!patch) return base;
  const merged: FakeBehavior = { ...base, ...(patch as Partial<FakeBehavior>) };
  merged.usage = patch.usage ? { ...base.usage, ...patch.usage } : base.usage;
  if (patch.headers) merged.headers = { ...base.headers, ...patch.headers };
  return merged;
}

const NUMBER_KEYS = new Set([
  'latencyMs',
  'status',
  'stallMs',
  'stallAfterChunks',
  'disconnectAfterChunks',
  'errorAfterChunks',
  'chunkDelayMs',
  'tokensPerChunk',
  'defaultOutputTokens',
  'webSearchCalls',
  'groundingQueries',
]);
const BOOLEAN_KEYS = new Set(['malformedJson', 'resetConnection', 'omitUsage', 'reasoningInCompletion', 'sseCrlf']);
const STRING_KEYS = new Set(['errorMessage', 'errorType']);
const USAGE_KEYS = new Set(['input', 'output', 'cachedInput', 'cacheWrite', 'cacheRead', 'reasoning']);

export class BehaviorSpecError extends Error {}

/**
 * Parses `key=value` pairs separated by commas, semicolons or spaces, as used by the
 * `[[fake:…]]` marker, the `x-fake-behavior` header and the CLI. A bare key means `true`;
 * usage fields (`input`, `output`, `cachedInput`, `cacheWrite`, `cacheRead`, `reasoning`) may be
 * given directly. An unknown key or a bad value throws, so a typo never passes silently.
 */
export function parseBehaviorSpec(spec: string): FakeBehaviorPatch {
  const patch: FakeBehaviorPatch = {};
  const target = patch as Record<string, unknown>;
  for (const pair of spec.split(/[,;\s]+/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? undefined : pair.slice(eq + 1);
    if (USAGE_KEYS.has(key)) {
      (patch.usage ??= {})[key as keyof FakeUsage] = toCount(key, value);
    } else if (NUMBER_KEYS.has(key)) {
      target[key] = toCount(key, value);
    } else if (BOOLEAN_KEYS.has(key)) {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new BehaviorSpecError(`fake provider: ${key} takes true or false, got "${value}"`);
      target[key] = value !== 'false';
    } else if (STRING_KEYS.has(key)) {
      if (value === undefined) throw new BehaviorSpecError(`fake provider: ${key} needs a value`);
      target[key] = decodeURIComponent(value);
    } else {
      throw new BehaviorSpecError(`fake provider: unknown behavior key "${key}"`);
    }
  }
  return patch;
}

function toCount(key: string, value: string | undefined): number {
  const n = value === undefined ? NaN : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new BehaviorSpecError(`fake provider: ${key} takes a non-negative integer, got "${value ?? ''}"`);
  return n;
}

const FAKE_MARKER = '[[fake:';
const AGENT_MARKER = '[[agent:';

/** Every `[[fake:…]]` marker in the raw body, merged in order (later wins); undefined if none. */
export function markerPatch(rawBody: string): FakeBehaviorPatch | undefined {
  let at = rawBody.indexOf(FAKE_MARKER);
  if (at < 0) return undefined;
  let patch: FakeBehaviorPatch | undefined;
  while (at >= 0) {
    const end = rawBody.indexOf(']]', at);
    if (end < 0) break;
    const next = parseBehaviorSpec(rawBody.slice(at + FAKE_MARKER.length, end));
    patch = patch ? { ...patch, ...next, usage: { ...patch.usage, ...next.usage } } : next;
    at = rawBody.indexOf(FAKE_MARKER, end);
  }
  return patch;
}

/** The first `[[agent:<id>]]` marker in the raw body. */
export function agentMarker(rawBody: string): string | undefined {
  const at = rawBody.indexOf(AGENT_MARKER);
  if (at < 0) return undefined;
  const end = rawBody.indexOf(']]', at);
  if (end < 0) return undefined;
  const id = rawBody.slice(at + AGENT_MARKER.length, end).trim();
  return id === '' ? undefined : id;
}
