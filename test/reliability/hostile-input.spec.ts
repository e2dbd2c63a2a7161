// SPEC §8 under attack: every request of the hostile corpus (hostile-corpus.ts), sent over real
// HTTP to a hosted instance, gets a clear 4xx with the §8 error body and no internals, never a
// 500, never reaches the provider, and leaves every table exactly as it was.
import { randomBytes } from 'node:crypto';
import { expectErrorBody, snapshotDatabase } from '../support/admin-assertions';
import { ProxyStack, startProxyStack } from '../support/proxy-stack';
import { expectLedgerBalanced, HttpClient } from '../support/test-app';
import { HostileCase, hostileCorpus } from './hostile-corpus';
import { recordFigures } from './support/figures';

const OPERATOR_KEY = 'operator-key-for-hostile-input-0123';
const CORPUS = hostileCorpus();
let s: ProxyStack;
let fill: (text: string) => string;
const statuses: Record<string, number> = {};
const routes = new Set<string>();

beforeAll(async () => {
  s = await startProxyStack({
    redis: true,
    env: {
      CAP_MODE: 'hosted',
      CAP_API_KEY: OPERATOR_KEY,
      CAP_AUTH_FAILURE_LIMIT: '0', // the corpus fails auth on purpose, many times
      CAP_MAX_BODY_BYTES: '131072',
      CAP_PROVIDER_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    },
  });
  const operator = s.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
  const tenant = await operator.post('/v1/tenants', { name: 'hostile' });
  const admin = s.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });
  const agent = (await admin.post('/v1/agents', { name: 'target', concurrency: 'parallel' })).body.agent_id;
  await admin.post(`/v1/agents/${agent}/budget`, { hard_limit_cents: 1 });
  const run = (await admin.post(`/v1/agents/${agent}/runs`, {})).body.run_id;
  const values: Record<string, string> = { agent, run, admin: tenant.body.api_key.secret, key: tenant.body.api_key.id };
  fill = (text) => text.replace(/\{(agent|run|admin|key)\}/g, (_m, k: string) => values[k]);
  s.fake.reset();
}, 60_000);
afterAll(async () => {
  recordFigures('hostile-input', {
    cases: CORPUS.length,
    refused_cases: REFUSED.length,
    forwarded_cases: FORWARDED.length,
    routes: routes.size,
    statuses,
    provider_calls: s.fake.requestCount,
  });
  await s?.close();
});

function send(c: HostileCase) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers ?? {})) headers[k] = fill(v);
  if (!c.noKey) headers['x-api-key'] ??= fill('{admin}');
  const client = new HttpClient(s.t.url);
  if (c.rawBody !== undefined) {
    if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    if (headers['content-type'] === '') delete headers['content-type'];
    return client.request(c.method, fill(c.path), { rawBody: c.rawBody, headers });
  }
  return client.request(c.method, fill(c.path), { body: c.body, headers });
}

it('has at least 150 cases over every route', () => {
  expect(REFUSED.length).toBeGreaterThanOrEqual(150);
  expect(new Set(CORPUS.map((c) => c.route)).size).toBeGreaterThanOrEqual(20);
});

const REFUSED = CORPUS.filter((c) => !c.forwarded);
const FORWARDED = CORPUS.filter((c) => c.forwarded);

it.each(REFUSED.map((c) => [`${c.route}: ${c.name}`, c] as const))('%s → a clear 4xx, nothing changed', async (_name, c) => {
  const before = await snapshotDatabase(s.t.pool);
  const calls = s.fake.requestCount;
  const res = await send(c);
  routes.add(c.route);
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  if (res.status < 400 || res.status >= 500) {
    throw new Error(`expected a 4xx, got ${res.status}: ${res.text.slice(0, 300)}`);
  }
  expectErrorBody(res, res.status);
  expect(s.fake.requestCount).toBe(calls);
  expect(await snapshotDatabase(s.t.pool)).toEqual(before);
});

it.each(FORWARDED.map((c) => [`${c.route}: ${c.name}`, c] as const))('%s → forwarded as is, no 5xx, the hold closed', async (_name, c) => {
  const res = await send(c);
  routes.add(c.route);
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  expect(res.status).toBeLessThan(500);
  const { rows } = await s.t.pool.query("SELECT count(*)::int AS n FROM reservations WHERE status = 'open'");
  expect(rows[0].n).toBe(0);
  await expectLedgerBalanced(s.t.pool);
});
