// SPEC §4 rule 6: an `exclusive` agent has at most one call in flight, across instances (Redis
// locks) or in one sidecar (in-process locks); a second call gets 409 agent_locked with
// Retry-After and the holder's run id; the lock is released on every path. `parallel` agents
// run calls side by side, held only by their reservations.
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { expectLedgerBalanced } from '../support/test-app';

const chat = (marker = '') => ({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: `hi ${marker}` }] });

describe.each([
  ['in-process locks (sidecar without Redis)', false],
  ['Redis locks (redlock)', true],
])('%s', (_name, redis) => {
  let s: ProxyStack;
  beforeAll(async () => {
    s = await startProxyStack({ redis });
  });
  beforeEach(() => s.fake.reset());
  afterEach(() => expectLedgerBalanced(s.t.pool));
  afterAll(() => s.close());

  const as = (agent: string, run?: string) => ({ headers: { 'x-cynsta-agent-id': agent, ...(run ? { 'x-cynsta-run-id': run } : {}) } });

  it('answers 409 with Retry-After and the holder run id while a call is in flight', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ latencyMs: 400 });
    const first = s.http.post('/v1/chat/completions', chat(`[[agent:${agent}]]`), as(agent, 'run-holder'));
    await s.fake.waitForRequests(1);
    const second = await s.http.post('/v1/chat/completions', chat(), as(agent, 'run-other'));
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(second.body).toMatchObject({ error: { code: 'agent_locked', type: 'conflict_error' }, locked_run_id: 'run-holder' });
    expect((await first).status).toBe(200);
    // Released: the next call goes through.
    s.fake.setBehavior({ latencyMs: 0 });
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
  });

  it('never lets the provider see two calls of an exclusive agent at once', async () => {
    const agent = await s.agent(1_000);
    s.fake.setBehavior({ latencyMs: 30 });
    const results = await Promise.all(
      Array.from({ length: 30 }, () => s.http.post('/v1/chat/completions', chat(`[[agent:${agent}]]`), as(agent))),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.every((st) => st === 200 || st === 409)).toBe(true);
    expect(statuses.filter((st) => st === 200).length).toBeGreaterThanOrEqual(1);
    expect(s.fake.peakConcurrency(agent)).toBe(1);
  });

  it('releases the lock after an upstream failure and after a client disconnect', async () => {
    const agent = await s.agent(100);
    s.fake.enqueue({ status: 500 });
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(502);
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);

    s.fake.setBehavior({ latencyMs: 0, chunkDelayMs: 50, tokensPerChunk: 1, usage: { output: 40 } });
    const controller = new AbortController();
    const res = await fetch(`${s.t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cynsta-agent-id': agent },
      body: JSON.stringify({ ...chat(), stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    s.fake.setBehavior({ chunkDelayMs: 0 });
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await s.http.post('/v1/chat/completions', chat(), as(agent))).status;
    }
    expect(status).toBe(200);
  });

  it('lets a parallel agent run many calls at once', async () => {
    const agent = await s.agent(1_000, { concurrency: 'parallel' });
    s.fake.setBehavior({ latencyMs: 100 });
    const results = await Promise.all(Array.from({ length: 10 }, () => s.http.post('/v1/chat/completions', chat(`[[agent:${agent}]]`), as(agent))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(s.fake.peakConcurrency(agent)).toBeGreaterThan(1);
  });

  // The service keeps each agent's mode as a hint from its last hold; another instance's PATCH
  // (here: the row changed under it) must still apply to the very next call.
  const setMode = (agent: string, concurrency: string) => s.t.pool.query('UPDATE agents SET concurrency = $2 WHERE id = $1', [agent, concurrency]);

  it('locks an agent made exclusive elsewhere from its next call on', async () => {
    const agent = await s.agent(1_000, { concurrency: 'parallel' });
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
    await setMode(agent, 'exclusive');
    s.fake.setBehavior({ latencyMs: 300 });
    const results = await Promise.all(Array.from({ length: 6 }, () => s.http.post('/v1/chat/completions', chat(`[[agent:${agent}]]`), as(agent))));
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(s.fake.peakConcurrency(agent)).toBe(1);
    // Refused after their hold: each hold was released again.
    const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
  });

  it('runs an agent made parallel elsewhere side by side once a call has seen it', async () => {
    const agent = await s.agent(1_000);
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
    await setMode(agent, 'parallel');
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
    s.fake.setBehavior({ latencyMs: 100 });
    const results = await Promise.all(Array.from({ length: 6 }, () => s.http.post('/v1/chat/completions', chat(`[[agent:${agent}]]`), as(agent))));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(s.fake.peakConcurrency(agent)).toBeGreaterThan(1);
  });
});

describe('Redis unreachable', () => {
  it('fails closed for exclusive agents (503) and carries on for parallel ones', async () => {
    const { freePort } = await import('../support/spawn-instance');
    const s = await startProxyStack({ env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}` } });
    try {
      const exclusive = await s.agent(100);
      const parallel = await s.agent(100, { concurrency: 'parallel' });
      const refused = await s.http.post('/v1/chat/completions', chat(), { headers: { 'x-cynsta-agent-id': exclusive } });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('lock_service_unavailable');
      expect((await s.http.post('/v1/chat/completions', chat(), { headers: { 'x-cynsta-agent-id': parallel } })).status).toBe(200);
      expect(s.fake.requestCount).toBe(1);
      await expectLedgerBalanced(s.t.pool);
    } finally {
      await s.close();
    }
  });
});
