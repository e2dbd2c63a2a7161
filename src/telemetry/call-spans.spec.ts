import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { emptyUsage } from '../pricing/usage';
import { ClientGone } from '../proxy/call-scope';
import type { MeteredRequest } from '../proxy/metered-request';
import type { Reserved } from '../proxy/output-reservation';
import { CallRecord, MAX_CAPTURED_CHARS } from './call-record';
import { SpanOptions, writeCallSpans } from './call-spans';

const m: MeteredRequest = {
  agentId: 'agent-1',
  runId: 'run-1',
  provider: 'openai',
  operation: 'chat.completions',
  upstreamOperation: 'chat.completions',
  model: 'gpt-4o-mini',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] },
  stream: false,
  seedGemini: false,
  seedAnthropic: false,
  clamp: true,
  clientHeaders: {},
};
const reserved = { reservation: { id: 'res-1' }, holdMicrocents: 50_000n, capTokens: 100, choices: 1, remainingMicrocents: 0n, concurrency: 'exclusive' } as unknown as Reserved;
const upstream = { address: 'api.openai.com', port: 443 };
const options = (o: Partial<SpanOptions> = {}): SpanOptions => ({
  capture: false,
  hosted: false,
  upstreams: { openai: upstream, grok: upstream, anthropic: upstream, gemini: upstream },
  ...o,
});
const answer = (text: string) => Buffer.from(JSON.stringify({ id: 'c-1', model: 'gpt-4o-mini', choices: [{ index: 0, message: { content: text }, finish_reason: 'stop' }] }));

/** Runs a call through a record (as the proxy reports it) and returns its exported spans' attributes by name. */
async function spansOf(report: (r: CallRecord) => void, end: { error?: unknown; status?: number } = {}, o: Partial<SpanOptions> = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const record = new CallRecord(m, 'tenant-1', 'req-1', o.capture ?? false, (r) => writeCallSpans(tracer, r, options(o)));
  report(record);
  record.end(end.error, end.status ?? 200);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  return { call: spans.find((s) => s.name === 'chat gpt-4o-mini')!, settlement: spans.find((s) => s.name === 'spendguard.settlement') };
}

const settled = (r: CallRecord, over: Partial<Parameters<CallRecord['settled']>[0]> = {}) =>
  r.settled({
    expired: false,
    costMicrocents: 18_000n,
    usage: { ...emptyUsage(), inputTokens: 1000, outputTokens: 50 },
    finalized: { agentId: 'agent-1', holdMicrocents: 50_000n, costMicrocents: 18_000n, remainingMicrocents: 999_982_000n },
    startedAt: performance.now(),
    ...over,
  });

describe('the spans of a call', () => {
  it('names the tenant in hosted mode only', async () => {
    const report = (r: CallRecord) => r.held(reserved, 'v1');
    expect((await spansOf(report)).call.attributes['spendguard.tenant_id']).toBeUndefined();
    const hosted = await spansOf(report, {}, { hosted: true });
    expect(hosted.call.attributes['spendguard.tenant_id']).toBe('tenant-1');
    expect(hosted.settlement!.attributes['spendguard.tenant_id']).toBe('tenant-1');
  });

  it('a settle reports the cost, the hold and what remains; a cost above the hold its overrun', async () => {
    const { settlement } = await spansOf((r) => {
      r.held(reserved, 'v1');
      settled(r, { costMicrocents: 70_000n, finalized: { agentId: 'agent-1', holdMicrocents: 50_000n, costMicrocents: 70_000n, remainingMicrocents: -20_000n } });
    });
    expect(settlement!.attributes).toMatchObject({
      'spendguard.settlement.outcome': 'settle',
      'spendguard.cost.microcents': 70_000,
      'spendguard.cost.cents': 1,
      'spendguard.hold.microcents': 50_000,
      'spendguard.overrun.microcents': 20_000,
      'spendguard.remaining.microcents': -20_000,
      'spendguard.price_version': 'v1',
      'spendguard.reservation_id': 'res-1',
    });
  });

  it('a settle that finds its hold already closed reports an expire, charged the whole hold', async () => {
    const { settlement } = await spansOf((r) => {
      r.held(reserved, 'v1');
      settled(r, { finalized: null });
    });
    expect(settlement!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'expire', 'spendguard.cost.microcents': 50_000 });
    expect(settlement!.attributes['spendguard.overrun.microcents']).toBeUndefined();
  });

  it('a hold that ended without a settle was released, unless the ledger failed (then unknown)', async () => {
    const released = await spansOf((r) => r.held(reserved, 'v1'), { status: 200 });
    expect(released.settlement!.attributes).toMatchObject({ 'spendguard.settlement.outcome': 'release', 'spendguard.cost.microcents': 0 });
    const lost = await spansOf((r) => r.held(reserved, 'v1'), { error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(lost.settlement!.attributes['spendguard.settlement.outcome']).toBe('unknown');
    expect(lost.call.attributes).toMatchObject({ 'spendguard.status_code': 503, 'spendguard.error.code': 'database_unavailable' });
  });

  it('a client that hung up is no error of the call', async () => {
    const { call } = await spansOf((r) => r.held(reserved, 'v1'), { error: new ClientGone() });
    expect(call.attributes['spendguard.client_disconnected']).toBe(true);
    expect(call.attributes['error.type']).toBeUndefined();
    expect(call.status.code).toBe(0);
  });

  it('a provider error body gives error.type only when it is a short code, never its message', async () => {
    const body = (error: unknown) => (r: CallRecord) => {
      r.held(reserved, 'v1');
      r.upstreamAnswered(400);
      r.answerRead(Buffer.from(JSON.stringify({ error })));
    };
    expect((await spansOf(body({ type: 'invalid_request_error', message: 'hello there is too long' }))).call.attributes['error.type']).toBe('invalid_request_error');
    const quoted = (await spansOf(body({ code: 'the prompt "hello there" was refused' }))).call.attributes;
    expect(quoted['error.type']).toBe('400');
    expect(quoted['spendguard.upstream.error_code']).toBeUndefined();
  });

  it('captures content only when asked, cut at the capture limit', async () => {
    const long = 'x'.repeat(MAX_CAPTURED_CHARS + 10);
    const report = (r: CallRecord) => {
      r.held(reserved, 'v1');
      r.upstreamAnswered(200);
      r.answerRead(answer(long));
    };
    const off = (await spansOf(report)).call.attributes;
    expect(Object.keys(off).filter((k) => k.includes('messages'))).toEqual([]);
    const on = (await spansOf(report, {}, { capture: true })).call.attributes;
    const [output] = JSON.parse(String(on['gen_ai.output.messages']));
    expect(output.parts[0].content).toHaveLength(MAX_CAPTURED_CHARS);
    expect(JSON.parse(String(on['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'hello there' }] }]);
  });
});
