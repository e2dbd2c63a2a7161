// A tenant cannot see or spend another tenant's groups (SPEC §7, §10), in hosted mode: every
// group route answers 404 exactly as for an id that does not exist, nothing changes, and no agent
// of another tenant can join the group (and so spend from its budget). Scopes apply as elsewhere.
import { randomUUID } from 'node:crypto';
import { snapshotDatabase } from '../support/admin-assertions';
import { expectLedgerBalanced, HttpClient, startTestApp, TestApp } from '../support/test-app';

const OPERATOR_KEY = 'operator-key-groups-0123456789';
let t: TestApp;
let operator: HttpClient;

async function newTenant(name: string): Promise<HttpClient> {
  const res = await operator.post('/v1/tenants', { name });
  expect(res.status).toBe(201);
  return t.http.withHeaders({ 'x-api-key': res.body.api_key.secret });
}

beforeAll(async () => {
  t = await startTestApp({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY } });
  operator = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

describe("another tenant's group", () => {
  it('cannot be seen, changed, budgeted, deleted or joined: 404 as for an unknown id, nothing changed', async () => {
    const a = await newTenant('groups-a');
    const b = await newTenant('groups-b');
    const parent = (await a.post('/v1/groups', { name: 'a-org' })).body.group_id;
    const id = (await a.post('/v1/groups', { name: 'a-team', parent_group_id: parent })).body.group_id;
    await a.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 500 });
    const bGroup = (await b.post('/v1/groups', { name: 'b-team' })).body.group_id;
    const bAgent = (await b.post('/v1/agents', { name: 'b-agent' })).body.agent_id;

    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/groups/${id}`],
      ['PATCH', `/v1/groups/${id}`, { name: 'stolen' }],
      ['PATCH', `/v1/groups/${id}`, { parent_group_id: null }],
      ['DELETE', `/v1/groups/${id}`],
      ['GET', `/v1/groups/${id}/budget`],
      ['POST', `/v1/groups/${id}/budget`, { hard_limit_cents: 1 }],
      ['POST', `/v1/groups/${id}/budget/topup`, { amount_cents: 1 }],
      ['GET', `/v1/groups/${id}/ledger`],
      // Its own objects pointed at A's group.
      ['POST', '/v1/groups', { name: 'under-a', parent_group_id: id }],
      ['PATCH', `/v1/groups/${bGroup}`, { parent_group_id: id }],
      ['POST', '/v1/agents', { name: 'joiner', group_id: id }],
      ['PATCH', `/v1/agents/${bAgent}`, { group_id: id }],
      ['PUT', `/v1/agents/${bAgent}`, { group_id: id }],
      ['PUT', '/v1/agents/b-new-agent', { group_id: id }],
    ];
    const before = await snapshotDatabase(t.pool);
    for (const [method, path, body] of attempts) {
      const opts = body === undefined ? {} : { body };
      const res = await b.request(method, path, opts);
      const none = randomUUID();
      const unknown = await b.request(method, path.replace(id, none), body === undefined ? {} : { body: JSON.parse(JSON.stringify(body).replace(id, none)) });
      expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 404, 'group_not_found']);
      // Exactly what an id that does not exist gets: nothing tells B the group exists.
      expect(res.body.detail.replace(id, none)).toBe(unknown.body.detail);
      expect(res.body.error.message.replace(id, none)).toBe(unknown.body.error.message);
    }
    expect(await snapshotDatabase(t.pool)).toEqual(before);
    expect((await b.get('/v1/groups?include_deleted=true')).body.groups.map((g: { group_id: string }) => g.group_id)).toEqual([bGroup]);
    expect((await b.get(`/v1/agents/${bAgent}`)).body.group_id).toBeNull();
    expect((await a.get(`/v1/groups/${id}`)).body).toMatchObject({ name: 'a-team', parent_group_id: parent, deleted_at: null });
  });

  it("lists only the caller's own groups", async () => {
    const a = await newTenant('lists-a');
    const b = await newTenant('lists-b');
    await a.post('/v1/groups', { name: 'mine' });
    expect((await b.get('/v1/groups')).body).toEqual({ groups: [], next_cursor: null });
    expect((await a.get('/v1/groups')).body.groups.map((g: { name: string }) => g.name)).toEqual(['mine']);
  });
});

describe('scopes on group routes', () => {
  it('read keys read groups and their budgets; only admin keys change them; cap:use keys do neither', async () => {
    const admin = await newTenant('scoped-groups');
    const key = async (scopes: string[]) =>
      t.http.withHeaders({ 'x-api-key': (await admin.post('/v1/api-keys', { name: scopes.join('+'), scopes })).body.secret });
    const [reader, user] = [await key(['read']), await key(['cap:use'])];
    const id = (await admin.post('/v1/groups', { name: 'scoped' })).body.group_id;
    await admin.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 10 });

    for (const path of [`/v1/groups`, `/v1/groups/${id}`, `/v1/groups/${id}/budget`, `/v1/groups/${id}/ledger`]) {
      expect([path, (await reader.get(path)).status]).toEqual([path, 200]);
      expect([path, (await user.get(path)).status]).toEqual([path, 403]);
    }
    const before = await snapshotDatabase(t.pool);
    for (const client of [reader, user]) {
      expect((await client.post('/v1/groups', { name: 'x' })).status).toBe(403);
      expect((await client.patch(`/v1/groups/${id}`, { name: 'x' })).status).toBe(403);
      expect((await client.delete(`/v1/groups/${id}`)).status).toBe(403);
      expect((await client.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 5 })).status).toBe(403);
      expect((await client.post(`/v1/groups/${id}/budget/topup`, { amount_cents: 5 })).status).toBe(403);
    }
    expect(await snapshotDatabase(t.pool)).toEqual(before);
  });
});
