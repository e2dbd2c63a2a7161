// SPEC §10 through the API and metered calls (a sidecar in front of the fake provider): the
// tenant's budget and a run's budget beside the agent's; one hold across every level, taken
// everywhere or nowhere; the 402 names the level that refused; every level keeps its own ledger;
// periods start afresh in the same step as the first hold after a boundary, with no sweeper.
import { snapshotDatabase } from '../support/admin-assertions';
import { useProxyStack } from '../support/proxy-stack';

// The sweeper never runs during these tests: periods must roll over without it.
const s = useProxyStack({ env: { CAP_SWEEP_INTERVAL_SECONDS: '3600' } });

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });
const as = (agent: string, run?: string) => ({ headers: { 'x-cynsta-agent-id': agent, ...(run ? { 'x-cynsta-run-id': run } : {}) } });

async function ledgerKinds(path: string): Promise<string[]> {
  const res = await s.http.get(`${path}?limit=500`);
  return res.body.entries.map((e: { kind: string }) => e.kind).reverse();
}

describe('the tenant budget (sidecar: the tenant sets its own)', () => {
  afterAll(async () => {
    // Leave the tenant budget roomy for the other tests of this file.
    await s.http.post('/v1/tenant/budget', { hard_limit_cents: 1_000_000, topup_cents: 1_000_000 });
  });

  it('every call holds on the tenant too; the 402 names the tenant when it is the one that refuses', async () => {
    const set = await s.http.post('/v1/tenant/budget', { hard_limit_cents: 1, topup_cents: 1 });
    expect(set.body).toMatchObject({ level: 'tenant', hard_limit_cents: 1, remaining_cents: 1, applied_cents: 1 });
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 10, output: 10 } });
    const ok = await s.http.post('/v1/chat/completions', chat({ max_tokens: 5 }), as(agent));
    expect(ok.status).toBe(200);
    const tenant = (await s.http.get('/v1/tenant/budget')).body;
    const own = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(tenant.spent_microcents).toBe(own.spent_microcents);
    expect(await ledgerKinds('/v1/tenant/ledger')).toEqual(expect.arrayContaining(['limit_set', 'reserve', 'settle', 'release']));

    // The agent could afford 100 ¢; the tenant has less than a cent left: the tenant refuses
    // (50,000 × 1,400 µ¢ = 70 ¢ worst case).
    const refused = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 50_000 }), { headers: { ...as(agent).headers, 'x-cynsta-clamp': 'off' } });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ level: 'tenant', level_id: '00000000-0000-0000-0000-000000000001', detail: 'Insufficient budget' });
    expect(refused.body.remaining_cents).toBe(tenant.remaining_cents);
  });

  it('a hold refused on one level changes nothing on any level', async () => {
    await s.http.post('/v1/tenant/budget', { hard_limit_cents: 1, topup_cents: 1 });
    const agent = await s.agent(100);
    const before = await snapshotDatabase(s.t.pool);
    const refused = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 50_000 }), { headers: { ...as(agent).headers, 'x-cynsta-clamp': 'off' } });
    expect(refused.status).toBe(402);
    expect(await snapshotDatabase(s.t.pool)).toEqual(before);
    expect(s.fake.requestCount).toBe(0);
  });

  it('clamps the output cap to the tightest level', async () => {
    await s.http.post('/v1/tenant/budget', { hard_limit_cents: 1, topup_cents: 1 });
    const agent = await s.agent(100);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent));
    expect(res.status).toBe(200);
    // 1 ¢ at 1,400 µ¢ per output token affords ~700 tokens.
    expect(Number(res.headers.get('x-cynsta-max-tokens'))).toBeLessThan(714);
  });
});

