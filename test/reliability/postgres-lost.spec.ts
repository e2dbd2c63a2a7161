// PostgreSQL lost, cut with a TCP proxy between the instances and the server (the shared server
// stays up for everyone else): metered calls and admin writes fail closed with 503, nothing is
// half-written (the tables are exactly as before the cut, save what a call already in flight
// had committed), and the service recovers by itself when the network is back.
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { brokenInvariants, chatBody, Cluster, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep, waitFor } from './support/figures';

let proxy: TcpProxy;
let c: Cluster;
beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  c = await startCluster({
    instances: 2,
    env: { CAP_RESERVATION_TTL_SECONDS: '5', CAP_SWEEP_INTERVAL_SECONDS: '1', CAP_DB_STATEMENT_TIMEOUT_MS: '2000', CAP_KEY_CACHE_TTL_MS: '0' },
    instanceDatabaseUrl: (direct) => {
      const url = new URL(direct);
      url.port = String(proxy.port);
      return url.toString();
    },
  });
}, 120_000);
afterAll(async () => {
  await c?.close();
  await proxy?.close();
});

/** Every row count and the ledger's last sequence number: what "nothing changed" compares. */
async function snapshot() {
  const { rows } = await c.pool.query(`
    SELECT (SELECT count(*) FROM agents) AS agents, (SELECT count(*) FROM budgets) AS budgets,
           (SELECT count(*) FROM ledger_entries) AS ledger, (SELECT count(*) FROM reservations) AS reservations,
           (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM api_keys) AS api_keys,
           (SELECT COALESCE(sum(remaining_microcents), 0) FROM budgets) AS remaining`);
  return rows[0];
}

it('fails metered calls and admin writes closed with 503 while PostgreSQL is cut, writes nothing half-way, recovers by itself', async () => {
  const parallel = await c.agent(100, 'parallel', 'pg-parallel');
  const exclusive = await c.agent(100, 'exclusive', 'pg-exclusive');
  const as = (agent: string) => ({ headers: { 'x-cynsta-agent-id': agent } });
  for (const client of c.clients) expect((await client.post('/v1/chat/completions', chatBody(parallel), as(parallel))).status).toBe(200);

  // One call is at the provider when the cut comes: its settle cannot be written.
  const inFlight = c.clients[0]
    .post('/v1/chat/completions', chatBody(parallel, { messages: [{ role: 'user', content: 'slow [[fake:latencyMs=1500]]' }] }), as(parallel))
    .then((r) => r.status)
    .catch(() => 'connection lost');
  await c.fake.waitForRequests(3, 5_000);
  const before = await snapshot();
  proxy.cut();
  const cutAt = Date.now();

  const statuses: Record<string, number[]> = { metered_parallel: [], metered_exclusive: [], admin_writes: [], admin_reads: [] };
  const bodies: unknown[] = [];
  const note = (kind: string, res: { status: number; body: any }) => {
    statuses[kind].push(res.status);
    if (res.status !== 503) bodies.push({ kind, status: res.status, body: res.body });
  };
  for (let round = 0; round < 3; round++) {
    for (const client of c.clients) {
      note('metered_parallel', await client.post('/v1/chat/completions', chatBody(parallel), as(parallel)));
      note('metered_exclusive', await client.post('/v1/chat/completions', chatBody(exclusive), as(exclusive)));
      note('admin_writes', await client.post('/v1/agents', { name: 'during-cut' }));
      note('admin_writes', await client.post(`/v1/agents/${parallel}/budget/topup`, { amount_cents: 5 }));
      note('admin_writes', await client.post(`/v1/agents/${parallel}/budget`, { hard_limit_cents: 500 }));
      note('admin_writes', await client.post(`/v1/agents/${parallel}/runs`, {}));
      note('admin_reads', await client.get(`/v1/agents/${parallel}/budget`));
    }
  }
  const inFlightStatus = await inFlight;
  const ready = await c.instances[1].http.get('/health/ready');
  await sleep(Math.max(0, 3_000 - (Date.now() - cutAt)));
  const after = await snapshot();
  proxy.restore();
  const restoredAt = Date.now();

  if (process.env.SG_DEBUG) process.stdout.write(c.instances[0].output().slice(-6000));
  expect(bodies).toEqual([]); // every answer was a 503
  expect(ready.status).toBe(503);
  expect(ready.body.checks.database).not.toBe('ok');
  // Nothing was written while cut. The in-flight call's hold was committed before the cut and
  // stays open (its settle was lost); the sweeper expires it once the database is back.
  expect(after).toEqual(before);

  const recovered = await Promise.all(
    c.clients.map((client) => waitFor(async () => (await client.post('/v1/chat/completions', chatBody(parallel), as(parallel))).status === 200, 20_000, 200)),
  );
  expect((await c.clients[1].post('/v1/agents', { name: 'after-cut' })).status).toBe(201);
  await waitFor(async () => (await openReservations(c.pool)) === 0, 15_000, 200);
  const { rows: lost } = await c.pool.query(
    `SELECT kind FROM ledger_entries WHERE agent_id = $1 AND kind IN ('expire', 'settle') ORDER BY seq`,
    [parallel],
  );
  expect(await brokenInvariants(c.pool)).toEqual([]);
  recordFigures('postgres-lost', {
    instances: 2,
    cut_ms: restoredAt - cutAt,
    requests_during_cut: Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, { count: v.length, statuses: [...new Set(v)] }])),
    call_in_flight_at_cut_client_saw: inFlightStatus,
    ready_during_cut: ready.body,
    tables_unchanged_during_cut: true,
    recovery_ms_per_instance: recovered.map((r) => r.ms),
    settle_or_expire_entries_parallel_agent: lost.map((r) => r.kind),
    open_reservations_after: 0,
  });
}, 90_000);
