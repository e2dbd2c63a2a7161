// Redis lost (a Redis of the test's own, killed and started again on the same port): exclusive
// agents fail closed with 503 and hold nothing, parallel agents and the admin API carry on, and
// everything recovers by itself once Redis is back.
import { OwnRedis, startOwnRedis } from '../support/redis-server';
import { brokenInvariants, chatBody, Cluster, ledgerKinds, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep, waitFor } from './support/figures';

let redis: OwnRedis;
let c: Cluster;
beforeAll(async () => {
  redis = await startOwnRedis();
  c = await startCluster({ instances: 2, redisUrl: redis.url });
}, 120_000);
afterAll(async () => {
  await c?.close();
  await redis?.stop();
});

it('fails exclusive calls closed with 503 while Redis is down; parallel calls and the admin API carry on; recovers by itself', async () => {
  const exclusive = await c.agent(100, 'exclusive', 'redis-exclusive');
  const parallel = await c.agent(100, 'parallel', 'redis-parallel');
  const as = (agent: string) => ({ headers: { 'x-cynsta-agent-id': agent } });
  for (const client of c.clients) {
    expect((await client.post('/v1/chat/completions', chatBody(exclusive), as(exclusive))).status).toBe(200);
  }

  await redis.stop();
  const downAt = Date.now();
  const duringExclusive: number[] = [];
  const duringParallel: number[] = [];
  const duringAdmin: number[] = [];
  const codes = new Set<string>();
  for (let round = 0; round < 5; round++) {
    for (const client of c.clients) {
      const ex = await client.post('/v1/chat/completions', chatBody(exclusive), as(exclusive));
      duringExclusive.push(ex.status);
      codes.add(ex.body?.error?.code);
      duringParallel.push((await client.post('/v1/chat/completions', chatBody(parallel), as(parallel))).status);
      const created = await client.post('/v1/agents', { name: `during-outage-${round}`, concurrency: 'parallel' });
      duringAdmin.push(created.status);
      duringAdmin.push((await client.post(`/v1/agents/${created.body.agent_id}/budget`, { hard_limit_cents: 10 })).status);
      duringAdmin.push((await client.post(`/v1/agents/${parallel}/budget/topup`, { amount_cents: 1 })).status);
      duringAdmin.push((await client.get(`/v1/agents/${exclusive}/ledger`)).status);
    }
  }
  const ready = await c.instances[0].http.get('/health/ready');
  expect(ready.status).toBe(503);
  expect(ready.body.checks.redis).not.toBe('ok');
  expect(new Set(duringExclusive)).toEqual(new Set([503]));
  expect([...codes]).toEqual(['lock_service_unavailable']);
  expect(new Set(duringParallel)).toEqual(new Set([200]));
  expect(duringAdmin.every((s) => s >= 200 && s < 300)).toBe(true);
  // Refused before any hold: the exclusive agent's ledger has only the two calls made before.
  expect(await ledgerKinds(c.pool, exclusive)).toEqual({ limit_set: 1, reserve: 2, settle: 2, release: 2 });

  await sleep(Math.max(0, 3_000 - (Date.now() - downAt))); // an outage of 3 s at least
  await redis.start();
  const upAt = Date.now();
  const recovered = await Promise.all(
    c.clients.map((client) =>
      waitFor(async () => (await client.post('/v1/chat/completions', chatBody(exclusive), as(exclusive))).status === 200, 15_000, 100),
    ),
  );
  expect((await c.instances[1].http.get('/health/ready')).status).toBe(200);
  expect(c.fake.peakConcurrency(exclusive)).toBe(1);
  expect(await openReservations(c.pool)).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
  recordFigures('redis-lost', {
    instances: 2,
    outage_ms: upAt - downAt,
    exclusive_calls_during_outage: duringExclusive.length,
    exclusive_statuses_during_outage: [...new Set(duringExclusive)],
    exclusive_error_code: [...codes],
    parallel_calls_during_outage: duringParallel.length,
    parallel_statuses_during_outage: [...new Set(duringParallel)],
    admin_requests_during_outage: duringAdmin.length,
    admin_statuses_during_outage: [...new Set(duringAdmin)],
    ready_during_outage: ready.body,
    recovery_ms_per_instance_after_redis_back: recovered.map((r) => r.ms),
    open_reservations_after: 0,
  });
}, 60_000);
