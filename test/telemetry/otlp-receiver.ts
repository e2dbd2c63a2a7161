// A small OTLP/HTTP traces receiver for tests: a node:http server taking `POST /v1/traces` with
// `application/json` (what @opentelemetry/exporter-trace-otlp-http sends), recording each request's
// headers and its spans, attributes decoded to plain values. It can also stop answering, to play
// a backend that hangs.
import { once } from 'node:events';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  status: { code?: number; message?: string };
  resource: Record<string, AttributeValue>;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpAnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}

function decode(value: OtlpAnyValue | undefined): AttributeValue {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
}

const attributesOf = (list: OtlpKeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, decode(kv.value)]));

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Requests that arrived and were never answered (while hanging). */
  pending = 0;
  private hanging = false;
  private readonly held: ServerResponse[] = [];
  private server?: Server;

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get tracesUrl(): string {
    return `${this.url}/v1/traces`;
  }

  get spans(): ReceivedSpan[] {
    return this.requests.flatMap((r) => r.spans);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  /** From now on, take requests and never answer them (a backend that hangs). */
  hang(): void {
    this.hanging = true;
  }

  /** Stops hanging, and answers the requests held so far (200), as a backend that recovered. */
  recover(): void {
    this.hanging = false;
    for (const res of this.held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    this.pending = 0;
  }

  /** Waits until `predicate` holds for the spans received so far. */
  async waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const until = Date.now() + timeoutMs;
    while (!predicate(this.spans)) {
      if (Date.now() > until) throw new Error(`the spans awaited did not arrive in ${timeoutMs} ms (got ${this.spans.length})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.spans;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.hanging) {
      this.pending += 1;
      this.held.push(res);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const spans: ReceivedSpan[] = [];
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributesOf(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            name: s.name,
            kind: s.kind,
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
            attributes: attributesOf(s.attributes),
            status: s.status ?? {},
            resource,
          });
        }
      }
    }
    this.requests.push({ path: req.url, headers: req.headers, spans });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}
