// Issue 10.1 under load: three instances, streaming and whole calls of exclusive and parallel
// agents, each client hanging up at a random moment — before the provider answers, between its
// headers and its first event, or mid-stream. Within a second of the last hang-up nothing is
// held, every exclusive agent takes a new call, and the §5 invariant is exact.
import { request } from 'node:http';
import { brokenInvariants, chatBody, Cluster, openReservations, startCluster } from './support/cluster';
import { recordFigures, sleep, waitFor } from './support/figures';

const CALLS = 150;
let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ instances: 3, env: { CAP_DB_POOL_MAX: '15' } });
}, 120_000);
afterAll(() => c?.close());

type Moment = 'before_answer' | 'before_first_event' | 'mid_stream';
const MOMENTS: Moment[] = ['before_answer', 'before_first_event', 'mid_stream'];

function hangUpAt(baseUrl: string, agent: string, stream: boolean, moment: Moment): Promise<string> {
  const marker = { before_answer: 'latencyMs=3000', before_first_event: 'stallAfterChunks=0,stallMs=3000', mid_stream: 'stallAfterChunks=3,stallMs=3000' }[moment];
  const body = chatBody(agent, { stream, messages: [{ role: 'user', content: `go [[agent:${agent}]] [[fake:${marker}]]` }] });
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'x-api-key': c.tenantKey, 'x-cynsta-agent-id': agent },
    });
    req.on('error', () => resolve('hung up'));
    req.on('response', (res) => {
      res.on('error', () => undefined);
      res.once('data', () => {
        req.destroy();
        resolve(`hung up after ${res.statusCode} and the first bytes`);
      });
    });
    req.end(JSON.stringify(body));
    // Before the answer (or before its first event): leave once the call reached the provider.
    if (moment !== 'mid_stream') setTimeout(() => req.destroy(), 300 + Math.random() * 400);
  });
}

it(`${CALLS} calls over 3 instances, each hung up at a random moment: all freed within a second`, async () => {
  c.fake.reset();
  const exclusive = await Promise.all(Array.from({ length: 5 }, () => c.agent(1_000, 'exclusive')));
  const parallel = await Promise.all(Array.from({ length: 5 }, () => c.agent(1_000, 'parallel')));
  const started = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: CALLS }, async (_, i) => {
      await sleep(Math.random() * 1_000);
      const agent = i % 2 ? exclusive[i % 5] : parallel[i % 5];
      const moment = MOMENTS[i % 3];
      const stream = moment === 'before_answer' ? i % 4 < 2 : true;
      return hangUpAt(c.instances[i % 3].url, agent, stream, moment);
    }),
  );
  const lastHangUp = Date.now();
  const freed = await waitFor(async () => (await openReservations(c.pool)) === 0, 5_000, 20);
  // Every exclusive agent's lock is free: a new call through any instance answers 200.
  const next = await Promise.all(exclusive.map((a, i) => c.clients[i % 3].post('/v1/chat/completions', chatBody(a, { max_tokens: 5 }), { headers: { 'x-cynsta-agent-id': a } })));
  expect(next.map((r) => r.status)).toEqual(Array(5).fill(200));
  expect(await brokenInvariants(c.pool)).toEqual([]);
  const { rows } = await c.pool.query(
    "SELECT kind, count(*)::int AS n FROM ledger_entries WHERE kind IN ('reserve', 'settle', 'release', 'expire') GROUP BY kind ORDER BY kind",
  );
  const kinds = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  recordFigures('early-hang-up', {
    calls: CALLS,
    hung_up: outcomes.length,
    seconds_to_hang_up_all: (lastHangUp - started) / 1000,
    ms_from_last_hang_up_to_nothing_held: freed.ms,
    ledger: kinds,
  });
  expect(freed.ms).toBeLessThan(1_000);
  expect(kinds.expire ?? 0).toBe(0);
}, 60_000);
