// A real HTTP server (node:http, no dependencies) that answers like OpenAI, xAI, Anthropic and
// Gemini, streaming included, for integration tests, the demo and the benchmark. It records what
// it received, counts concurrent calls (overall and per agent tag), and takes knobs that make
// an answer slow, failing, malformed, cut short or carrying exact usage. See README.md.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicError, anthropicMessage, anthropicStream } from './anthropic-wire';
import {
  agentMarker,
  BehaviorSpecError,
  DEFAULT_BEHAVIOR,
  markerPatch,
  mergeBehavior,
  parseBehaviorSpec,
  type FakeBehavior,
  type FakeBehaviorPatch,
  type FakeUsage,
} from './behavior';
import { geminiAnswer, geminiError, geminiStream } from './gemini-wire';
import { chatCompletion, chatStream, embeddingInputs, embeddingsAnswer, openAiError, responsesAnswer, responsesStream, xaiError } from './openai-wire';
import { asObject, breakFrame, requestedCap, textBytes, tokensFromBytes, type Json, type Reply, type StreamPlan } from './wire-common';

export type { FakeBehavior, FakeBehaviorPatch, FakeUsage } from './behavior';
export { parseBehaviorSpec } from './behavior';

export type FakeProviderName = 'openai' | 'xai' | 'anthropic' | 'gemini';
export type FakeRoute =
  | 'openai.chat'
  | 'openai.responses'
  | 'openai.embeddings'
  | 'anthropic.messages'
  | 'gemini.generateContent'
  | 'gemini.streamGenerateContent';

export interface RecordedRequest {
  /** 1, 2, 3… since the server started (not reset by reset()). */
  seq: number;
  method: string;
  /** The path without the query string. */
  path: string;
  /** The raw query string, without `?` ('' when none). */
  query: string;
  /** As Node gives them: names lower-cased. */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it did not parse; undefined when empty. */
  body: unknown;
  /** Arrival time, ms since the epoch. */
  time: number;
  /** 'unknown' for a path that matches no route. */
  route: FakeRoute | 'unknown';
  provider?: FakeProviderName;
  /** What came before the route's own path: '/v1', '/xai/v1', '', '/v1beta'… */
  prefix: string;
  model?: string;
  stream: boolean;
  /** The concurrency tag: `[[agent:<id>]]` in the body, else body.metadata.agent, else header x-fake-agent. */
  agent?: string;
  /** The credential found (bearer token, x-api-key, x-goog-api-key or ?key=). */
  apiKey?: string;
  /** The behavior the answer followed (defaults, then the queue, header and body markers). */
  behavior?: FakeBehavior;
  /** Status sent (0 when the connection was reset instead). */
  status?: number;
  /** The usage the answer reported (or would have, had it not been omitted or cut short). */
  usage?: FakeUsage;
  /** When the response ended or the connection closed, ms since the epoch. */
  finishedAt?: number;
  /** The client closed the connection before the answer was complete. */
  clientAborted: boolean;
  /** The fake closed it on purpose (resetConnection, disconnectAfterChunks). */
  serverAborted: boolean;
}

export interface FakeMatch {
  route?: FakeRoute;
  provider?: FakeProviderName;
  agent?: string;
  model?: string;
  stream?: boolean;
}

export interface FakeProviderOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Initial default behavior; reset() comes back to it. */
  behavior?: FakeBehaviorPatch;
  /** Keep at least this many recent requests in `received` (default 10,000; 0 records none). */
  recordLimit?: number;
  /** When set for a provider, its calls must carry exactly this key (else 401). */
  apiKeys?: Partial<Record<FakeProviderName, string>>;
  /**
   * Answer 400 like the real APIs when `model` is missing (OpenAI, xAI, Anthropic), or Anthropic's
   * `anthropic-version` header or `max_tokens` is missing. Default true.
   */
  strict?: boolean;
  /** Request bodies above this are answered 413 (default 32 MiB). */
  maxBodyBytes?: number;
}