describe('run budgets', () => {
  it('a run created with budget_cents caps its calls on its own level, and keeps its own ledger', async () => {
    const agent = await s.agent(1_000);
    const run = await s.http.post(`/v1/agents/${agent}/runs`, { budget_cents: 2 });
    expect(run.status).toBe(201);
    expect(run.body.budget).toMatchObject({ level: 'run', level_id: run.body.run_id, hard_limit_cents: 2, remaining_cents: 2 });
    s.fake.setBehavior({ usage: { input: 10, output: 5_000 } }); // 5,000 × 60 µ¢ = 0.3 ¢ a call
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await s.http.post('/v1/chat/completions', chat({ max_tokens: 5_000 }), { headers: { ...as(agent, run.body.run_id).headers, 'x-cynsta-clamp': 'off' } })).status);
    expect(statuses.filter((x) => x === 200).length).toBe(6);
    expect(statuses.slice(6)).toEqual(Array(6).fill(402));
    const last = await s.http.post('/v1/chat/completions', chat({ max_tokens: 5_000 }), { headers: { ...as(agent, run.body.run_id).headers, 'x-cynsta-clamp': 'off' } });
    expect(last.body).toMatchObject({ level: 'run', level_id: run.body.run_id });
    // The agent has plenty left; another run of the same agent is not held back.
    expect((await s.http.post('/v1/chat/completions', chat({ max_tokens: 5_000 }), as(agent, 'other-run'))).status).toBe(200);

    const got = await s.http.get(`/v1/agents/${agent}/runs/${run.body.run_id}`);
    expect(got.body).toMatchObject({ call_count: 6, budget: { level: 'run', spent_microcents: String(6 * (10 * 15 + 5_000 * 60)) } });
    const ledger = await s.http.get(`/v1/agents/${agent}/runs/${run.body.run_id}/ledger`);
    expect(ledger.body.entries.filter((e: { kind: string }) => e.kind === 'settle')).toHaveLength(6);
    expect((await s.http.get(`/v1/agents/${agent}/runs/other-run/ledger`)).body.entries).toEqual([]);
  });
});

describe('periods', () => {
  it('refuses periods and timezones that are not', async () => {
    const agent = await s.agent(100);
    const before = await snapshotDatabase(s.t.pool);
    for (const period of [{ every: '0s' }, { every: '1y' }, { every: '2d' }, { every: '1d', timezone: 'Mars/Olympus_Mons' }, { every: '1d', timezone: 'UTC', extra: 1 }, 'daily']) {
      const res = await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 5, period });
      expect({ period, status: res.status }).toEqual({ period, status: 400 });
    }
    expect(await snapshotDatabase(s.t.pool)).toEqual(before);
  });

  it('a 2 s budget starts afresh at the boundary, in the step of the first hold after it, with no sweeper', async () => {
    const agent = await s.agent(100);
    const set = await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 1, topup_cents: 1, period: { every: '2s' } });
    expect(set.body).toMatchObject({ period: { every: '2s', timezone: 'UTC' }, period_spent_cents: 0 });
    expect(Date.parse(set.body.next_reset_at) - Date.parse(set.body.period_started_at)).toBe(2_000);
    s.fake.setBehavior({ usage: { input: 10, output: 16_000 } }); // ~0.96 ¢: one call empties the period
    const first = await s.http.post('/v1/chat/completions', chat({ max_tokens: 16_000 }), as(agent));
    expect(first.status).toBe(200);
    const spent = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    const refused = await s.http.post('/v1/chat/completions', chat({ max_tokens: 16_000 }), { headers: { ...as(agent).headers, 'x-cynsta-clamp': 'off' } });
    // (A boundary may have passed meanwhile on a slow machine; then the call is rightly admitted.)
    if (Date.now() < Date.parse(spent.next_reset_at)) expect(refused.status).toBe(402);
    else await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 1 });

    const boundary = Date.parse((await s.http.get(`/v1/agents/${agent}/budget`)).body.next_reset_at);
    await new Promise((r) => setTimeout(r, Math.max(0, boundary - Date.now()) + 50));
    const afterBoundary = await s.http.post('/v1/chat/completions', chat({ max_tokens: 16_000 }), { headers: { ...as(agent).headers, 'x-cynsta-clamp': 'off' } });
    expect(afterBoundary.status).toBe(200);
    const kinds = await ledgerKinds(`/v1/agents/${agent}/ledger`);
    expect(kinds).toContain('period_reset');
    const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(BigInt(budget.spent_microcents)).toBeGreaterThan(BigInt(budget.period_spent_microcents));
  }, 20_000);

  it('a hold open across a boundary settles into the period in which it finishes', async () => {
    const agent = await s.agent(100);
    await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 10, topup_cents: 10, period: { every: '2s' } });
    const { body: b0 } = await s.http.get(`/v1/agents/${agent}/budget`);
    // A call that starts in this period and answers after the boundary.
    s.fake.enqueue({ latencyMs: Math.max(0, Date.parse(b0.next_reset_at) - Date.now()) + 300, usage: { input: 10, output: 10 } });
    const res = await s.http.post('/v1/chat/completions', chat({ max_tokens: 10 }), as(agent));
    expect(res.status).toBe(200);
    const { body: b1 } = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(b1.period_started_at).not.toBe(b0.period_started_at);
    expect(b1.period_spent_microcents).toBe(b1.spent_microcents); // spent in the period it finished in
    // And the reset left room for what was still held: remaining = limit − held at the boundary.
    expect(BigInt(b1.remaining_microcents) + BigInt(b1.spent_microcents)).toBe(10_000_000n);
  }, 20_000);

  it('a budget read after a boundary shows the new period before anything touched it', async () => {
    const agent = await s.agent(1);
    await s.http.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 3, period: { every: '2s' } });
    const { body: before } = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(before.remaining_cents).toBe(1);
    await new Promise((r) => setTimeout(r, Date.parse(before.next_reset_at) - Date.now() + 50));
    const { body: after } = await s.http.get(`/v1/agents/${agent}/budget`);
    expect(after).toMatchObject({ remaining_cents: 3, period_spent_cents: 0 });
    expect(Date.parse(after.period_started_at)).toBe(Date.parse(before.next_reset_at));
  }, 20_000);
});

