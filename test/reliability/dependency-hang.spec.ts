// A PostgreSQL or a Redis that hangs (the connection stays open, no answer ever comes) rather
// than refuses (SPEC §8): every request that needs it gets a 503 in the §8 shape within about its
// bound (CAP_DB_QUERY_TIMEOUT_MS, CAP_REDIS_COMMAND_TIMEOUT_MS), not a wait as long as the hang
// nor a 409, nothing stays held, and the service recovers by itself once it answers again. One
// service in this process, in front of the fake provider; PostgreSQL behind a TCP proxy the test
// stalls, Redis a private one paused with CLIENT PAUSE or DEBUG SLEEP.
import Redis from 'ioredis';
import { Pool } from 'pg';
import { OwnRedis, startOwnRedis } from '../support/redis-server';
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, testPool } from '../support/test-database';
import { expectLedgerBalanced, HttpClient, TestResponse } from '../support/test-app';
import { SERVER_DATABASE_URL } from '../support/test-env';
import { chatBody, ledgerKinds, openReservations } from './support/cluster';
import { recordFigures, sleep, waitFor } from './support/figures';

const DB_TIMEOUT_MS = 1_000;
const REDIS_TIMEOUT_MS = 1_000;
/** The readiness probe's own bound (src/health/health.controller.ts). */
const READY_TIMEOUT_MS = 1_500;
/** Room for a loaded 2-core machine; still well under the hangs below (3 to 4 s). */
const MARGIN_MS = 1_500;
/** A request still unanswered after this long is a hang: the test gives up on it. */
const NO_ANSWER_MS = 10_000;
const HANG_MS = 4_000;

interface Timed {
  status: number | 'no answer';
  body: any;
  ms: number;
}

async function timed(send: (signal: AbortSignal) => Promise<TestResponse>): Promise<Timed> {
  const started = Date.now();
  try {
    const res = await send(AbortSignal.timeout(NO_ANSWER_MS));
    return { status: res.status, body: res.body, ms: Date.now() - started };
  } catch {
    return { status: 'no answer', body: undefined, ms: Date.now() - started };
  }
}

const metered = (http: HttpClient, agent: string, extra: Record<string, unknown> = {}) => (signal: AbortSignal) =>
  http.post('/v1/chat/completions', chatBody(agent, extra), { headers: { 'x-cynsta-agent-id': agent }, signal });

/** A 503 with `code`, in the SPEC §8 shape, within `boundMs` plus the margin. */
function expect503(name: string, r: Timed, code: string, boundMs: number) {
  expect({ name, status: r.status, code: r.body?.error?.code }).toEqual({ name, status: 503, code });
  expect(typeof r.body.error.type).toBe('string');
  expect(r.body.detail).toBe(r.body.error.message);
  expect({ name, ms: r.ms, within: r.ms < boundMs + MARGIN_MS }).toEqual({ name, ms: r.ms, within: true });
}

async function budgetHeld(pool: Pool, agentId: string) {
  const { rows } = await pool.query('SELECT reserved_microcents::text AS reserved, in_flight FROM budgets WHERE agent_id = $1', [agentId]);
  return rows[0];
}

