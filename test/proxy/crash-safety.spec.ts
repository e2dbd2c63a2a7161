// SPEC §4 rule 10: a running call keeps its hold and lock alive; a dead instance's hold expires
// (charged in full) and its lock frees itself by TTL, so no budget stays blocked.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { RedisLocks } from '../../src/locks/redis-locks';
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { TEST_REDIS_URL } from '../support/test-env';
import { expectLedgerBalanced } from '../support/test-app';

let s: ProxyStack;
beforeAll(async () => {
  s = await startProxyStack({ redis: true, env: { CAP_RESERVATION_TTL_SECONDS: '5', CAP_SWEEP_INTERVAL_SECONDS: '1', CAP_LOCK_TTL_MS: '1500' } });
});
afterEach(() => expectLedgerBalanced(s.t.pool));
afterAll(() => s.close());

it('keeps the hold and the lock of a call that outlives their TTLs', async () => {
  const agent = await s.agent(100);
  s.fake.enqueue({ latencyMs: 7_000 });
  const slow = s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-cynsta-agent-id': agent } });
  await new Promise((r) => setTimeout(r, 3_000));
  const meanwhile = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-cynsta-agent-id': agent } });
  expect(meanwhile.status).toBe(409); // the lock (TTL 1.5 s) was renewed
  expect((await slow).status).toBe(200);
  const { rows } = await s.t.pool.query("SELECT kind FROM ledger_entries WHERE agent_id = $1 AND kind IN ('expire', 'settle')", [agent]);
  expect(rows.map((r) => r.kind)).toEqual(['settle']); // never expired while running
}, 20_000);

it("expires a dead instance's hold in full and frees its lock by TTL", async () => {
  const agent = await s.agent(100);
  // What a crashed instance leaves behind: an open hold and a held lock, never settled.
  const ledger = s.t.app.get(BudgetLedgerRepository);
  const hold = await ledger.hold({ tenantId: LOCAL_TENANT_ID, agentId: agent, runId: 'dead-run', requestId: randomUUID(), amountMicrocents: 2_000_000n, ttlSeconds: 2 });
  expect(hold.ok).toBe(true);
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const locks = new RedisLocks(redis, s.t.config.redisKeyPrefix);
    await new Promise((r) => setTimeout(r, 100)); // let the client connect
    const dead = await locks.acquire(LOCAL_TENANT_ID, agent, 'dead-run', 1_000);
    expect(dead.ok).toBe(true);
    const blocked = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-cynsta-agent-id': agent } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.locked_run_id).toBe('dead-run');

    await new Promise((r) => setTimeout(r, 3_500));
    const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0', spent_microcents: '2000000' });
    const { rows } = await s.t.pool.query("SELECT kind, amount_microcents FROM ledger_entries WHERE agent_id = $1 AND kind = 'expire'", [agent]);
    expect(rows).toEqual([{ kind: 'expire', amount_microcents: '-2000000' }]);
    const after = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-cynsta-agent-id': agent } });
    expect(after.status).toBe(200);
  } finally {
    redis.disconnect();
  }
}, 20_000);
