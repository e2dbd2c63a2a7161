// Three service processes on one PostgreSQL and one Redis: 500 concurrent metered calls spread
// over them, for a parallel agent and for an exclusive agent. The cap holds (sampled while the
// calls run, not only at the end), the §5 invariant is exact, the exclusive agent never has two
// calls at the provider at once (the fake's record), and no hold is left open.
import { brokenInvariants, budgetRow, chatBody, Cluster, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep } from './support/figures';

const CALLS = 500;
let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ instances: 3, env: { CAP_DB_POOL_MAX: '15' } });
}, 120_000);
afterAll(() => c?.close());

/** Samples the agent's budget row until stopped: the largest spent and spent + reserved seen. */
function sampleBudget(agentId: string) {
  let running = true;
  let samples = 0;
  let maxSpent = 0n;
  let maxCommitted = 0n;
  let maxInFlight = 0;
  const done = (async () => {
    while (running) {
      const b = await budgetRow(c.pool, agentId);
      const open = await openReservations(c.pool, agentId);
      samples++;
      if (b.spent > maxSpent) maxSpent = b.spent;
      if (b.spent + b.reserved > maxCommitted) maxCommitted = b.spent + b.reserved;
      if (open > maxInFlight) maxInFlight = open;
      await sleep(10);
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { samples, maxSpent, maxCommitted, maxInFlight };
    },
  };
}

/** Every instance has looked up the key and the agent once, so none starts the race late. */
async function warmUp(agentId: string) {
  for (const client of c.clients) expect((await client.get(`/v1/agents/${agentId}/budget`)).status).toBe(200);
}

function countStatuses(statuses: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

it(`${CALLS} concurrent calls over 3 instances for a parallel agent: never above the limit, invariant exact`, async () => {
  const limitCents = 120;
  const agent = await c.agent(limitCents, 'parallel');
  // Each call can produce up to 8,000 tokens (~0.48 ¢): ~250 full calls fit, the last ones clamped.
  c.fake.reset();
  c.fake.setBehavior({ usage: { input: 5 }, defaultOutputTokens: 8_000, latencyMs: 20 });
  await warmUp(agent);
  const sampler = sampleBudget(agent);
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: CALLS }, (_, i) =>
      c.clients[i % 3].post('/v1/chat/completions', chatBody(agent, { max_tokens: 8_000 }), { headers: { 'x-cynsta-agent-id': agent } }),
    ),
  );
  const elapsedMs = Date.now() - started;
  const sampled = await sampler.stop();
  const statuses = countStatuses(results.map((r) => r.status));
  const ok = statuses[200] ?? 0;
  expect((statuses[200] ?? 0) + (statuses[402] ?? 0)).toBe(CALLS);

  const limit = BigInt(limitCents) * 1_000_000n;
  const row = await budgetRow(c.pool, agent);
  const charged = c.fake.received.reduce((sum, r) => sum + BigInt(r.usage!.input * 15 + r.usage!.output * 60), 0n);
  expect(row.spent).toBeLessThanOrEqual(limit);
  expect(sampled.maxCommitted).toBeLessThanOrEqual(limit);
  expect(row.spent).toBe(charged);
  expect(c.fake.requestCount).toBe(ok);
  expect(ok).toBeGreaterThanOrEqual(240);
  expect(ok).toBeLessThan(CALLS);
  const perInstance = [0, 1, 2].map((k) => results.filter((r, i) => i % 3 === k && r.status === 200).length);
  expect(perInstance.every((n) => n > 0)).toBe(true);
  expect(await openReservations(c.pool)).toBe(0);
  expect(row.reserved).toBe(0n);
  expect(await brokenInvariants(c.pool)).toEqual([]);
  recordFigures('several-instances-parallel', {
    calls: CALLS,
    instances: 3,
    statuses,
    successes_per_instance: perInstance,
    limit_microcents: limit,
    spent_microcents: row.spent,
    provider_charged_microcents: charged,
    max_spent_plus_reserved_sampled_microcents: sampled.maxCommitted,
    max_open_holds_sampled: sampled.maxInFlight,
    budget_samples: sampled.samples,
    open_reservations_after: 0,
    elapsed_ms: elapsedMs,
  });
}, 120_000);

it(`${CALLS} concurrent calls over 3 instances for an exclusive agent: never two in flight`, async () => {
  const limitCents = 1_000;
  const agent = await c.agent(limitCents, 'exclusive');
  c.fake.reset();
  c.fake.setBehavior({ usage: { input: 5, output: 10 }, latencyMs: 25 });
  await warmUp(agent);
  const started = Date.now();
  // Started over ~3 s, so that the lock changes hands many times between instances.
  const results = await Promise.all(
    Array.from({ length: CALLS }, async (_, i) => {
      await sleep(Math.floor((i / CALLS) * 3_000));
      return c.clients[i % 3].post('/v1/chat/completions', chatBody(agent), { headers: { 'x-cynsta-agent-id': agent } });
    }),
  );
  const elapsedMs = Date.now() - started;
  const statuses = countStatuses(results.map((r) => r.status));
  const ok = statuses[200] ?? 0;
  expect(ok + (statuses[409] ?? 0)).toBe(CALLS);
  for (const r of results.filter((x) => x.status === 409)) {
    expect(r.body.error.code).toBe('agent_locked');
    expect(r.headers.get('retry-after')).toBeTruthy();
  }
  expect(c.fake.peakConcurrency(agent)).toBe(1);
  expect(c.fake.requestCount).toBe(ok);
  const winners = new Set(results.map((r, i) => (r.status === 200 ? i % 3 : -1)).filter((k) => k >= 0));
  expect(winners.size).toBe(3); // every instance got the lock at some point

  const row = await budgetRow(c.pool, agent);
  expect(row.spent).toBe(BigInt(ok) * BigInt(5 * 15 + 10 * 60));
  expect(await openReservations(c.pool)).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
  recordFigures('several-instances-exclusive', {
    calls: CALLS,
    instances: 3,
    statuses,
    instances_that_held_the_lock: winners.size,
    provider_peak_concurrency_for_agent: c.fake.peakConcurrency(agent),
    provider_calls: c.fake.requestCount,
    spent_microcents: row.spent,
    limit_microcents: BigInt(limitCents) * 1_000_000n,
    open_reservations_after: 0,
    elapsed_ms: elapsedMs,
  });
}, 120_000);