describe('PostgreSQL hangs', () => {
  let proxy: TcpProxy;
  let s: ProxyStack;
  let direct: Pool;
  beforeAll(async () => {
    const server = new URL(SERVER_DATABASE_URL);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    const directUrl = await createTestDatabase();
    direct = testPool(directUrl);
    const proxied = new URL(directUrl);
    proxied.port = String(proxy.port);
    s = await startProxyStack({
      databaseUrl: proxied.toString(),
      env: { CAP_DB_QUERY_TIMEOUT_MS: String(DB_TIMEOUT_MS), CAP_RESERVATION_TTL_SECONDS: '5', CAP_SWEEP_INTERVAL_SECONDS: '1' },
    });
  }, 60_000);
  afterAll(async () => {
    proxy?.resume();
    await s?.close();
    await direct?.end();
    await proxy?.close();
  });

  it('answers 503 database_unavailable within CAP_DB_QUERY_TIMEOUT_MS while PostgreSQL hangs; holds expire; recovers by itself', async () => {
    const parallel = await s.agent(100, { concurrency: 'parallel', name: 'pg-hang-parallel' });
    const exclusive = await s.agent(100, { concurrency: 'exclusive', name: 'pg-hang-exclusive' });
    // A warm pool: every route below has run once, every connection it needs is open.
    await Promise.all([0, 1, 2].map(() => s.http.post('/v1/chat/completions', chatBody(parallel), { headers: { 'x-cynsta-agent-id': parallel } })));
    expect((await timed(metered(s.http, exclusive))).status).toBe(200);
    expect((await s.http.get(`/v1/agents/${parallel}/budget`)).status).toBe(200);

    // One call is at the provider when the hang comes: its settle cannot be written.
    const before = s.fake.requestCount;
    const inFlight = timed(metered(s.http, parallel, { messages: [{ role: 'user', content: `slow [[agent:${parallel}]] [[fake:latencyMs=1500]]` }] }));
    await waitFor(async () => s.fake.requestCount > before, 5_000, 20);
    proxy.stall();
    const stalledAt = Date.now();

    const round = () =>
      Promise.all([
        timed((signal) => s.http.get(`/v1/agents/${parallel}/budget`, { signal })),
        timed((signal) => s.http.post(`/v1/agents/${parallel}/budget/topup`, { amount_cents: 5 }, { signal })),
        timed((signal) => s.http.post('/v1/agents', { name: 'during-hang' }, { signal })),
        timed(metered(s.http, parallel)),
        timed(metered(s.http, exclusive)),
        timed((signal) => s.http.get('/health/ready', { signal })),
      ]);
    // The first round meets the warm connections' queries hanging; the second, new connections
    // hanging in their start-up (the timed-out ones were closed).
    const rounds = [await round(), await round()];
    const inFlightResult = await inFlight;
    const names = ['admin_read', 'admin_topup', 'admin_create', 'metered_parallel', 'metered_exclusive'];
    for (const answers of rounds) {
      names.forEach((name, i) => expect503(name, answers[i], 'database_unavailable', DB_TIMEOUT_MS));
      const ready = answers[5];
      expect({ status: ready.status, database: ready.body?.checks?.database }).toEqual({ status: 503, database: 'down' });
      expect(ready.ms).toBeLessThan(READY_TIMEOUT_MS + MARGIN_MS);
    }
    expect503('in_flight', inFlightResult, 'database_unavailable', 1_500 + DB_TIMEOUT_MS);

    await sleep(Math.max(0, 3_000 - (Date.now() - stalledAt)));
    proxy.resume();
    const resumedAt = Date.now();
    const recovery = {
      metered_parallel: await waitFor(async () => (await timed(metered(s.http, parallel))).status === 200, 15_000, 100),
      metered_exclusive: await waitFor(async () => (await timed(metered(s.http, exclusive))).status === 200, 15_000, 100),
      admin_topup: await waitFor(async () => (await s.http.post(`/v1/agents/${parallel}/budget/topup`, { amount_cents: 5 })).status === 200, 15_000, 100),
      admin_read: await waitFor(async () => (await s.http.get(`/v1/agents/${parallel}/budget`)).status === 200, 15_000, 100),
      ready: await waitFor(async () => (await s.http.get('/health/ready')).status === 200, 15_000, 100),
    };
    // The in-flight call's hold, committed before the hang, is expired by the sweeper.
    const expired = await waitFor(async () => (await openReservations(direct)) === 0, 20_000, 200);
    expect(await budgetHeld(direct, parallel)).toEqual({ reserved: '0', in_flight: 0 });
    expect(await budgetHeld(direct, exclusive)).toEqual({ reserved: '0', in_flight: 0 });
    await expectLedgerBalanced(direct);

    const figure = (r: Timed) => ({ status: r.status, code: r.body?.error?.code, ms: r.ms });
    recordFigures('dependency-hang-postgres', {
      db_query_timeout_ms: DB_TIMEOUT_MS,
      hang_ms: resumedAt - stalledAt,
      first_round: Object.fromEntries([...names, 'ready'].map((n, i) => [n, figure(rounds[0][i])])),
      second_round: Object.fromEntries([...names, 'ready'].map((n, i) => [n, figure(rounds[1][i])])),
      call_in_flight_at_hang: figure(inFlightResult),
      recovery_ms_after_resume: Object.fromEntries(Object.entries(recovery).map(([k, v]) => [k, v.ms])),
      open_holds_expired_within_ms_of_recovery: expired.ms,
      ledger_parallel_agent: await ledgerKinds(direct, parallel),
    });
  }, 90_000);
});

