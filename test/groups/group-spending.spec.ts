// Metered calls through groups (SPEC §10), against the fake provider: a call of an agent in a
// nested group holds on every budget of its path (the agent, its group, the group's parent) in one
// step, settles and releases on each, and a 402 names the group that refused. Moving an agent
// moves its future spending only. The ledger invariant is checked on every level after each test.
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack();

const as = (agent: string, extra: Record<string, string> = {}) => ({ headers: { 'x-cynsta-agent-id': agent, ...extra } });
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, ...extra });

async function group(name: string, limitCents?: number, parent?: string): Promise<string> {
  const res = await s.http.post('/v1/groups', { name, ...(parent ? { parent_group_id: parent } : {}) });
  expect(res.status).toBe(201);
  if (limitCents !== undefined) expect((await s.http.post(`/v1/groups/${res.body.group_id}/budget`, { hard_limit_cents: limitCents })).status).toBe(200);
  return res.body.group_id;
}

async function agentIn(groupId: string, limitCents?: number): Promise<string> {
  const res = await s.http.post('/v1/agents', { name: 'grouped', concurrency: 'parallel', group_id: groupId });
  expect(res.status).toBe(201);
  if (limitCents !== undefined) await s.http.post(`/v1/agents/${res.body.agent_id}/budget`, { hard_limit_cents: limitCents });
  return res.body.agent_id;
}

/** A group's ledger, oldest first, as [kind, agent_id, request_id]. */
async function groupLedger(groupId: string): Promise<[string, string | null, string | null][]> {
  const res = await s.http.get(`/v1/groups/${groupId}/ledger?limit=500`);
  expect(res.status).toBe(200);
  return res.body.entries.reverse().map((e: { kind: string; agent_id: string | null; request_id: string | null }) => [e.kind, e.agent_id, e.request_id]);
}

describe('a call of an agent in a nested group', () => {
  it('holds on the agent, its group and the parent group, then settles and releases on each', async () => {
    const parent = await group('org', 1_000);
    const child = await group('team', 500, parent);
    const agent = await agentIn(child, 100);
    s.fake.setBehavior({ usage: { input: 1000, output: 50 } });
    const res = await s.http.post('/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'lorem '.repeat(2_000) }] }), as(agent));
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-cynsta-request-id');

    // One reservation, held on the three budgets.
    const { rows } = await s.t.pool.query(
      'SELECT b.level, b.owner_id FROM reservations r JOIN budgets b ON b.id = ANY (r.budget_ids) WHERE r.agent_id = $1',
      [agent],
    );
    expect(rows.map((r) => `${r.level}:${r.owner_id}`).sort()).toEqual([`agent:${agent}`, `group:${child}`, `group:${parent}`].sort());

    // 1000 × 15 µ¢ + 50 × 60 µ¢ = 18,000 µ¢ spent on every level.
    for (const id of [child, parent]) {
      expect(await groupLedger(id)).toEqual([
        ['limit_set', null, null],
        ['reserve', agent, requestId],
        ['settle', agent, requestId],
        ['release', agent, requestId],
      ]);
      const budget = await s.http.get(`/v1/groups/${id}/budget`);
      expect(budget.body).toMatchObject({ level: 'group', level_id: id, spent_microcents: '18000', spent_cents: 1, reserved_cents: 0, in_flight: 0 });
    }
    expect((await s.http.get(`/v1/agents/${agent}/budget`)).body.spent_microcents).toBe('18000');
  });

  it('spends from the groups alone when the agent has no budget of its own', async () => {
    const parent = await group('org-only', 100);
    const agent = await agentIn(await group('team-nobudget', undefined, parent));
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
    expect(BigInt((await s.http.get(`/v1/groups/${parent}/budget`)).body.spent_microcents)).toBeGreaterThan(0n);
  });

  it.each(['child', 'parent'] as const)('answers 402 naming the %s group when its budget refuses, and holds nothing anywhere', async (which) => {
    const parent = await group('org-402', which === 'parent' ? 1 : 1_000);
    const child = await group('team-402', which === 'child' ? 1 : 1_000, parent);
    const agent = await agentIn(child, 1_000);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent, { 'x-cynsta-clamp': 'off' }));
    expect(res.status).toBe(402);
    const refusing = which === 'child' ? child : parent;
    expect(res.body).toMatchObject({
      error: { type: 'insufficient_budget', code: 'insufficient_budget' },
      level: 'group',
      level_id: refusing,
      remaining_cents: 1,
      required_cents: expect.any(Number),
    });
    expect(res.body.error.message).toContain(`group budget (${refusing})`);
    expect(s.fake.requestCount).toBe(0);
    const { rows } = await s.t.pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE agent_id = $1 AND kind = 'reserve'", [agent]);
    expect(rows[0].n).toBe(0);
  });

  it("clamps the output cap to what the tightest group affords", async () => {
    const parent = await group('org-clamp', 1);
    const agent = await agentIn(await group('team-clamp', 1_000, parent), 1_000);
    const res = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent));
    expect(res.status).toBe(200);
    // 1 cent at 1,400 µ¢ per output token: under 714 tokens.
    expect(Number(res.headers.get('x-cynsta-max-tokens'))).toBeLessThan(714);
  });
});

