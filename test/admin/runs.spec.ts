// Runs: created persisted (the seed's POST …/runs), then listed with their calls and spend.
import { randomUUID } from 'node:crypto';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

describe('runs', () => {
  it('creates a persisted run from `{}` and from no body', async () => {
    const { body: agent } = await t.http.post('/v1/agents', {});
    const run = await t.http.post(`/v1/agents/${agent.agent_id}/runs`, {});
    expect(run.status).toBe(201);
    expect(run.body).toEqual({ run_id: expect.any(String), agent_id: agent.agent_id, created_at: expect.any(String), budget: null });
    expect((await t.http.request('POST', `/v1/agents/${agent.agent_id}/runs`)).status).toBe(201);
    const got = await t.http.get(`/v1/agents/${agent.agent_id}/runs/${run.body.run_id}`);
    expect(got.body).toEqual({ ...run.body, status: 'idle', call_count: 0, in_flight: 0, spent_cents: 0, spent_microcents: '0' });
  });

  it('reports calls, in-flight holds and exact spend per run', async () => {
    const { body: agent } = await t.http.post('/v1/agents', {});
    await t.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 100 });
    const { body: run } = await t.http.post(`/v1/agents/${agent.agent_id}/runs`, {});
    const ledger = t.app.get(BudgetLedgerRepository);
    const hold = () =>
      ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId: agent.agent_id, runId: run.run_id, requestId: randomUUID(), amountMicrocents: 3_000_000n, ttlSeconds: 60 });
    const a = await hold();
    const b = await hold();
    if (!a.ok || !b.ok) throw new Error('hold failed');
    await ledger.settle(LOCAL_TENANT_ID, a.reservationId, 1_500_001n);

    const active = await t.http.get(`/v1/agents/${agent.agent_id}/runs/${run.run_id}`);
    expect(active.body).toMatchObject({ status: 'active', call_count: 2, in_flight: 1, spent_cents: 2, spent_microcents: '1500001' });
    const budget = await t.http.get(`/v1/agents/${agent.agent_id}/budget`);
    expect(budget.body).toMatchObject({ locked_run_id: run.run_id, locked_cents: 3, in_flight: 1 });
    expect(budget.body.locked_expires_at).not.toBeNull();

    await ledger.release(LOCAL_TENANT_ID, b.reservationId);
    const listed = await t.http.get(`/v1/agents/${agent.agent_id}/runs`);
    expect(listed.body.runs[0]).toMatchObject({ run_id: run.run_id, status: 'idle', call_count: 2, in_flight: 0 });
  });

  it('lists runs newest first with a cursor, and 404s an unknown run', async () => {
    const { body: agent } = await t.http.post('/v1/agents', {});
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.http.post(`/v1/agents/${agent.agent_id}/runs`, {})).body.run_id);
    const first = await t.http.get(`/v1/agents/${agent.agent_id}/runs?limit=3`);
    const second = await t.http.get(`/v1/agents/${agent.agent_id}/runs?limit=3&cursor=${first.body.next_cursor}`);
    const seen = [...first.body.runs, ...second.body.runs].map((r: { run_id: string }) => r.run_id);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(5);
    expect(second.body.next_cursor).toBeNull();
    const missing = await t.http.get(`/v1/agents/${agent.agent_id}/runs/no-such-run`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('run_not_found');
  });
});
