// An instance killed with SIGKILL in the middle of streaming and non-streaming calls: after the
// reservation TTL, another instance's sweeper has expired every hold it left (charged in full,
// SPEC §4 rule 10), the exclusive agent's lock is free, the §5 invariant is exact, and the ledger
// shows a `reserve` and an `expire` for each lost call.
import { brokenInvariants, budgetRow, chatBody, Cluster, ledgerKinds, openReservations, startCluster } from './support/cluster';
import { recordFigures, waitFor } from './support/figures';

const TTL_SECONDS = 5;
let c: Cluster;
beforeAll(async () => {
  c = await startCluster({
    instances: 2,
    env: { CAP_RESERVATION_TTL_SECONDS: String(TTL_SECONDS), CAP_SWEEP_INTERVAL_SECONDS: '1', CAP_LOCK_TTL_MS: '1500' },
  });
}, 120_000);
afterAll(() => c?.close());

const SLOW_ANSWER = '[[fake:latencyMs=60000]]';
const SLOW_STREAM = '[[fake:chunkDelayMs=300,output=200]]';

it('expires the holds of a killed instance in full, frees its lock, and keeps the invariant', async () => {
  const [victim, survivor] = c.clients;
  const parallel = await c.agent(100, 'parallel', 'crash-parallel');
  const exclusive = await c.agent(100, 'exclusive', 'crash-exclusive');
  const as = (agent: string) => ({ headers: { 'x-cynsta-agent-id': agent } });
  const body = (agent: string, marker: string, stream: boolean) =>
    chatBody(agent, { stream, messages: [{ role: 'user', content: `go [[agent:${agent}]] ${marker}` }] });

  const calls = [
    ...[1, 2, 3].map(() => victim.post('/v1/chat/completions', body(parallel, SLOW_ANSWER, false), as(parallel))),
    ...[1, 2, 3].map(() => victim.post('/v1/chat/completions', body(parallel, SLOW_STREAM, true), as(parallel))),
    victim.post('/v1/chat/completions', body(exclusive, SLOW_STREAM, true), as(exclusive)),
  ].map((p) => p.then((r) => r.status).catch(() => 'connection lost'));
  await c.fake.waitForRequests(7, 10_000);
  await new Promise((r) => setTimeout(r, 1_000)); // the streams are part-way through
  const heldBefore = await openReservations(c.pool);
  expect(heldBefore).toBe(7);
  const locked = await survivor.post('/v1/chat/completions', body(exclusive, '', false), as(exclusive));
  expect(locked.status).toBe(409); // the victim holds the exclusive agent's lock

  const killedAt = Date.now();
  expect(await c.instances[0].stop('SIGKILL')).toBeNull();
  const clientSaw = await Promise.all(calls);

  // Right after the crash the holds are still there: the cap stays safe while they are open.
  expect(await openReservations(c.pool)).toBeGreaterThan(0);
  const { ms: sweptAfterMs } = await waitFor(async () => (await openReservations(c.pool)) === 0, (TTL_SECONDS + 10) * 1000, 100);
  const sweptAt = Date.now();
  const { ms: lockFreeAfterMs } = await waitFor(
    async () => (await survivor.post('/v1/chat/completions', body(exclusive, '', false), as(exclusive))).status === 200,
    10_000,
    200,
  );

  const parallelKinds = await ledgerKinds(c.pool, parallel);
  const exclusiveKinds = await ledgerKinds(c.pool, exclusive);
  expect(parallelKinds).toEqual({ limit_set: 1, reserve: 6, expire: 6 });
  expect(exclusiveKinds).toEqual({ limit_set: 1, reserve: 2, expire: 1, settle: 1, release: 1 });
  const { rows: expires } = await c.pool.query(
    `SELECT e.amount_microcents, r.amount_microcents AS hold FROM ledger_entries e JOIN reservations r ON r.id = e.reservation_id
      WHERE e.kind = 'expire' AND e.agent_id = ANY($1::text[])`,
    [[parallel, exclusive]],
  );
  for (const e of expires) expect(BigInt(e.amount_microcents)).toBe(-BigInt(e.hold)); // charged in full
  const p = await budgetRow(c.pool, parallel);
  expect(p.reserved).toBe(0n);
  expect(p.spent).toBe(await expiredHold(parallel)); // the parallel agent spent exactly its expired holds
  expect(p.spent).toBeLessThanOrEqual(p.credited);
  expect(await openReservations(c.pool)).toBe(0);
  expect(await brokenInvariants(c.pool)).toEqual([]);
  recordFigures('crash', {
    calls_in_flight_when_killed: heldBefore,
    killed: 'SIGKILL, 3 non-streaming + 3 streaming calls (parallel agent) and 1 streaming call (exclusive agent)',
    what_clients_saw: clientSaw,
    reservation_ttl_seconds: TTL_SECONDS,
    all_holds_expired_after_kill_ms: sweptAt - killedAt,
    waited_for_sweep_ms: sweptAfterMs,
    exclusive_lock_free_after_sweep_ms: lockFreeAfterMs,
    ledger_parallel_agent: parallelKinds,
    ledger_exclusive_agent: exclusiveKinds,
    parallel_spent_microcents: p.spent,
    parallel_credited_microcents: p.credited,
    open_reservations_after: 0,
  });
}, 60_000);

async function expiredHold(agent: string): Promise<bigint> {
  const { rows } = await c.pool.query(`SELECT COALESCE(-sum(amount_microcents), 0) AS s FROM ledger_entries WHERE kind = 'expire' AND agent_id = $1`, [agent]);
  return BigInt(rows[0].s);
}