export interface FakeBaseUrls {
  OPENAI_BASE_URL: string;
  XAI_BASE_URL: string;
  ANTHROPIC_BASE_URL: string;
  GEMINI_BASE_URL: string;
}

export interface FakeProvider {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The recorded requests, oldest first (the most recent `recordLimit` or more). */
  readonly received: readonly RecordedRequest[];
  /** Requests answered or in flight since start or the last reset(). */
  readonly requestCount: number;
  /** The current default behavior. */
  readonly behavior: Readonly<FakeBehavior>;
  /** Base URLs in each SDK's convention, for SpendGuard's env vars. */
  env(): FakeBaseUrls;
  /** Merges into the default behavior (`usage` field by field). */
  setBehavior(patch: FakeBehaviorPatch): void;
  /** The next request that matches (all of `match`'s fields, or the predicate) takes this behavior on top of the defaults. FIFO. */
  enqueue(patch: FakeBehaviorPatch, match?: FakeMatch | ((request: RecordedRequest) => boolean)): void;
  /** Enqueued behaviors not consumed yet. */
  queued(): number;
  /** Forgets recordings, counters (peaks restart from what is in flight now) and the queue; restores the initial behavior. */
  reset(): void;
  /** Requests in flight now, overall or with this agent tag. */
  inFlight(tag?: string): number;
  /** The most requests ever in flight at once since start or reset(), overall or with this agent tag. */
  peakConcurrency(tag?: string): number;
  /** Resolves once `count` requests have arrived since start or reset(). */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  close(): Promise<void>;
}

interface Counter {
  current: number;
  peak: number;
}

interface QueuedBehavior {
  patch: FakeBehaviorPatch;
  match?: FakeMatch | ((request: RecordedRequest) => boolean);
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  rec: RecordedRequest;
  body: Json;
  raw: string;
  closed: boolean;
}

const SSE_TYPE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const fake = new FakeProviderServer(options);
  await fake.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return fake;
}

class FakeProviderServer implements FakeProvider {
  private readonly server: Server;
  private readonly initialBehavior: FakeBehavior;
  private defaults: FakeBehavior;
  private readonly queue: QueuedBehavior[] = [];
  private records: RecordedRequest[] = [];
  private count = 0;
  private seq = 0;
  private readonly overall: Counter = { current: 0, peak: 0 };
  private tags = new Map<string, Counter>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly recordLimit: number;
  private readonly strict: boolean;
  private readonly maxBodyBytes: number;
  private readonly apiKeys: Partial<Record<FakeProviderName, string>>;
  url = '';
  port = 0;