describe('a chain of 8 groups, the deepest allowed', () => {
  it('holds on every group of the chain, and the outermost one can refuse', async () => {
    const chain: string[] = [];
    for (let depth = 1; depth <= 8; depth++) chain.push(await group(`depth-${depth}`, 1_000, chain.at(-1)));
    const agent = await agentIn(chain[7]);
    const ok = await s.http.post('/v1/chat/completions', chat(), as(agent));
    expect(ok.status).toBe(200);
    const { rows } = await s.t.pool.query('SELECT cardinality(budget_ids) AS n FROM reservations WHERE agent_id = $1', [agent]);
    expect(rows).toEqual([{ n: 8 }]);
    for (const id of chain) expect(BigInt((await s.http.get(`/v1/groups/${id}/budget`)).body.spent_microcents)).toBeGreaterThan(0n);

    await s.http.post(`/v1/groups/${chain[0]}/budget`, { hard_limit_cents: 1 });
    const refused = await s.http.post('/v1/chat/completions', chat({ model: 'gpt-5.2', max_tokens: 100_000 }), as(agent, { 'x-cynsta-clamp': 'off' }));
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({ level: 'group', level_id: chain[0] });
  });
});

describe('moving an agent to another group', () => {
  it('moves its future spending only: what it spent stays where it was spent', async () => {
    const a = await group('before-move', 1_000);
    const b = await group('after-move', 1_000);
    const agent = await agentIn(a, 1_000);
    const first = await s.http.post('/v1/chat/completions', chat(), as(agent));
    expect(first.status).toBe(200);
    const spentInA = (await s.http.get(`/v1/groups/${a}/budget`)).body.spent_microcents;
    expect(BigInt(spentInA)).toBeGreaterThan(0n);

    expect((await s.http.patch(`/v1/agents/${agent}`, { group_id: b })).body.group_id).toBe(b);
    const second = await s.http.post('/v1/chat/completions', chat(), as(agent));
    expect(second.status).toBe(200);

    const firstId = first.headers.get('x-cynsta-request-id');
    const secondId = second.headers.get('x-cynsta-request-id');
    expect(new Set((await groupLedger(a)).map((e) => e[2]))).toEqual(new Set([null, firstId]));
    expect(new Set((await groupLedger(b)).map((e) => e[2]))).toEqual(new Set([null, secondId]));
    expect((await s.http.get(`/v1/groups/${a}/budget`)).body.spent_microcents).toBe(spentInA);
    expect(BigInt((await s.http.get(`/v1/groups/${b}/budget`)).body.spent_microcents)).toBeGreaterThan(0n);

    // Out of every group: neither group's budget sees the next call.
    await s.http.patch(`/v1/agents/${agent}`, { group_id: null });
    expect((await s.http.post('/v1/chat/completions', chat(), as(agent))).status).toBe(200);
    expect((await groupLedger(b)).filter((e) => e[0] === 'reserve')).toHaveLength(1);
  });

  it('settles a call in flight during the move on the groups it was held on', async () => {
    const a = await group('inflight-a', 1_000);
    const b = await group('inflight-b', 1_000);
    const agent = await agentIn(a, 1_000);
    s.fake.setBehavior({ latencyMs: 400 });
    const call = s.http.post('/v1/chat/completions', chat(), as(agent));
    for (let i = 0; i < 50 && (await s.http.get(`/v1/groups/${a}/budget`)).body.in_flight === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await s.http.patch(`/v1/agents/${agent}`, { group_id: b })).status).toBe(200);
    expect((await call).status).toBe(200);
    expect((await groupLedger(a)).map((e) => e[0])).toEqual(['limit_set', 'reserve', 'settle', 'release']);
    expect((await groupLedger(b)).map((e) => e[0])).toEqual(['limit_set']);
  });
});
