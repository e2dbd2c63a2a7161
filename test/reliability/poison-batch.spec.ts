// Issue 10.2 under load: one tenant's poison requests (amounts past any real value) among another
// tenant's hundreds of concurrent calls on three instances. Holds of both tenants meet in the same
// group-commit statements; the poison fails alone (400/402, never 500) and every ordinary call is
// answered 200.
import { randomBytes } from 'node:crypto';
import { brokenInvariants, chatBody, Cluster, OPERATOR_KEY, openReservations, startCluster } from './support/cluster';
import { recordFigures } from './support/figures';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ instances: 3, env: { CAP_DB_POOL_MAX: '15' } });
}, 120_000);
afterAll(() => c?.close());

const HUGE = 2 ** 53 - 1;

it("30 poison requests of one tenant among 300 concurrent calls of another: only the poison fails", async () => {
  c.fake.reset();
  const victim = await c.agent(1_000_000, 'parallel', 'victim');
  const operator = c.instances[0].http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const other = await operator.post('/v1/tenants', { name: `attacker-${randomBytes(3).toString('hex')}` });
  const attackers = c.instances.map((i) => i.http.withHeaders({ 'x-api-key': other.body.api_key.secret }));
  const attackerAgent = (await attackers[0].post('/v1/agents', { name: 'attacker', concurrency: 'parallel' })).body.agent_id;
  await attackers[0].post(`/v1/agents/${attackerAgent}/budget`, { hard_limit_cents: 100 });

  const poison = [{ n: HUGE }, { max_tokens: HUGE }, { max_tokens: HUGE, n: 128 }, { n: 1e300 }];
  const attacks = Array.from({ length: 30 }, (_, i) =>
    attackers[i % 3].post('/v1/chat/completions', chatBody(attackerAgent, poison[i % poison.length]), {
      headers: { 'x-cynsta-agent-id': attackerAgent, 'x-cynsta-clamp': i % 2 ? 'off' : 'on' },
    }),
  );
  const calls = Array.from({ length: 300 }, (_, i) =>
    c.clients[i % 3].post('/v1/chat/completions', chatBody(victim, { max_tokens: 20 }), { headers: { 'x-cynsta-agent-id': victim } }),
  );
  const [attacked, served] = await Promise.all([Promise.all(attacks), Promise.all(calls)]);
  const count = (rs: { status: number }[]) => rs.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  recordFigures('poison-batch', { victim_answers: count(served), poison_answers: count(attacked) });
  expect(count(served)).toEqual({ 200: 300 });
  expect(attacked.filter((r) => r.status >= 500)).toEqual([]);
  expect(await openReservations(c.pool)).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
}, 60_000);