describe('Redis hangs', () => {
  let redis: OwnRedis;
  let s: ProxyStack;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startOwnRedis();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
    s = await startProxyStack({ env: { REDIS_URL: redis.url, CAP_REDIS_COMMAND_TIMEOUT_MS: String(REDIS_TIMEOUT_MS), CAP_LOCK_TTL_MS: '3000' } });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  // Each from another connection: the service's own connection stays open and unanswered.
  const hangs: [string, (r: Redis) => void][] = [
    ['CLIENT PAUSE ALL', (r) => void r.call('client', 'pause', String(HANG_MS), 'all')],
    ['DEBUG SLEEP', (r) => void r.call('debug', 'sleep', String(HANG_MS / 1000)).catch(() => undefined)],
  ];

  it.each(hangs)(
    'refuses exclusive calls with 503 lock_service_unavailable (never 409) within CAP_REDIS_COMMAND_TIMEOUT_MS under %s; nothing stays held; recovers by itself',
    async (hang, start) => {
      const exclusive = await s.agent(100, { concurrency: 'exclusive', name: `redis-hang-${hang}` });
      const slow = await s.agent(100, { concurrency: 'exclusive', name: `redis-hang-slow-${hang}` });
      const parallel = await s.agent(100, { concurrency: 'parallel', name: `redis-hang-parallel-${hang}` });
      for (const agent of [exclusive, slow, parallel]) expect((await timed(metered(s.http, agent))).status).toBe(200);

      // A call at the provider when the hang comes: its lock cannot be extended, so it stops.
      const before = s.fake.requestCount;
      const inFlight = timed(metered(s.http, slow, { messages: [{ role: 'user', content: `slow [[agent:${slow}]] [[fake:latencyMs=6000]]` }] }));
      await waitFor(async () => s.fake.requestCount > before, 5_000, 20);
      start(admin);
      await sleep(100); // the hang has reached the server
      const hungAt = Date.now();

      const during = await Promise.all([timed(metered(s.http, exclusive)), timed((signal) => s.http.get('/health/ready', { signal }))]);
      const again = await timed(metered(s.http, exclusive));
      const parallelCall = await timed(metered(s.http, parallel));
      expect503('metered_exclusive', during[0], 'lock_service_unavailable', REDIS_TIMEOUT_MS);
      expect503('metered_exclusive_again', again, 'lock_service_unavailable', REDIS_TIMEOUT_MS);
      expect({ status: during[1].status, redis: during[1].body?.checks?.redis }).toEqual({ status: 503, redis: 'down' });
      expect(during[1].ms).toBeLessThan(READY_TIMEOUT_MS + MARGIN_MS);
      expect(parallelCall.status).toBe(200); // parallel agents need no lock
      // Refused before any hold: nothing of the exclusive agent's is held, even while Redis hangs.
      expect(await budgetHeld(s.t.pool, exclusive)).toEqual({ reserved: '0', in_flight: 0 });

      // The lock's heartbeat fails as the hang lasts: the call is stopped, its hold released.
      const inFlightResult = await inFlight;
      expect(inFlightResult.status).not.toBe('no answer');
      expect(inFlightResult.status).not.toBe(200);
      expect(inFlightResult.status).not.toBe(500);
      expect(inFlightResult.body.error.code).toBe('lock_service_unavailable');
      expect(inFlightResult.body.detail).toBe(inFlightResult.body.error.message);

      await sleep(Math.max(0, HANG_MS - (Date.now() - hungAt)));
      const seen: (number | string)[] = [];
      const recovered = await waitFor(
        async () => {
          const r = await timed(metered(s.http, exclusive));
          seen.push(r.status);
          return r.status === 200;
        },
        15_000,
        100,
      );
      // The lock script that timed out ran once Redis woke up, and the unlock sent after it too:
      // no stale lock refuses the agent afterwards.
      expect(seen.filter((st) => st !== 503 && st !== 200)).toEqual([]);
      expect((await timed(metered(s.http, slow))).status).toBe(200);
      expect((await s.http.get('/health/ready')).status).toBe(200);
      expect(await openReservations(s.t.pool)).toBe(0);
      for (const agent of [exclusive, slow]) expect(await budgetHeld(s.t.pool, agent)).toEqual({ reserved: '0', in_flight: 0 });
      await expectLedgerBalanced(s.t.pool);
      recordFigures(`dependency-hang-redis-${hang.split(' ')[0].toLowerCase()}`, {
        hang,
        hang_ms: HANG_MS,
        redis_command_timeout_ms: REDIS_TIMEOUT_MS,
        metered_exclusive: { status: during[0].status, code: during[0].body?.error?.code, ms: during[0].ms },
        metered_exclusive_again: { status: again.status, code: again.body?.error?.code, ms: again.ms },
        ready: { status: during[1].status, checks: during[1].body?.checks, ms: during[1].ms },
        metered_parallel: { status: parallelCall.status, ms: parallelCall.ms },
        call_in_flight_at_hang: { status: inFlightResult.status, code: inFlightResult.body?.error?.code, ms: inFlightResult.ms },
        recovery_ms_after_hang_end: recovered.ms,
        statuses_while_recovering: [...new Set(seen)],
      });
    },
    60_000,
  );
});
