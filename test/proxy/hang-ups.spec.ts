// SPEC §4 and §8 (issue 10.1): a call has one owner and a deadline. A client that hangs up at any
// moment — before the provider answers, between the provider's headers and its first event,
// mid-stream, during the settle — has its hold settled or released and its agent lock freed
// within a second, for every provider's stream format, exclusive and parallel agents alike.
import { request, ClientRequest } from 'node:http';
import { useProxyStack } from '../support/proxy-stack';
import type { FakeBehaviorPatch, FakeRoute } from '../fake-provider/fake-provider';

const s = useProxyStack({ env: { CAP_LOCK_TTL_MS: '30000' } });

/** A hang-up must have freed everything within this long. */
const WITHIN_MS = 1_000;

interface Shape {
  name: string;
  route: FakeRoute;
  path: string;
  body: (stream: boolean) => Record<string, unknown>;
}

const SHAPES: Shape[] = [
  {
    name: 'OpenAI chat',
    route: 'openai.chat',
    path: '/v1/chat/completions',
    body: (stream) => ({ model: 'gpt-4o-mini', max_tokens: 40, stream, messages: [{ role: 'user', content: 'hello' }] }),
  },
  {
    name: 'OpenAI Responses',
    route: 'openai.responses',
    path: '/v1/responses',
    body: (stream) => ({ model: 'gpt-4o-mini', max_output_tokens: 40, stream, input: 'hello' }),
  },
  {
    name: 'Anthropic Messages',
    route: 'anthropic.messages',
    path: '/v1/messages',
    body: (stream) => ({ model: 'claude-opus-4-6', max_tokens: 40, stream, messages: [{ role: 'user', content: 'hello' }] }),
  },
  {
    name: 'Gemini',
    route: 'gemini.streamGenerateContent',
    path: '/v1beta/models/gemini-3-pro-preview:streamGenerateContent',
    body: () => ({ contents: [{ parts: [{ text: 'hello' }] }], generationConfig: { maxOutputTokens: 40 } }),
  },
];

interface OpenCall {
  req: ClientRequest;
  /** Resolves with the first bytes of the answer's body. */
  firstBytes: Promise<void>;
}

function openCall(path: string, agent: string, body: unknown): OpenCall {
  const url = new URL(path, s.t.url);
  const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-cynsta-agent-id': agent } });
  req.on('error', () => undefined);
  const firstBytes = new Promise<void>((resolve) => req.on('response', (res) => res.once('data', () => resolve()).on('error', () => undefined)));
  req.end(JSON.stringify(body));
  return { req, firstBytes };
}

async function budget(agent: string) {
  return (await s.http.get(`/v1/agents/${agent}/budget`)).body;
}

