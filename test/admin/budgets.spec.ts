// The seed's budget flow over HTTP, exactly as its quickstart does it, plus top-ups, the ledger
// and the seed's budget arithmetic.
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

const newAgent = async () => (await t.http.post('/v1/agents', { name: 'budgeted' })).body.agent_id as string;

describe('budget set (seed arithmetic)', () => {
  it('runs the seed quickstart: limit 5000, top-up 5000, remaining_cents 5000', async () => {
    const agentId = await newAgent();
    const set = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 5000, topup_cents: 5000 });
    expect(set.status).toBe(200);
    const got = await t.http.get(`/v1/agents/${agentId}/budget`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      agent_id: agentId,
      hard_limit_cents: 5000,
      remaining_cents: 5000,
      locked_run_id: null,
      locked_cents: 0,
      locked_expires_at: null,
      reserved_cents: 0,
      spent_cents: 0,
      remaining_microcents: '5000000000',
      reserved_microcents: '0',
      spent_microcents: '0',
      in_flight: 0,
      level: 'agent',
      level_id: agentId,
      period: null,
      period_started_at: null,
      next_reset_at: null,
      period_spent_cents: 0,
      period_spent_microcents: '0',
    });
    // The seed's fields come first, in the seed's order.
    expect(Object.keys(got.body).slice(0, 6)).toEqual([
      'agent_id',
      'hard_limit_cents',
      'remaining_cents',
      'locked_run_id',
      'locked_cents',
      'locked_expires_at',
    ]);
  });

  it.each([
    // [first limit, first topup, expected remaining, second limit, second topup, expected remaining]
    [5000, 0, 5000, 5000, 0, 5000],
    [5000, 1200, 1200, 5000, 300, 1500],
    [5000, 9000, 5000, 6000, 500, 5500],
    [5000, 0, 5000, 3000, 0, 3000],
    [100, 40, 40, 100, 100, 100],
  ])('limit %i topup %i → %i, then limit %i topup %i → %i', async (l1, t1, r1, l2, t2, r2) => {
    const agentId = await newAgent();
    const first = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: l1, topup_cents: t1 });
    expect([first.body.hard_limit_cents, first.body.remaining_cents]).toEqual([l1, r1]);
    const second = await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: l2, topup_cents: t2 });
    expect([second.body.hard_limit_cents, second.body.remaining_cents]).toEqual([l2, r2]);
  });

  it('answers 404 for the budget of an agent that never had one', async () => {
    const res = await t.http.get(`/v1/agents/${await newAgent()}/budget`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('budget_not_found');
  });
});

describe('top-up', () => {
  it('adds to remaining, never above the hard limit, and records what it applied', async () => {
    const agentId = await newAgent();
    await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 1000, topup_cents: 100 });
    const topped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 250 });
    expect(topped.status).toBe(200);
    expect(topped.body.remaining_cents).toBe(350);
    const capped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 5000 });
    expect(capped.body.remaining_cents).toBe(1000);
    const ledger = await t.http.get(`/v1/agents/${agentId}/ledger`);
    expect(ledger.body.entries[0]).toMatchObject({
      kind: 'topup',
      amount_microcents: '650000000',
      balance_after_microcents: '1000000000',
      details: { requested_microcents: '5000000000', applied_microcents: '650000000' },
    });
  });

  it('needs a budget first', async () => {
    const res = await t.http.post(`/v1/agents/${await newAgent()}/budget/topup`, { amount_cents: 1 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('budget_not_found');
  });
});

describe('ledger', () => {
  it('lists entries newest first, paged by cursor', async () => {
    const agentId = await newAgent();
    await t.http.post(`/v1/agents/${agentId}/budget`, { hard_limit_cents: 1000, topup_cents: 1 });
    for (let i = 0; i < 4; i++) await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 1 });
    const first = await t.http.get(`/v1/agents/${agentId}/ledger?limit=2`);
    expect(first.body.entries.map((e: { balance_after_microcents: string }) => e.balance_after_microcents)).toEqual([
      '5000000',
      '4000000',
    ]);
    const second = await t.http.get(`/v1/agents/${agentId}/ledger?limit=2&cursor=${first.body.next_cursor}`);
    const third = await t.http.get(`/v1/agents/${agentId}/ledger?limit=2&cursor=${second.body.next_cursor}`);
    expect(third.body.entries.map((e: { kind: string }) => e.kind)).toEqual(['limit_set']);
    expect(third.body.next_cursor).toBeNull();
  });
});
