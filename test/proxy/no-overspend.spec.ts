// The cap holds under load (SPEC §4 rule 5, §5): 300 concurrent calls on one parallel agent whose
// budget fits about 60 never spend more than the limit, and the ledger stays exact.
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { expectLedgerBalanced } from '../support/test-app';

let s: ProxyStack;
beforeAll(async () => {
  s = await startProxyStack({ env: { CAP_DB_POOL_MAX: '20' } });
});
afterAll(() => s.close());

it('300 concurrent calls against a budget for ~60: never above the limit, invariant exact', async () => {
  const agent = await s.agent(30, { concurrency: 'parallel' });
  // Each call produces as much as its cap allows, up to 8,000 tokens (~0.48 ¢): ~62 full calls
  // fit in 30 ¢, and the last ones run with a cap clamped to what is left.
  s.fake.setBehavior({ usage: { input: 5 }, defaultOutputTokens: 8_000, latencyMs: 5 });
  const body = { model: 'gpt-4o-mini', max_tokens: 8_000, messages: [{ role: 'user', content: 'go' }] };
  const results = await Promise.all(
    Array.from({ length: 300 }, () => s.http.post('/v1/chat/completions', body, { headers: { 'x-cynsta-agent-id': agent } })),
  );
  const ok = results.filter((r) => r.status === 200).length;
  const refused = results.filter((r) => r.status === 402).length;
  expect(ok + refused).toBe(300);
  expect(ok).toBeGreaterThanOrEqual(60);
  expect(ok).toBeLessThan(100);

  const budget = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
  expect(BigInt(budget.spent_microcents)).toBeLessThanOrEqual(30_000_000n);
  const charged = s.fake.received.reduce((sum, r) => sum + BigInt(r.usage!.input * 15 + r.usage!.output * 60), 0n);
  expect(BigInt(budget.spent_microcents)).toBe(charged);
  expect(budget).toMatchObject({ in_flight: 0, reserved_microcents: '0' });
  expect(s.fake.requestCount).toBe(ok);
  await expectLedgerBalanced(s.t.pool);
});