/** Polls until the agent has nothing held and (exclusive) takes a new call; returns how long it took. */
async function freedWithin(agent: string, exclusive: boolean, shape: Shape, since: number): Promise<number> {
  for (;;) {
    const b = await budget(agent);
    if (b.in_flight === 0 && b.reserved_microcents === '0') {
      if (!exclusive) return Date.now() - since;
      const next = await s.http.post(shape.path, shape.body(false), { headers: { 'x-cynsta-agent-id': agent } });
      if (next.status === 200) return Date.now() - since;
      expect(next.status).toBe(409);
    }
    if (Date.now() - since > WITHIN_MS * 5) throw new Error(`still held after ${Date.now() - since} ms: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The ledger entries of the agent's first call (the hung-up one), not of the call that checked the lock. */
async function firstCall(agent: string, kind: string) {
  const { rows } = await s.t.pool.query(
    `SELECT amount_microcents, details FROM ledger_entries WHERE kind = $2
        AND reservation_id = (SELECT reservation_id FROM ledger_entries WHERE agent_id = $1 AND kind = 'reserve' ORDER BY seq LIMIT 1)`,
    [agent, kind],
  );
  return rows;
}

async function spentOf(agent: string): Promise<bigint> {
  return BigInt((await budget(agent)).spent_microcents);
}

const MODES = ['exclusive', 'parallel'] as const;

describe.each(SHAPES)('$name stream', (shape) => {
  const stream = async (agent: string, behavior: FakeBehaviorPatch) => {
    s.fake.enqueue(behavior, { route: shape.route });
    return openCall(shape.path, agent, shape.body(true));
  };

  it.each(MODES)('%s: a hang-up before the provider answers charges the input only, within a second', async (mode) => {
    const agent = await s.agent(100, { concurrency: mode });
    const call = await stream(agent, { latencyMs: 5_000 });
    await s.fake.waitForRequests(1);
    const t0 = Date.now();
    call.req.destroy();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
    expect((await firstCall(agent, 'settle'))[0].details).toMatchObject({ basis: 'client_disconnected_before_answer' });
    expect(await spentOf(agent)).toBeGreaterThan(0n);
  });

  it.each(MODES)("%s: a hang-up between the provider's headers and its first event, within a second", async (mode) => {
    const agent = await s.agent(100, { concurrency: mode });
    const call = await stream(agent, { stallAfterChunks: 0, stallMs: 5_000 });
    await s.fake.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 150)); // the headers reach the service
    const t0 = Date.now();
    call.req.destroy();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
    expect((await firstCall(agent, 'settle'))[0].details).toMatchObject({ cut_short: 'client_disconnected' });
  });

  it.each(MODES)('%s: a hang-up mid-stream charges what was produced, within a second', async (mode) => {
    const agent = await s.agent(100, { concurrency: mode });
    const call = await stream(agent, { stallAfterChunks: 3, stallMs: 5_000 });
    await call.firstBytes;
    const t0 = Date.now();
    call.req.destroy();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
    expect(await spentOf(agent)).toBeGreaterThan(0n);
  });
});

describe('a whole (non-streamed) answer', () => {
  const shape = SHAPES[0];

  it.each(MODES)('%s: a hang-up before the provider answers, within a second', async (mode) => {
    const agent = await s.agent(100, { concurrency: mode });
    s.fake.enqueue({ latencyMs: 5_000 }, { route: shape.route });
    const call = openCall(shape.path, agent, shape.body(false));
    await s.fake.waitForRequests(1);
    const t0 = Date.now();
    call.req.destroy();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
  });

  it.each(MODES)('%s: a hang-up while the answer arrives charges the whole hold (its usage is unknown), within a second', async (mode) => {
    const agent = await s.agent(100, { concurrency: mode });
    s.fake.enqueue({ stallMs: 5_000 }, { route: shape.route });
    const call = openCall(shape.path, agent, shape.body(false));
    await s.fake.waitForRequests(1);
    await new Promise((r) => setTimeout(r, 150)); // the first half of the body is in
    const t0 = Date.now();
    call.req.destroy();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
    const settle = await s.t.pool.query("SELECT amount_microcents, details FROM ledger_entries WHERE agent_id = $1 AND kind IN ('settle', 'reserve') ORDER BY seq", [agent]);
    const [reserve, charged] = settle.rows;
    expect(charged.amount_microcents).toBe(reserve.amount_microcents);
    expect(charged.details).toMatchObject({ reason: 'answer_cut_short' });
  });
});

describe('a hang-up during the settle', () => {
  it.each([
    ['exclusive', true],
    ['parallel', true],
    ['exclusive', false],
    ['parallel', false],
  ] as const)('%s (stream: %s): the settle completes and frees everything once it can run', async (mode, isStream) => {
    const shape = SHAPES[0];
    const agent = await s.agent(100, { concurrency: mode });
    s.fake.enqueue(isStream ? { stallAfterChunks: 2, stallMs: 400 } : { stallMs: 400 }, { route: shape.route });
    const call = openCall(shape.path, agent, shape.body(isStream));
    await s.fake.waitForRequests(1);
    // Hold the budget row so that the settle, once the answer is complete, waits inside Postgres.
    const blocker = await s.t.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM budgets WHERE agent_id = $1 FOR UPDATE', [agent]);
      const waiting = async () => {
        const { rows } = await s.t.pool.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE reservations%' AND datname = current_database()",
        );
        return rows[0].n > 0;
      };
      for (let i = 0; !(await waiting()); i++) {
        if (i > 200) throw new Error('the settle never started');
        await new Promise((r) => setTimeout(r, 20));
      }
      call.req.destroy();
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    const t0 = Date.now();
    expect(await freedWithin(agent, mode === 'exclusive', shape, t0)).toBeLessThan(WITHIN_MS);
    const kinds = await s.t.pool.query(
      `SELECT kind FROM ledger_entries WHERE kind IN ('settle', 'expire')
          AND reservation_id = (SELECT reservation_id FROM ledger_entries WHERE agent_id = $1 AND kind = 'reserve' ORDER BY seq LIMIT 1)`,
      [agent],
    );
    expect(kinds.rows).toEqual([{ kind: 'settle' }]);
  });
});
