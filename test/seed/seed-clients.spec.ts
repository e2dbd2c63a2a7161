// SPEC §2, issue 11.1: the seed's own clients, unchanged. Every request here goes out as the
// seed's Python CLI and client send it (python-requests: its headers, `content-type:
// application/json` with an empty body on `agent delete` and `run create`), over a raw socket.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { estimateInputTokens } from '../../src/pricing/estimator';
import { findCard } from '../../src/pricing/price-table';
import { PricingService } from '../../src/pricing/pricing.service';
import { worstCaseHoldMicrocents } from '../../src/pricing/worst-case-hold';
import { useProxyStack } from '../support/proxy-stack';

const s = useProxyStack({ env: { CAP_LIST_MAX: '75' } });

/** What python-requests puts on every request (requests.Session defaults). */
const PYTHON_REQUESTS = { 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' };

interface SeedResponse {
  status: number;
  body: any;
}

/** One request exactly as the seed sends it: JSON content-type always, the body as given ('' for none). */
function seedRequest(method: string, path: string, body = '', extra: Record<string, string> = {}): Promise<SeedResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, s.t.url), {
      method,
      agent: false,
      headers: { ...PYTHON_REQUESTS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...extra },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (value: unknown) => JSON.stringify(value);

describe('the seed CLI and client, byte for byte', () => {
  it('`agent delete` and `run create` send an empty JSON body: read as {}', async () => {
    const created = await seedRequest('POST', '/v1/agents', json({ name: 'seed-agent' }));
    expect(created.status).toBe(201);
    const id = created.body.agent_id;
    const run = await seedRequest('POST', `/v1/agents/${id}/runs`);
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ agent_id: id, run_id: expect.any(String) });
    const deleted = await seedRequest('DELETE', `/v1/agents/${id}`);
    expect(deleted).toEqual({ status: 200, body: { agent_id: id, deleted: true } });
  });

  it('keeps existing ids: a client-chosen agent_id, PUT by id, and a budget set on an id never created', async () => {
    const named = await seedRequest('POST', '/v1/agents', json({ agent_id: 'ci-bot.main:1', name: 'ci' }));
    expect(named).toMatchObject({ status: 201, body: { agent_id: 'ci-bot.main:1', name: 'ci' } });
    expect((await seedRequest('POST', '/v1/agents', json({ agent_id: 'ci-bot.main:1' }))).status).toBe(409);
    expect((await seedRequest('POST', '/v1/agents', json({ agent_id: 'has space' }))).status).toBe(400);

    const put = await seedRequest('PUT', '/v1/agents/nightly', json({ name: 'nightly', concurrency: 'parallel' }));
    expect(put).toMatchObject({ status: 201, body: { agent_id: 'nightly', concurrency: 'parallel' } });
    const again = await seedRequest('PUT', '/v1/agents/nightly', json({ name: 'nightly-2' }));
    expect(again).toMatchObject({ status: 200, body: { agent_id: 'nightly', name: 'nightly-2', concurrency: 'parallel' } });

    // The seed's store made the agent of a budget set on an id it had never seen.
    const seedId = randomUUID();
    const set = await seedRequest('POST', `/v1/agents/${seedId}/budget`, json({ hard_limit_cents: 5000, topup_cents: 5000 }));
    expect(set).toMatchObject({ status: 200, body: { agent_id: seedId, hard_limit_cents: 5000, remaining_cents: 5000 } });
    expect((await seedRequest('GET', `/v1/agents/${seedId}`)).body).toMatchObject({ agent_id: seedId, concurrency: 'exclusive' });
    // And the seed's OpenAI pattern pays with that id at once.
    const call = await seedRequest('POST', '/v1/chat/completions', json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }), {
      'x-cynsta-agent-id': seedId,
    });
    expect(call.status).toBe(200);
  });

  it('`agent list` / list_agents() get every agent, not the first 50', async () => {
    const before = (await seedRequest('GET', '/v1/agents')).body.agents.length;
    await Promise.all(Array.from({ length: 60 }, (_, i) => seedRequest('POST', '/v1/agents', json({ name: `many-${i}` }))));
    const all = await seedRequest('GET', '/v1/agents');
    expect(all.body.agents).toHaveLength(Math.min(before + 60, 75));
    // Past CAP_LIST_MAX (75 here) the answer says there is more.
    if (before + 60 > 75) expect(all.body.next_cursor).toEqual(expect.any(String));
    else expect(all.body.next_cursor).toBeNull();
    await Promise.all(Array.from({ length: 20 }, (_, i) => seedRequest('POST', '/v1/agents', json({ name: `more-${i}` }))));
    const capped = await seedRequest('GET', '/v1/agents');
    expect(capped.body.agents).toHaveLength(75);
    expect(capped.body.next_cursor).toEqual(expect.any(String));
    // Paging as before when a limit is asked for.
    expect((await seedRequest('GET', '/v1/agents?limit=10')).body.agents).toHaveLength(10);
  });

  it('the explicit Anthropic route answers the seed\'s {completion, raw, usage, billing_breakdown}', async () => {
    const agent = await s.agent(100);
    s.fake.setBehavior({ usage: { input: 20, output: 7, cacheRead: 3 } });
    const res = await seedRequest(
      'POST',
      `/v1/agents/${agent}/runs/r-seed/anthropic/messages`,
      json({ model: 'claude-opus-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['completion', 'raw', 'usage', 'billing_breakdown']);
    const text = res.body.raw.content.filter((b: { type: string }) => b.type === 'text').map((b: { text: string }) => b.text).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(res.body.completion).toBe(text);
    expect(res.body.raw).toMatchObject({ type: 'message', role: 'assistant', usage: { input_tokens: 20, output_tokens: 7 } });
    expect(res.body.usage).toEqual({ tokens_in: 23, tokens_out: 7 });
    const settle = await s.t.pool.query("SELECT amount_microcents FROM ledger_entries WHERE agent_id = $1 AND kind = 'settle'", [agent]);
    expect(res.body.billing_breakdown.total_microcents).toBe(String(-BigInt(settle.rows[0].amount_microcents)));
    // The header-routed route keeps the native answer for the Anthropic SDK.
    const native = await seedRequest('POST', '/v1/messages', json({ model: 'claude-opus-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }), {
      'x-cynsta-agent-id': agent,
    });
    expect(native.body).toMatchObject({ type: 'message', usage: { input_tokens: 20 } });
  });
});

describe("the seed's error strings (detail), our sentence in error.message", () => {
  const chat = (extra: Record<string, unknown> = {}) => json({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...extra });

  async function expectDetail(res: Promise<SeedResponse>, status: number, detail: string | RegExp) {
    const r = await res;
    expect(r.status).toBe(status);
    if (typeof detail === 'string') expect(r.body.detail).toBe(detail);
    else expect(r.body.detail).toMatch(detail);
    expect(r.body.error.message.length).toBeGreaterThan(0);
  }

  it('admin routes', async () => {
    const id = (await seedRequest('POST', '/v1/agents', json({ name: 'errs' }))).body.agent_id;
    await expectDetail(seedRequest('POST', '/v1/agents', json({ name: 5 })), 400, 'name must be a string');
    await expectDetail(seedRequest('PATCH', `/v1/agents/${id}`, json({})), 400, 'name is required (string)');
    await expectDetail(seedRequest('PATCH', `/v1/agents/${id}`, json({ name: 7 })), 400, 'name is required (string)');
    await expectDetail(seedRequest('PATCH', `/v1/agents/${id}`, json({ name: '' })), 400, 'name must be a non-empty string');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({})), 400, 'hard_limit_cents is required (int)');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({ hard_limit_cents: 'many' })), 400, 'hard_limit_cents is required (int)');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({ hard_limit_cents: 1.5 })), 400, 'hard_limit_cents is required (int)');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({ hard_limit_cents: 0 })), 400, 'hard_limit_cents must be > 0');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({ hard_limit_cents: 5, topup_cents: 'x' })), 400, 'topup_cents must be an int');
    await expectDetail(seedRequest('POST', `/v1/agents/${id}/budget`, json({ hard_limit_cents: 5, topup_cents: -1 })), 400, 'topup_cents must be >= 0');
    await expectDetail(seedRequest('GET', `/v1/agents/${randomUUID()}`), 404, 'Agent not found');
    await expectDetail(seedRequest('GET', `/v1/agents/${id}/budget`), 404, 'Budget not found');
  });

  it('metered routes', async () => {
    const agent = await s.agent(100);
    const as = { 'x-cynsta-agent-id': agent };
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat()), 400, 'Missing x-cynsta-agent-id header');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat({ model: 'gpt-unknown' }), as), 400, 'Unknown model for pricing: openai:gpt-unknown');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', '[]', as), 400, 'Invalid request body');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', json({ messages: [] }), as), 400, 'model is required');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat({ max_tokens: 0 }), as), 400, 'max_tokens must be a positive int');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat({ max_tokens: '5' }), as), 400, 'max_tokens must be a positive int');
    await expectDetail(seedRequest('POST', '/v1/responses', json({ model: 'gpt-4o-mini', input: 'hi', max_output_tokens: -3 }), as), 400, 'max_output_tokens must be a positive int');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat({ temperature: 'hot' }), as), 400, 'temperature must be a number');
    s.fake.enqueue({ status: 500, errorMessage: 'boom' });
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat(), as), 502, /^OpenAI request failed: 500 /);
    const none = (await seedRequest('POST', '/v1/agents', json({}))).body.agent_id;
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat(), { 'x-cynsta-agent-id': none }), 404, 'Budget not found');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat(), { 'x-cynsta-agent-id': randomUUID() }), 404, 'Agent not found');
  });

  it('402: the input alone, then not one output token', async () => {
    const agent = await s.agent(1);
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 };
    const card = findCard(s.t.app.get(PricingService).current()!.table, 'openai', 'gpt-4o-mini')!;
    const input = estimateInputTokens({ provider: 'openai', operation: 'chat.completions', model: 'gpt-4o-mini', body });
    const inputHold = worstCaseHoldMicrocents(card, input.inputTokens, 0, { toolCalls: input.toolCalls });
    const ledger = s.t.app.get(BudgetLedgerRepository);
    const hold = (amount: bigint) => ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId: agent, runId: 'fill', requestId: randomUUID(), amountMicrocents: amount, ttlSeconds: 60 });
    // Leave exactly the input's hold, plus less than one output token's price.
    const filler = await hold(1_000_000n - inputHold - 1n);
    if (!filler.ok) throw new Error('filler');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', json(body), { 'x-cynsta-agent-id': agent }), 402, 'Insufficient budget');
    const more = await hold(2n);
    if (!more.ok) throw new Error('more');
    await expectDetail(seedRequest('POST', '/v1/chat/completions', json(body), { 'x-cynsta-agent-id': agent }), 402, 'Insufficient budget for request input');
    await filler.reservation.release();
    await more.reservation.release();
  });

  it('409: an exclusive agent with a call in flight', async () => {
    const agent = await s.agent(100);
    s.fake.enqueue({ latencyMs: 1_000 });
    const slow = seedRequest('POST', '/v1/chat/completions', chat(), { 'x-cynsta-agent-id': agent });
    await s.fake.waitForRequests(1);
    await expectDetail(seedRequest('POST', '/v1/chat/completions', chat(), { 'x-cynsta-agent-id': agent }), 409, 'Agent budget is locked by an in-flight run');
    expect((await slow).status).toBe(200);
  });
});
