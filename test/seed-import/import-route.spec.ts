// POST /v1/imports/seed-sqlite in hosted mode: into the caller's tenant only, admin scope,
// Idempotency-Key honoured, bad rows refused with nothing imported, and the CLI's message when one
// agent's history is larger than the service takes in one request.
import { spendguard } from '../cli/cli-support';
import { readSeedStore } from '../../src/seed-import/seed-sqlite-reader';
import { expectLedgerBalanced, HttpClient, startTestApp, TestApp } from '../support/test-app';
import { standardStore, storeDigest, writeSeedStore } from './seed-store-fixture';

const OPERATOR_KEY = 'operator-key-for-seed-import-0123';
const MAX_BODY_BYTES = 16 * 1024;
let t: TestApp;

async function newTenant(name: string): Promise<{ admin: HttpClient; secret: string; key: (scopes: string[]) => Promise<HttpClient> }> {
  const res = await t.http.post('/v1/tenants', { name }, { headers: { 'x-api-key': OPERATOR_KEY } });
  expect(res.status).toBe(201);
  const secret: string = res.body.api_key.secret;
  const admin = t.http.withHeaders({ 'x-api-key': secret });
  return {
    admin,
    secret,
    key: async (scopes) => t.http.withHeaders({ 'x-api-key': (await admin.post('/v1/api-keys', { name: scopes.join('+'), scopes })).body.secret }),
  };
}

beforeAll(async () => {
  t = await startTestApp({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY, CAP_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t?.close());

it("imports into the caller's tenant only: another tenant sees none of it, and may import the same ids as its own", async () => {
  const store = standardStore();
  const agents = await readSeedStore(await writeSeedStore(store.rows));
  const acme = await newTenant('acme');
  const globex = await newTenant('globex');

  const res = await acme.admin.post('/v1/imports/seed-sqlite', { agents });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject(store.counts);
  expect((await acme.admin.get(`/v1/agents/${store.ids.alpha}/budget`)).body).toMatchObject(store.budgets[store.ids.alpha]);
  for (const path of [`/v1/agents/${store.ids.alpha}`, `/v1/agents/${store.ids.alpha}/budget`, `/v1/agents/${store.ids.alpha}/ledger`]) {
    expect((await globex.admin.get(path)).status).toBe(404);
  }
  expect((await globex.admin.get('/v1/agents')).body.agents).toEqual([]);

  const own = await globex.admin.post('/v1/imports/seed-sqlite', { agents });
  expect(own.body).toMatchObject(store.counts);
  await globex.admin.post(`/v1/agents/${store.ids.alpha}/budget/topup`, { amount_cents: 7 });
  expect((await acme.admin.get(`/v1/agents/${store.ids.alpha}/budget`)).body.remaining_cents).toBe(4943);
});

it('needs the admin scope, and a tenant: read and cap:use keys and the operator are refused', async () => {
  const tenant = await newTenant('scoped');
  const agents = await readSeedStore(await writeSeedStore(standardStore().rows));
  for (const client of [await tenant.key(['read']), await tenant.key(['cap:use'])]) {
    const res = await client.post('/v1/imports/seed-sqlite', { agents });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('insufficient_scope');
  }
  const operator = await t.http.post('/v1/imports/seed-sqlite', { agents }, { headers: { 'x-api-key': OPERATOR_KEY } });
  expect(operator.body.error.code).toBe('tenant_key_required');
  expect((await tenant.admin.get('/v1/agents')).body.agents).toEqual([]);
});

it('replays an Idempotency-Key with the first answer', async () => {
  const tenant = await newTenant('idem');
  const agents = await readSeedStore(await writeSeedStore(standardStore().rows));
  const first = await tenant.admin.post('/v1/imports/seed-sqlite', { agents }, { headers: { 'idempotency-key': 'seed-import-1' } });
  const replay = await tenant.admin.post('/v1/imports/seed-sqlite', { agents }, { headers: { 'idempotency-key': 'seed-import-1' } });
  expect(replay.status).toBe(200);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toEqual(first.body);
  expect(first.body.agents_imported).toBe(4);
  // Without the key, the same rows are simply skipped.
  expect((await tenant.admin.post('/v1/imports/seed-sqlite', { agents })).body).toMatchObject({ agents_imported: 0, agents_skipped: 4 });
});

it('refuses a batch with a bad row, naming it, and imports none of the batch', async () => {
  const tenant = await newTenant('strict');
  const agents = await readSeedStore(await writeSeedStore(standardStore().rows));
  const before = await storeDigest(t.pool);
  for (const [mutate, path] of [
    [(a: any) => (a[1].budget.remaining_cents = -1), 'agents.1.budget.remaining_cents'],
    [(a: any) => (a[0].calls[0].realized_cents = 2.5), 'agents.0.calls.0.realized_cents'],
    [(a: any) => (a[2].agent_id = 'no spaces allowed'), 'agents.2.agent_id'],
    [(a: any) => (a[0].calls[1].created_at = 'yesterday'), 'agents.0.calls.1.created_at'],
  ] as const) {
    const bad = structuredClone(agents);
    mutate(bad);
    const res = await tenant.admin.post('/v1/imports/seed-sqlite', { agents: bad });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(JSON.stringify(res.body)).toContain(path);
  }
  expect(await storeDigest(t.pool)).toEqual(before);
});

it('the CLI in hosted mode: one agent larger than the service takes says so, after importing the others', async () => {
  const tenant = await newTenant('big');
  const store = standardStore();
  // The budget-only agent comes last in the file: the others are sent before it.
  const id = store.ids.delta;
  for (let i = 0; i < 60; i++) {
    store.rows.ledger.push({ ...store.rows.ledger[4], id: `big-${i}`, created_at: `2026-01-08T09:${String(i).padStart(2, '0')}:00+00:00` });
  }
  const file = await writeSeedStore(store.rows);
  const env = { CAP_BASE_URL: t.url, CAP_MODE: 'hosted', CAP_API_KEY: tenant.secret };
  for (let run = 0; run < 2; run++) {
    const res = await spendguard(['import', 'sqlite', file, '--batch-bytes', '2048'], env);
    expect(res).toMatchObject({ code: 1, stdout: '' });
    expect(res.stderr).toContain('HTTP 413: ');
    expect(res.stderr).toContain(`agent ${id}'s history is`);
    expect(res.stderr).toContain('raise CAP_MAX_BODY_BYTES on the service, or import at its boot with CAP_STORE=sqlite');
    expect(res.stderr).toContain('the agents sent before it were imported: run the same command again to import the rest');
  }
  expect((await tenant.admin.get(`/v1/agents/${id}`)).status).toBe(404);
  const listed = (await tenant.admin.get('/v1/agents')).body.agents.map((a: { agent_id: string }) => a.agent_id);
  expect(listed.sort()).toEqual([store.ids.alpha, store.ids.bravo, store.ids.charlie].sort());
  expect((await tenant.admin.get(`/v1/agents/${store.ids.alpha}/budget`)).body).toMatchObject(store.budgets[store.ids.alpha]);
});