  constructor(options: FakeProviderOptions) {
    this.initialBehavior = mergeBehavior(DEFAULT_BEHAVIOR, options.behavior);
    this.defaults = this.initialBehavior;
    this.recordLimit = options.recordLimit ?? 10_000;
    this.strict = options.strict ?? true;
    this.maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
    this.apiKeys = options.apiKeys ?? {};
    this.server = createServer({ noDelay: true, keepAlive: true }, (req, res) => this.onRequest(req, res));
    // Clients and proxies pool connections; do not drop an idle one before they do.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address() as AddressInfo;
        this.port = address.port;
        this.url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
        resolve();
      });
    });
  }

  get received(): readonly RecordedRequest[] {
    return this.records;
  }

  get requestCount(): number {
    return this.count;
  }

  get behavior(): Readonly<FakeBehavior> {
    return this.defaults;
  }

  env(): FakeBaseUrls {
    return {
      OPENAI_BASE_URL: `${this.url}/v1`,
      XAI_BASE_URL: `${this.url}/xai/v1`,
      ANTHROPIC_BASE_URL: this.url,
      GEMINI_BASE_URL: this.url,
    };
  }

  setBehavior(patch: FakeBehaviorPatch): void {
    this.defaults = mergeBehavior(this.defaults, patch);
  }

  enqueue(patch: FakeBehaviorPatch, match?: FakeMatch | ((request: RecordedRequest) => boolean)): void {
    this.queue.push({ patch, match });
  }

  queued(): number {
    return this.queue.length;
  }

  reset(): void {
    this.records = [];
    this.count = 0;
    this.queue.length = 0;
    this.defaults = this.initialBehavior;
    this.overall.peak = this.overall.current;
    for (const [tag, counter] of this.tags) {
      if (counter.current === 0) this.tags.delete(tag);
      else counter.peak = counter.current;
    }
  }

  inFlight(tag?: string): number {
    return tag === undefined ? this.overall.current : (this.tags.get(tag)?.current ?? 0);
  }

  peakConcurrency(tag?: string): number {
    return tag === undefined ? this.overall.peak : (this.tags.get(tag)?.peak ?? 0);
  }

  waitForRequests(count: number, timeoutMs = 5_000): Promise<readonly RecordedRequest[]> {
    if (this.count >= count) return Promise.resolve(this.records);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`fake provider: ${this.count} of ${count} requests arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.records);
        },
      };
      this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------ request handling

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const raw = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (path.startsWith('/_fake/')) this.control(req, res, path, query, raw);
      else this.handle(req, res, path, query, raw, tooLarge);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, path: string, query: string, raw: string, tooLarge: boolean): void {
    const route = matchRoute(path);
    let body: unknown;
    let parsed = true;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        parsed = false;
        body = raw;
      }
    }
    const obj = asObject(body);
    const model = route?.model ?? (typeof obj?.model === 'string' ? obj.model : undefined);
    const provider = route ? providerOf(route.route, route.prefix, model) : undefined;
    const metadataAgent = asObject(obj?.metadata)?.agent;
    const headerAgent = req.headers['x-fake-agent'];
    const rec: RecordedRequest = {
      seq: ++this.seq,
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      body,
      time: Date.now(),
      route: route?.route ?? 'unknown',
      provider,
      prefix: route?.prefix ?? '',
      model,
      stream: route ? isStream(route.route, obj) : false,
      agent: agentMarker(raw) ?? (typeof metadataAgent === 'string' ? metadataAgent : undefined) ?? (typeof headerAgent === 'string' ? headerAgent : undefined),
      apiKey: provider ? credentialOf(provider, req.headers, query) : undefined,
      clientAborted: false,
      serverAborted: false,
    };
    const call: Call = { req, res, rec, body: obj ?? {}, raw, closed: false };
    this.track(call);

    if (!route || req.method !== 'POST') {
      return this.fail(call, 404, `fake provider: no route for ${req.method ?? 'GET'} ${path}`);
    }
    if (tooLarge) return this.fail(call, 413, `fake provider: request body above ${this.maxBodyBytes} bytes`);
    const authProblem = this.authProblem(rec);
    if (authProblem) return this.fail(call, 401, authProblem);
    if (!parsed || !obj) return this.fail(call, 400, 'fake provider: the body is not a JSON object');
    const invalid = this.strict ? validate(route.route, obj, req.headers) : undefined;
    if (invalid) return this.fail(call, 400, invalid);

    let behavior: FakeBehavior;
    try {
      behavior = this.resolveBehavior(call);
    } catch (error) {
      if (error instanceof BehaviorSpecError) return this.fail(call, 400, error.message);
      throw error;
    }
    rec.behavior = behavior;
    if (behavior.latencyMs > 0) this.later(behavior.latencyMs, () => this.answer(call, behavior));
    else this.answer(call, behavior);
  }

  private track(call: Call): void {
    const { rec, res } = call;
    this.count++;
    if (this.recordLimit > 0) {
      this.records.push(rec);
      if (this.records.length > this.recordLimit + Math.max(100, this.recordLimit >> 1)) this.records.splice(0, this.records.length - this.recordLimit);
    }
    const overall = this.overall;
    if (++overall.current > overall.peak) overall.peak = overall.current;
    let tagged: Counter | undefined;
    if (rec.agent !== undefined) {
      tagged = this.tags.get(rec.agent);
      if (!tagged) this.tags.set(rec.agent, (tagged = { current: 0, peak: 0 }));
      if (++tagged.current > tagged.peak) tagged.peak = tagged.current;
    }
    res.once('close', () => {
      call.closed = true;
      overall.current--;
      if (tagged) tagged.current--;
      rec.finishedAt = Date.now();
      if (!res.writableFinished && !rec.serverAborted) rec.clientAborted = true;
    });
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.count <= this.count);
      if (ready.length > 0) {
        this.waiters = this.waiters.filter((w) => w.count > this.count);
        for (const waiter of ready) waiter.resolve();
      }
    }
  }

  private resolveBehavior(call: Call): FakeBehavior {
    let behavior = this.defaults;
    if (this.queue.length > 0) {
      const at = this.queue.findIndex((entry) => matches(entry.match, call.rec));
      if (at >= 0) behavior = mergeBehavior(behavior, this.queue.splice(at, 1)[0].patch);
    }
    const header = call.req.headers['x-fake-behavior'];
    if (typeof header === 'string') behavior = mergeBehavior(behavior, parseBehaviorSpec(header));
    const marker = markerPatch(call.raw);
    if (marker) behavior = mergeBehavior(behavior, marker);
    return behavior;
  }

  private authProblem(rec: RecordedRequest): string | undefined {
    const provider = rec.provider as FakeProviderName;
    if (!rec.apiKey) {
      switch (provider) {
        case 'anthropic':
          return 'x-api-key header is required';
        case 'gemini':
          return 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.';
        default:
          return "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
      }
    }
    const expected = this.apiKeys[provider];
    if (expected !== undefined && rec.apiKey !== expected) {
      return provider === 'anthropic' ? 'invalid x-api-key' : provider === 'gemini' ? 'API key not valid. Please pass a valid API key.' : 'Incorrect API key provided.';
    }
    return undefined;
  }

  private answer(call: Call, b: FakeBehavior): void {
    const { req, res, rec } = call;
    if (call.closed) return;
    if (b.resetConnection) {
      rec.status = 0;
      rec.serverAborted = true;
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    if (b.status >= 400) return this.fail(call, b.status, b.errorMessage ?? defaultErrorMessage(b.status), b.errorType, b.headers);

    const reply = this.reply(call, b);
    rec.usage = reply.usage;
    rec.status = b.status;
    const route = rec.route as FakeRoute;
    if (rec.stream) {
      const jsonArray = route === 'gemini.streamGenerateContent' && !isSse(rec.query);
      return this.sendStream(call, b, this.plan(route, reply, rec.query), jsonArray, reply.eventEnd);
    }
    let answer: Json;
    switch (route) {
      case 'openai.chat':
        answer = chatCompletion(reply);
        break;
      case 'openai.responses':
        answer = responsesAnswer(reply);
        break;
      case 'openai.embeddings':
        answer = embeddingsAnswer(reply);
        break;
      case 'anthropic.messages':
        answer = anthropicMessage(reply);
        break;
      default:
        answer = geminiAnswer(reply);
    }
    this.sendBody(call, b, JSON.stringify(answer));
  }

  private reply(call: Call, b: FakeBehavior): Reply {
    const { rec, body } = call;
    const route = rec.route as FakeRoute;
    const u = b.usage;
    const cap = requestedCap(body);
    const output = u.output ?? (route === 'openai.embeddings' ? 0 : Math.min(cap ?? Infinity, b.defaultOutputTokens));
    const reasoning = u.reasoning ?? 0;
    const usage: FakeUsage = {
      input: u.input ?? defaultInputTokens(route, body),
      output,
      cachedInput: u.cachedInput ?? 0,
      cacheWrite: u.cacheWrite ?? 0,
      cacheRead: u.cacheRead ?? 0,
      reasoning,
    };
    return {
      seq: rec.seq,
      model: rec.model ?? 'unknown',
      created: Math.floor(rec.time / 1000),
      usage,
      omitUsage: b.omitUsage,
      capped: cap !== undefined && output + reasoning >= cap,
      tokensPerChunk: b.tokensPerChunk,
      webSearchCalls: b.webSearchCalls,
      groundingQueries: b.groundingQueries,
      reasoningInCompletion: b.reasoningInCompletion,
      eventEnd: (b.sseCrlf ?? rec.provider === 'gemini') ? '\r\n\r\n' : '\n\n',
      request: body,
    };
  }

  private plan(route: FakeRoute, reply: Reply, query: string): StreamPlan {
    switch (route) {
      case 'openai.chat':
        return chatStream(reply);
      case 'openai.responses':
        return responsesStream(reply);
      case 'anthropic.messages':
        return anthropicStream(reply);
      default:
        return geminiStream(reply, isSse(query));
    }
  }

  private headersFor(rec: RecordedRequest, contentType: string, extra: Record<string, string> | undefined): Record<string, string | number> {
    const headers: Record<string, string | number> = { 'content-type': contentType };
    if (rec.provider === 'anthropic') headers['request-id'] = `req_fake${rec.seq}`;
    else if (rec.provider !== 'gemini') headers['x-request-id'] = `req_fake${rec.seq}`;
    if (extra) Object.assign(headers, extra);
    return headers;
  }

  private fail(call: Call, status: number, message: string, type?: string, extra?: Record<string, string>): void {
    const { rec, res } = call;
    if (call.closed) return;
    rec.status = status;
    const requestId = `req_fake${rec.seq}`;
    let text: string;
    switch (rec.provider) {
      case 'anthropic':
        text = anthropicError(status, message, type, requestId);
        break;
      case 'gemini':
        text = geminiError(status, message, type);
        break;
      case 'xai':
        text = xaiError(status, message, type);
        break;
      default:
        text = openAiError(status, message, type);
    }
    const headers = this.headersFor(rec, JSON_TYPE, extra);
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(status, headers);
    res.end(text);
  }

  /** A JSON answer. Stalls and disconnects split it in two halves. */
  private sendBody(call: Call, b: FakeBehavior, json: string): void {
    const { rec, res } = call;
    const text = b.malformedJson ? json.slice(0, Math.floor(json.length / 2)) : json;
    const headers = this.headersFor(rec, JSON_TYPE, b.headers);
    headers['content-length'] = Buffer.byteLength(text);
    res.writeHead(200, headers);
    if (b.disconnectAfterChunks === undefined && b.stallMs === 0) {
      res.end(text);
      return;
    }
    const half = Math.floor(text.length / 2);
    if (b.disconnectAfterChunks !== undefined) {
      if (b.disconnectAfterChunks > 0) res.write(text.slice(0, half));
      else res.flushHeaders();
      rec.serverAborted = true;
      // Let the bytes reach the socket before it goes.
      setImmediate(() => res.destroy());
      return;
    }
    res.write(text.slice(0, half));
    this.later(b.stallMs, () => {
      if (!call.closed) res.end(text.slice(half));
    });
  }

  private sendStream(call: Call, b: FakeBehavior, plan: StreamPlan, jsonArray: boolean, eventEnd: string): void {
    const { rec, res } = call;
    if (b.malformedJson && plan.frames.length > 0) {
      const frame = plan.frames[plan.firstDelta];
      plan.frames[plan.firstDelta] = jsonArray ? frame.slice(0, Math.ceil(frame.length / 2)) : breakFrame(frame, eventEnd);
    }
    res.writeHead(200, this.headersFor(rec, jsonArray ? 'application/json; charset=UTF-8' : SSE_TYPE, b.headers));
    if (b.chunkDelayMs === 0 && b.stallMs === 0 && b.disconnectAfterChunks === undefined && b.errorAfterChunks === undefined) {
      res.end(plan.frames.join('') + plan.trailer);
      return;
    }
    // As the real APIs do, the status line and headers leave before the first event.
    res.flushHeaders();
    void this.pump(call, b, plan);
  }

  private async pump(call: Call, b: FakeBehavior, plan: StreamPlan): Promise<void> {
    const { rec, res } = call;
    const frames = plan.frames;
    for (let i = 0; i <= frames.length; i++) {
      if (i === b.disconnectAfterChunks) {
        rec.serverAborted = true;
        setImmediate(() => res.destroy());
        return;
      }
      if (i === b.errorAfterChunks) {
        res.end(plan.errorFrame(i));
        return;
      }
      if (i === frames.length) break;
      if (i > 0 && b.chunkDelayMs > 0) await this.sleep(b.chunkDelayMs);
      if (i === b.stallAfterChunks && b.stallMs > 0) await this.sleep(b.stallMs);
      if (call.closed) return;
      res.write(frames[i]);
    }
    res.end(plan.trailer);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  // ------------------------------------------------------------------ control API (/_fake/…)

  private control(req: IncomingMessage, res: ServerResponse, path: string, query: string, raw: string): void {
    const send = (status: number, value: unknown) => {
      const text = JSON.stringify(value ?? null);
      res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const body = raw === '' ? {} : (JSON.parse(raw) as Json);
      const route = `${req.method ?? 'GET'} ${path}`;
      switch (route) {
        case 'GET /_fake/health':
          return send(200, { ok: true });
        case 'GET /_fake/stats': {
          const tags: Record<string, { inFlight: number; peakConcurrency: number }> = {};
          for (const [tag, counter] of this.tags) tags[tag] = { inFlight: counter.current, peakConcurrency: counter.peak };
          return send(200, { requests: this.count, inFlight: this.overall.current, peakConcurrency: this.overall.peak, queued: this.queue.length, tags });
        }
        case 'GET /_fake/received': {
          const last = Number(new URLSearchParams(query).get('last') ?? '100');
          return send(200, this.records.slice(-Math.max(0, last)));
        }
        case 'GET /_fake/behavior':
          return send(200, this.defaults);
        case 'POST /_fake/behavior':
          this.setBehavior(body as FakeBehaviorPatch);
          return send(200, this.defaults);
        case 'POST /_fake/enqueue':
          this.enqueue((body.behavior ?? {}) as FakeBehaviorPatch, asObject(body.match) as FakeMatch | undefined);
          return send(200, { queued: this.queue.length });
        case 'POST /_fake/reset':
          this.reset();
          return send(200, { ok: true });
        default:
          return send(404, { error: `fake provider: no control route ${route}` });
      }
    } catch (error) {
      return send(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

// ------------------------------------------------------------------ routing helpers

interface RouteMatch {
  route: FakeRoute;
  prefix: string;
  model?: string;
}

const GEMINI_PATH = /^(.*)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/**
 * Matches on the end of the path, so any base URL convention works: `/v1/chat/completions`,
 * `/xai/v1/chat/completions`, `/chat/completions`, `/v1/messages`, `/v1beta/models/m:generateContent`.
 */
function matchRoute(path: string): RouteMatch | undefined {
  if (path.endsWith('/chat/completions')) return { route: 'openai.chat', prefix: path.slice(0, -'/chat/completions'.length) };
  if (path.endsWith('/responses')) return { route: 'openai.responses', prefix: path.slice(0, -'/responses'.length) };
  if (path.endsWith('/embeddings')) return { route: 'openai.embeddings', prefix: path.slice(0, -'/embeddings'.length) };
  if (path.endsWith('/messages')) return { route: 'anthropic.messages', prefix: path.slice(0, -'/messages'.length) };
  const gemini = GEMINI_PATH.exec(path);
  if (gemini) {
    let model = gemini[2];
    try {
      model = decodeURIComponent(model);
    } catch {
      // keep it as sent
    }
    return { route: gemini[3] === 'generateContent' ? 'gemini.generateContent' : 'gemini.streamGenerateContent', prefix: gemini[1], model };
  }
  return undefined;
}

/** OpenAI-format routes are xAI when the prefix names it (`/xai/v1`, `/grok/v1`) or the model is a Grok. */
function providerOf(route: FakeRoute, prefix: string, model: string | undefined): FakeProviderName {
  if (route === 'anthropic.messages') return 'anthropic';
  if (route === 'gemini.generateContent' || route === 'gemini.streamGenerateContent') return 'gemini';
  if (/\/(xai|grok)(\/|$)/i.test(prefix) || model?.startsWith('grok')) return 'xai';
  return 'openai';
}

function isStream(route: FakeRoute, body: Json | undefined): boolean {
  if (route === 'gemini.streamGenerateContent') return true;
  if (route === 'gemini.generateContent' || route === 'openai.embeddings') return false;
  return body?.stream === true;
}

function isSse(query: string): boolean {
  return query !== '' && new URLSearchParams(query).get('alt') === 'sse';
}

function credentialOf(provider: FakeProviderName, headers: IncomingHttpHeaders, query: string): string | undefined {
  const bearer = bearerOf(headers.authorization);
  if (provider === 'anthropic') return nonEmpty(headers['x-api-key']) ?? bearer;
  if (provider === 'gemini') return nonEmpty(headers['x-goog-api-key']) ?? (query === '' ? undefined : nonEmpty(new URLSearchParams(query).get('key') ?? undefined)) ?? bearer;
  return bearer;
}

function bearerOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)/i.exec(value);
  return match ? match[1] : undefined;
}

function nonEmpty(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && v.trim() !== '' ? v : undefined;
}

/** The few checks the real APIs make that a proxy could plausibly break. */
function validate(route: FakeRoute, body: Json, headers: IncomingHttpHeaders): string | undefined {
  if (route.startsWith('openai.') && (typeof body.model !== 'string' || body.model === '')) return 'you must provide a model parameter';
  if (route === 'openai.embeddings' && body.input === undefined) return "Missing required parameter: 'input'.";
  if (route === 'anthropic.messages') {
    if (!headers['anthropic-version']) return 'anthropic-version: header is required';
    if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
    if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
    if (!Array.isArray(body.messages)) return 'messages: Field required';
  }
  if (route.startsWith('gemini.') && body.contents === undefined) return '* GenerateContentRequest.contents: contents is not specified';
  return undefined;
}

function matches(match: QueuedBehavior['match'], rec: RecordedRequest): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(rec);
  return (
    (match.route === undefined || match.route === rec.route) &&
    (match.provider === undefined || match.provider === rec.provider) &&
    (match.agent === undefined || match.agent === rec.agent) &&
    (match.model === undefined || match.model === rec.model) &&
    (match.stream === undefined || match.stream === rec.stream)
  );
}

/** Input tokens when not given: UTF-8 bytes of the prompt text / 4, at least 1 (per input for embeddings). */
function defaultInputTokens(route: FakeRoute, body: Json): number {
  switch (route) {
    case 'openai.chat':
      return tokensFromBytes(textBytes(body.messages));
    case 'openai.responses':
      return tokensFromBytes(textBytes(body.instructions) + textBytes(body.input));
    case 'anthropic.messages':
      return tokensFromBytes(textBytes(body.system) + textBytes(body.messages));
    case 'openai.embeddings': {
      let tokens = 0;
      for (const input of embeddingInputs(body.input)) {
        tokens += Array.isArray(input) && typeof input[0] === 'number' ? input.length : tokensFromBytes(textBytes(input));
      }
      return Math.max(1, tokens);
    }
    default:
      return tokensFromBytes(textBytes(body.systemInstruction ?? body.system_instruction) + textBytes(body.contents));
  }
}

function defaultErrorMessage(status: number): string {
  if (status === 429) return 'Rate limit reached (fake provider).';
  if (status === 529) return 'Overloaded';
  if (status >= 500) return 'The server had an error while processing your request (fake provider).';
  return `Fake provider error ${status}.`;
}
