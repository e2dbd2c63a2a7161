// Idempotency-Key on mutating admin requests (SPEC §8): replay, 422 on another body, 409 while
// the first is still running, keys scoped per tenant, errors not kept.
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

const key = (name: string) => ({ headers: { 'idempotency-key': `${name}-${Math.random().toString(36).slice(2)}` } });

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, creating nothing new', async () => {
    const k = key('create-agent');
    const first = await t.http.post('/v1/agents', { name: 'once' }, k);
    const again = await t.http.post('/v1/agents', { name: 'once' }, k);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM agents WHERE name = 'once'");
    expect(rows[0].n).toBe(1);
  });

  it('replays a top-up instead of crediting twice', async () => {
    const { body: agent } = await t.http.post('/v1/agents', {});
    await t.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 1000, topup_cents: 100 });
    const k = key('topup');
    await t.http.post(`/v1/agents/${agent.agent_id}/budget/topup`, { amount_cents: 50 }, k);
    const replay = await t.http.post(`/v1/agents/${agent.agent_id}/budget/topup`, { amount_cents: 50 }, k);
    expect(replay.body.remaining_cents).toBe(150);
    expect((await t.http.get(`/v1/agents/${agent.agent_id}/budget`)).body.remaining_cents).toBe(150);
  });

  it('answers 422 when the key is reused with another body, changing nothing', async () => {
    const k = key('reuse');
    await t.http.post('/v1/agents', { name: 'first' }, k);
    const other = await t.http.post('/v1/agents', { name: 'second' }, k);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM agents WHERE name = 'second'");
    expect(rows[0].n).toBe(0);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const { body: agent } = await t.http.post('/v1/agents', {});
    await t.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 1000 });
    const blocker = await t.pool.connect();
    try {
      // Hold the budget row so the first top-up waits inside the database.
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM budgets WHERE agent_id = $1 FOR UPDATE', [agent.agent_id]);
      const k = key('slow');
      const first = t.http.post(`/v1/agents/${agent.agent_id}/budget/topup`, { amount_cents: 1 }, k);
      let second;
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 20));
        second = await t.http.post(`/v1/agents/${agent.agent_id}/budget/topup`, { amount_cents: 1 }, k);
        if (second.status === 409) break;
      }
      expect(second!.status).toBe(409);
      expect(second!.body.error.code).toBe('idempotency_in_progress');
      await blocker.query('COMMIT');
      expect((await first).status).toBe(200);
      const third = await t.http.post(`/v1/agents/${agent.agent_id}/budget/topup`, { amount_cents: 1 }, k);
      expect(third.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  });

  it('does not keep errors: after a 4xx the same key can be used for a corrected request', async () => {
    const k = key('after-error');
    const bad = await t.http.post('/v1/agents', { name: 'x', unexpected: 1 }, k);
    expect(bad.status).toBe(400);
    const good = await t.http.post('/v1/agents', { name: 'x' }, k);
    expect(good.status).toBe(201);
  });

  it('refuses a malformed key', async () => {
    const res = await t.http.post('/v1/agents', {}, { headers: { 'idempotency-key': 'has spaces in it' } });
    expect(res.status).toBe(400);
  });
});