describe('estimate', () => {
  it('says what each level would hold, the cap, and which level would refuse; nothing is held', async () => {
    const agent = await s.agent(100);
    const run = (await s.http.post(`/v1/agents/${agent}/runs`, { budget_cents: 1 })).body.run_id;
    const before = await snapshotDatabase(s.t.pool);
    const fits = await s.http.post(`/v1/agents/${agent}/estimate`, { provider: 'openai', operation: 'chat.completions', ...chat({ max_tokens: 50 }) });
    expect(fits.status).toBe(200);
    expect(fits.body).toMatchObject({ allowed: true, max_tokens: 50, clamped: false, refused_by: null });
    expect(fits.body.levels.map((l: { level: string }) => l.level)).toEqual(['tenant', 'agent']);

    const clamped = await s.http.post(`/v1/agents/${agent}/estimate`, { provider: 'openai', operation: 'chat.completions', run_id: run, ...chat({ model: 'gpt-5.2', max_tokens: 100_000 }) });
    expect(clamped.body).toMatchObject({ allowed: true, clamped: true });
    expect(clamped.body.max_tokens).toBeLessThan(714);
    expect(clamped.body.levels.map((l: { level: string; fits: boolean }) => [l.level, l.fits])).toEqual([['tenant', true], ['agent', true], ['run', true]]);

    const refused = await s.http.post(`/v1/agents/${agent}/estimate`, { provider: 'openai', operation: 'chat.completions', run_id: run, clamp: false, ...chat({ model: 'gpt-5.2', max_tokens: 100_000 }) });
    expect(refused.body).toMatchObject({ allowed: false, max_tokens: null, refused_by: { level: 'run', level_id: run, remaining_cents: 1 } });
    expect(refused.body.levels.find((l: { level: string }) => l.level === 'run').fits).toBe(false);
    expect(await snapshotDatabase(s.t.pool)).toEqual(before);
    expect(s.fake.requestCount).toBe(0);

    expect((await s.http.post(`/v1/agents/${agent}/estimate`, { provider: 'openai', operation: 'chat.completions', ...chat({ model: 'nope' }) })).body.error.code).toBe('unknown_model');
    expect((await s.http.post(`/v1/agents/${agent}/estimate`, { provider: 'acme', operation: 'chat.completions', ...chat() })).status).toBe(400);
  });
});
