// Upstream faults on every provider, streaming and not (SPEC §4 rules 8-9): timeouts, connection
// resets, 5xx, malformed JSON, stalled, truncated and errored streams. Each gets the right
// status; the hold is released (nothing produced) or charged (tokens produced, or usage unknown
// on a 200), never left open; and the ledger records it. test/proxy/5xx-upstream.spec.ts covers
// the OpenAI chat basics; this extends them to every provider and to streams.
import { FakeBehaviorPatch } from '../fake-provider/fake-provider';
import { useProxyStack } from '../support/proxy-stack';
import { recordFigures, waitFor } from './support/figures';

const TIMEOUT_MS = 1_000;
const s = useProxyStack({ env: { CAP_UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS) } });

interface Target {
  name: string;
  path: (stream: boolean) => string;
  body: (stream: boolean) => Record<string, unknown>;
}

const TARGETS: Target[] = [
  { name: 'openai chat', path: () => '/v1/chat/completions', body: (stream) => ({ model: 'gpt-4o-mini', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] }) },
  { name: 'openai responses', path: () => '/v1/responses', body: (stream) => ({ model: 'gpt-4o-mini', max_output_tokens: 50, stream, input: 'hi' }) },
  { name: 'grok chat', path: () => '/v1/chat/completions', body: (stream) => ({ model: 'grok-3', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] }) },
  { name: 'anthropic messages', path: () => '/v1/messages', body: (stream) => ({ model: 'claude-opus-4-6', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] }) },
  {
    name: 'gemini',
    path: (stream) => (stream ? '/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse' : '/v1beta/models/gemini-3-pro-preview:generateContent'),
    body: () => ({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 50 } }),
  },
];

type Outcome = 'released' | 'charged in full' | 'charged for what was produced';

interface Fault {
  name: string;
  stream: boolean;
  behavior: FakeBehaviorPatch;
  status: number | 'cut';
  outcome: Outcome;
}

const FAULTS: Fault[] = [
  { name: '5xx', stream: false, behavior: { status: 500 }, status: 502, outcome: 'released' },
  { name: '529 overloaded', stream: false, behavior: { status: 529 }, status: 502, outcome: 'released' },
  { name: '5xx on a stream', stream: true, behavior: { status: 503 }, status: 502, outcome: 'released' },
  { name: 'connection reset', stream: false, behavior: { resetConnection: true }, status: 502, outcome: 'released' },
  { name: 'connection reset on a stream', stream: true, behavior: { resetConnection: true }, status: 502, outcome: 'released' },
  { name: 'no answer within the timeout', stream: false, behavior: { latencyMs: TIMEOUT_MS * 2 }, status: 504, outcome: 'released' },
  { name: 'no stream within the timeout', stream: true, behavior: { latencyMs: TIMEOUT_MS * 2 }, status: 504, outcome: 'released' },
  { name: 'malformed JSON', stream: false, behavior: { malformedJson: true }, status: 200, outcome: 'charged in full' },
  { name: 'a stream stalled past the timeout', stream: true, behavior: { stallMs: TIMEOUT_MS * 3, stallAfterChunks: 4, usage: { output: 30 } }, status: 'cut', outcome: 'charged for what was produced' },
  { name: 'a truncated stream', stream: true, behavior: { disconnectAfterChunks: 4, usage: { output: 30 } }, status: 'cut', outcome: 'charged for what was produced' },
  { name: 'an error event mid-stream', stream: true, behavior: { errorAfterChunks: 4, usage: { output: 30 } }, status: 200, outcome: 'charged for what was produced' },
];

const seen: Record<string, unknown>[] = [];
afterAll(() => recordFigures('upstream-faults', { cases: seen.length, results: seen }));

async function entries(agent: string) {
  const { rows } = await s.t.pool.query(
    `SELECT kind, amount_microcents, details FROM ledger_entries WHERE agent_id = $1 AND kind <> 'limit_set' ORDER BY seq`,
    [agent],
  );
  return rows as { kind: string; amount_microcents: string; details: Record<string, unknown> }[];
}

describe.each(TARGETS)('$name', (target) => {
  it.each(FAULTS)('$name → $status, $outcome', async (fault) => {
    const agent = await s.agent(100, { concurrency: 'exclusive' });
    s.fake.enqueue(fault.behavior);
    const res = await s.http
      .post(target.path(fault.stream), target.body(fault.stream), { headers: { 'x-cynsta-agent-id': agent } })
      .then((r) => ({ status: r.status as number | 'cut', body: r.body, text: r.text }))
      .catch(() => ({ status: 'cut' as const, body: undefined, text: '' }));
    // A stream that had started is 200 on the wire; it may end short (cut) or be read to its end.
    if (fault.status === 'cut') expect([200, 'cut']).toContain(res.status);
    else expect(res.status).toBe(fault.status);
    if (typeof res.status === 'number' && res.status >= 500) {
      expect(res.body.error.type).toBe('upstream_error');
      expect(res.body.detail).toEqual(expect.any(String));
    }

    // Settled on every path, even when the client saw the stream end first.
    const ledger = (await waitFor(async () => {
      const rows = await entries(agent);
      return rows.length >= 2 ? rows : undefined;
    }, 5_000, 25)).value!;
    const kinds = ledger.map((e) => e.kind);
    const hold = -BigInt(ledger[0].amount_microcents);
    expect(kinds[0]).toBe('reserve');
    const settle = ledger.find((e) => e.kind === 'settle');
    if (fault.outcome === 'released') {
      expect(kinds).toEqual(['reserve', 'release']);
      expect(BigInt(ledger[1].amount_microcents)).toBe(hold);
    } else if (fault.outcome === 'charged in full') {
      expect(kinds).toEqual(['reserve', 'settle']);
      expect(-BigInt(settle!.amount_microcents)).toBe(hold);
    } else {
      expect(settle).toBeDefined();
      expect(-BigInt(settle!.amount_microcents)).toBeGreaterThan(0n);
      expect(-BigInt(settle!.amount_microcents)).toBeLessThanOrEqual(hold);
    }
    const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(budget.in_flight).toBe(0);
    expect(budget.reserved_microcents).toBe('0');
    // The lock was released on this path too: the next call goes through at once.
    s.fake.enqueue({ usage: { output: 1 } });
    expect((await s.http.post(target.path(false), target.body(false), { headers: { 'x-cynsta-agent-id': agent } })).status).toBe(200);
    seen.push({
      target: target.name,
      fault: fault.name,
      stream: fault.stream,
      status: res.status,
      ledger: kinds,
      hold_microcents: hold.toString(),
      charged_microcents: settle ? (-BigInt(settle.amount_microcents)).toString() : '0',
      reason: ledger[ledger.length - 1].details?.reason ?? settle?.details?.basis ?? null,
    });
  });
});
