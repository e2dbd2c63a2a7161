// Groups over HTTP (SPEC §10), in a sidecar without auth: CRUD, the tree's rules (no cycle, at
// most 8 deep, no delete with members), agents in groups, and group budgets. Every refusal
// answers the §8 error body and changes nothing.
import { randomUUID } from 'node:crypto';
import { expectErrorBody, snapshotDatabase } from '../support/admin-assertions';
import { expectLedgerBalanced, startTestApp, TestApp, TestResponse } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

async function group(name: string, parent?: string | null): Promise<string> {
  const res = await t.http.post('/v1/groups', { name, ...(parent !== undefined ? { parent_group_id: parent } : {}) });
  expect(res.status).toBe(201);
  return res.body.group_id;
}

/** A chain of `depth` groups, outermost first. */
async function chain(depth: number, prefix = 'level'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < depth; i++) ids.push(await group(`${prefix}-${i + 1}`, ids.at(-1)));
  return ids;
}

/** The request is refused with this status and code, and no table changed. */
async function expectRefused(send: () => Promise<TestResponse>, status: number, code: string): Promise<TestResponse> {
  const before = await snapshotDatabase(t.pool);
  const res = await send();
  expectErrorBody(res, status, code);
  expect(await snapshotDatabase(t.pool)).toEqual(before);
  return res;
}

describe('group CRUD', () => {
  it('creates a group, reads it back, and lists it', async () => {
    const created = await t.http.post('/v1/groups', { name: 'research' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      group_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'research',
      parent_group_id: null,
      created_at: expect.stringMatching(/Z$/),
      deleted_at: null,
    });
    const got = await t.http.get(`/v1/groups/${created.body.group_id}`);
    expect(got.body).toEqual(created.body);
    const child = await t.http.post('/v1/groups', { name: '  evals  ', parent_group_id: created.body.group_id });
    expect(child.body).toMatchObject({ name: 'evals', parent_group_id: created.body.group_id });
    const list = await t.http.get('/v1/groups?limit=500');
    expect(list.body.groups.map((g: { group_id: string }) => g.group_id)).toEqual(expect.arrayContaining([created.body.group_id, child.body.group_id]));
  });

  it('pages the list with an opaque cursor, oldest first', async () => {
    const ids = await Promise.all(['p1', 'p2', 'p3'].map((n) => group(n)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: TestResponse = await t.http.get(`/v1/groups?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.groups.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.groups.map((g: { group_id: string }) => g.group_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
  });

  it('renames a group', async () => {
    const id = await group('before');
    const res = await t.http.patch(`/v1/groups/${id}`, { name: 'after' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ group_id: id, name: 'after', parent_group_id: null });
  });

  it('moves a group, with its subgroups, and back to the top level', async () => {
    const [a, b] = await Promise.all([group('a'), group('b')]);
    const child = await group('child', b);
    const moved = await t.http.patch(`/v1/groups/${b}`, { parent_group_id: a });
    expect(moved.body).toMatchObject({ group_id: b, parent_group_id: a });
    expect((await t.http.get(`/v1/groups/${child}`)).body.parent_group_id).toBe(b);
    const top = await t.http.patch(`/v1/groups/${b}`, { parent_group_id: null, name: 'b-top' });
    expect(top.body).toMatchObject({ name: 'b-top', parent_group_id: null });
  });

  it('finds a group by its id in upper case', async () => {
    const id = await group('case');
    const res = await t.http.get(`/v1/groups/${id.toUpperCase()}`);
    expect(res.body.group_id).toBe(id);
  });

  it('soft-deletes an empty group: it is listed only with include_deleted, and stays readable', async () => {
    const id = await group('doomed');
    await t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 300 });
    const deleted = await t.http.delete(`/v1/groups/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ group_id: id, deleted: true });
    const got = await t.http.get(`/v1/groups/${id}`);
    expect(got.body.deleted_at).toMatch(/Z$/);
    expect((await t.http.get('/v1/groups?limit=500')).body.groups.some((g: { group_id: string }) => g.group_id === id)).toBe(false);
    expect((await t.http.get('/v1/groups?limit=500&include_deleted=true')).body.groups.some((g: { group_id: string }) => g.group_id === id)).toBe(true);
    expect((await t.http.get(`/v1/groups/${id}/budget`)).body).toMatchObject({ level: 'group', level_id: id, remaining_cents: 300 });
    expect((await t.http.get(`/v1/groups/${id}/ledger`)).body.entries.map((e: { kind: string }) => e.kind)).toEqual(['limit_set']);
  });

  it('refuses changes to a deleted group, and a second delete', async () => {
    const id = await group('gone');
    await t.http.delete(`/v1/groups/${id}`);
    const other = await group('other');
    await expectRefused(() => t.http.patch(`/v1/groups/${id}`, { name: 'x' }), 404, 'group_not_found');
    await expectRefused(() => t.http.delete(`/v1/groups/${id}`), 404, 'group_not_found');
    await expectRefused(() => t.http.post('/v1/groups', { name: 'orphan', parent_group_id: id }), 404, 'group_not_found');
    await expectRefused(() => t.http.patch(`/v1/groups/${other}`, { parent_group_id: id }), 404, 'group_not_found');
  });

  it('answers 404 for a malformed id exactly as for an unknown one', async () => {
    for (const path of ['/v1/groups/not-a-uuid', `/v1/groups/${randomUUID()}`, '/v1/groups/abc%00def']) {
      await expectRefused(() => t.http.get(path), 404, 'group_not_found');
      await expectRefused(() => t.http.patch(path, { name: 'x' }), 404, 'group_not_found');
      await expectRefused(() => t.http.delete(path), 404, 'group_not_found');
      await expectRefused(() => t.http.get(`${path}/budget`), 404, 'group_not_found');
      await expectRefused(() => t.http.post(`${path}/budget`, { hard_limit_cents: 5 }), 404, 'group_not_found');
      await expectRefused(() => t.http.post(`${path}/budget/topup`, { amount_cents: 5 }), 404, 'group_not_found');
      await expectRefused(() => t.http.get(`${path}/ledger`), 404, 'group_not_found');
    }
  });
});

describe('the group tree', () => {
  it('refuses to make a group its own parent, or to move it under its own descendant (400 group_cycle)', async () => {
    const [top, mid, leaf] = await chain(3, 'cycle');
    await expectRefused(() => t.http.patch(`/v1/groups/${top}`, { parent_group_id: top }), 400, 'group_cycle');
    await expectRefused(() => t.http.patch(`/v1/groups/${top}`, { parent_group_id: leaf }), 400, 'group_cycle');
    await expectRefused(() => t.http.patch(`/v1/groups/${mid}`, { parent_group_id: leaf, name: 'renamed too' }), 400, 'group_cycle');
    // Moving within the tree without a cycle is fine: the leaf up to the top.
    expect((await t.http.patch(`/v1/groups/${leaf}`, { parent_group_id: top })).status).toBe(200);
  });

  it('allows a chain of 8 groups and refuses a 9th (400 group_too_deep)', async () => {
    const ids = await chain(8, 'deep');
    await expectRefused(() => t.http.post('/v1/groups', { name: 'ninth', parent_group_id: ids[7] }), 400, 'group_too_deep');
    expect((await t.http.post('/v1/groups', { name: 'eighth-too', parent_group_id: ids[6] })).status).toBe(201);
  });

  it("counts the height of the moved subtree plus the new parent's depth", async () => {
    const host = await chain(5, 'host'); // depth 5 at its bottom
    const sub = await chain(3, 'sub'); // a subtree 3 tall: 5 + 3 = 8 fits
    expect((await t.http.patch(`/v1/groups/${sub[0]}`, { parent_group_id: host[4] })).status).toBe(200);
    const taller = await chain(4, 'taller'); // 5 + 4 = 9 does not
    await expectRefused(() => t.http.patch(`/v1/groups/${taller[0]}`, { parent_group_id: host[4] }), 400, 'group_too_deep');
    // Nor may anything be added under the moved subtree's bottom, now at depth 8.
    await expectRefused(() => t.http.post('/v1/groups', { name: 'ninth', parent_group_id: sub[2] }), 400, 'group_too_deep');
  });

  it('leaves deleted subgroups out of the height', async () => {
    const host = await chain(6, 'h6');
    const [top, , leaf] = await chain(3, 'withdeleted');
    expect((await t.http.delete(`/v1/groups/${leaf}`)).status).toBe(200);
    // 6 + 2 live levels = 8.
    expect((await t.http.patch(`/v1/groups/${top}`, { parent_group_id: host[5] })).status).toBe(200);
  });

  it('never lets two racing moves make a cycle', async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([group(`race-a-${round}`), group(`race-b-${round}`)]);
      const [ab, ba] = await Promise.all([
        t.http.patch(`/v1/groups/${a}`, { parent_group_id: b }),
        t.http.patch(`/v1/groups/${b}`, { parent_group_id: a }),
      ]);
      expect([ab.status, ba.status].sort()).toEqual([200, 400]);
      expect([ab, ba].find((r) => r.status === 400)!.body.error.code).toBe('group_cycle');
    }
    const { rows } = await t.pool.query(`
      WITH RECURSIVE up(start, id, n) AS (
        SELECT id, parent_group_id, 1 FROM groups WHERE parent_group_id IS NOT NULL
        UNION ALL SELECT up.start, g.parent_group_id, up.n + 1 FROM up JOIN groups g ON g.id = up.id WHERE g.parent_group_id IS NOT NULL AND up.n < 20
      ) SELECT count(*)::int AS cycles FROM up WHERE id = start`);
    expect(rows[0].cycles).toBe(0);
  });

  it('never lets racing moves pass the depth limit together', async () => {
    // Two subtrees of 4 under two chains of 4: each move alone fits (4 + 4), but not both if one
    // lands under the other.
    const [x1, , , x4] = await chain(4, 'dx');
    const [y1, , , y4] = await chain(4, 'dy');
    const [xs, ys] = await Promise.all([
      t.http.patch(`/v1/groups/${x1}`, { parent_group_id: y4 }),
      t.http.patch(`/v1/groups/${y1}`, { parent_group_id: x4 }),
    ]);
    expect([xs.status, ys.status].sort()).toEqual([200, 400]);
  });
});

describe('deleting a group with members', () => {
  it('refuses while a live agent or a live child group is in it (409 group_not_empty), then allows it', async () => {
    const parent = await group('team');
    const child = await group('sub-team', parent);
    const agent = (await t.http.post('/v1/agents', { name: 'member', group_id: parent })).body.agent_id;
    const res = await expectRefused(() => t.http.delete(`/v1/groups/${parent}`), 409, 'group_not_empty');
    expect(res.body).toMatchObject({ member_agents: 1, member_groups: 1 });
    // A deleted agent is no member; a child group must go (or move) first.
    expect((await t.http.delete(`/v1/agents/${agent}`)).status).toBe(200);
    await expectRefused(() => t.http.delete(`/v1/groups/${parent}`), 409, 'group_not_empty');
    expect((await t.http.delete(`/v1/groups/${child}`)).status).toBe(200);
    expect((await t.http.delete(`/v1/groups/${parent}`)).status).toBe(200);
  });

  it('never deletes a group that an agent joins at the same moment', async () => {
    for (let round = 0; round < 10; round++) {
      const id = await group(`joined-${round}`);
      const agent = (await t.http.post('/v1/agents', { name: 'joiner' })).body.agent_id;
      const [joined, deleted] = await Promise.all([t.http.patch(`/v1/agents/${agent}`, { group_id: id }), t.http.delete(`/v1/groups/${id}`)]);
      // One of them wins; never both.
      expect([joined.status, deleted.status].sort()).toEqual(deleted.status === 200 ? [200, 404] : [200, 409]);
      const { rows } = await t.pool.query(
        'SELECT count(*)::int AS n FROM agents a JOIN groups g ON g.tenant_id = a.tenant_id AND g.id = a.group_id WHERE a.deleted_at IS NULL AND g.deleted_at IS NOT NULL',
      );
      expect(rows[0].n).toBe(0);
    }
  });
});

describe('agents in groups', () => {
  it('puts an agent in a group on create, PATCH and PUT, and takes it out with null', async () => {
    const [a, b] = await Promise.all([group('agents-a'), group('agents-b')]);
    const created = await t.http.post('/v1/agents', { name: 'grouped', group_id: a });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'grouped', group_id: a });
    const id = created.body.agent_id;
    expect((await t.http.get(`/v1/agents/${id}`)).body.group_id).toBe(a);
    expect((await t.http.patch(`/v1/agents/${id}`, { group_id: b })).body.group_id).toBe(b);
    expect((await t.http.request('PUT', `/v1/agents/${id}`, { body: { group_id: a } })).body.group_id).toBe(a);
    const out = await t.http.patch(`/v1/agents/${id}`, { group_id: null });
    expect(out.body).toMatchObject({ group_id: null, name: 'grouped' });
    const put = await t.http.request('PUT', '/v1/agents/ci-grouped', { body: { name: 'ci', group_id: b } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ agent_id: 'ci-grouped', group_id: b });
    // A PATCH that does not name group_id leaves it.
    expect((await t.http.patch('/v1/agents/ci-grouped', { name: 'ci-2' })).body.group_id).toBe(b);
  });

  it('refuses an unknown or deleted group (404 group_not_found) and a malformed id (400), changing nothing', async () => {
    const gone = await group('agents-gone');
    await t.http.delete(`/v1/groups/${gone}`);
    const agent = (await t.http.post('/v1/agents', { name: 'stays' })).body.agent_id;
    for (const groupId of [randomUUID(), gone]) {
      await expectRefused(() => t.http.post('/v1/agents', { name: 'x', group_id: groupId }), 404, 'group_not_found');
      await expectRefused(() => t.http.patch(`/v1/agents/${agent}`, { group_id: groupId }), 404, 'group_not_found');
      await expectRefused(() => t.http.request('PUT', `/v1/agents/${agent}`, { body: { group_id: groupId } }), 404, 'group_not_found');
      await expectRefused(() => t.http.request('PUT', '/v1/agents/never-made', { body: { group_id: groupId } }), 404, 'group_not_found');
    }
    await expectRefused(() => t.http.patch(`/v1/agents/${agent}`, { group_id: 'not-a-uuid' }), 400, 'validation_failed');
    expect((await t.http.get(`/v1/agents/${agent}`)).body.group_id).toBeNull();
  });
});

describe('group budgets', () => {
  it('sets, reads and tops up a group budget, with what was asked and applied', async () => {
    const id = await group('budgeted');
    const set = await t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 1_000, topup_cents: 400 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      level: 'group',
      level_id: id,
      hard_limit_cents: 1_000,
      remaining_cents: 400,
      requested_cents: 400,
      applied_cents: 400,
      applied_microcents: '400000000',
      period: null,
    });
    expect(set.body).not.toHaveProperty('agent_id');
    const topped = await t.http.post(`/v1/groups/${id}/budget/topup`, { amount_cents: 800 });
    expect(topped.body).toMatchObject({ remaining_cents: 1_000, requested_cents: 800, applied_cents: 600 });
    const got = await t.http.get(`/v1/groups/${id}/budget`);
    expect(got.body).toMatchObject({ level: 'group', level_id: id, hard_limit_cents: 1_000, remaining_cents: 1_000, spent_cents: 0 });
    expect(got.body).not.toHaveProperty('requested_cents');
    const ledger = await t.http.get(`/v1/groups/${id}/ledger`);
    expect(ledger.body.entries.map((e: { kind: string; agent_id: string | null }) => [e.kind, e.agent_id])).toEqual([
      ['topup', null],
      ['limit_set', null],
    ]);
  });

  it('takes a period, like any budget', async () => {
    const id = await group('monthly');
    const set = await t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 100, period: { every: '1mo', timezone: 'Europe/Berlin' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ period: { every: '1mo', timezone: 'Europe/Berlin' }, next_reset_at: expect.any(String) });
  });

  it('answers 404 budget_not_found for a group without a budget, and an empty ledger', async () => {
    const id = await group('unbudgeted');
    await expectRefused(() => t.http.get(`/v1/groups/${id}/budget`), 404, 'budget_not_found');
    await expectRefused(() => t.http.post(`/v1/groups/${id}/budget/topup`, { amount_cents: 5 }), 404, 'budget_not_found');
    expect((await t.http.get(`/v1/groups/${id}/ledger`)).body).toEqual({ entries: [], next_cursor: null });
  });

  it('refuses to set or top up the budget of a deleted group (404), changing nothing', async () => {
    const id = await group('closed');
    await t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 100 });
    await t.http.delete(`/v1/groups/${id}`);
    const set = await expectRefused(() => t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 500 }), 404, 'group_not_found');
    expect(set.body.error.message).toMatch(/deleted/);
    await expectRefused(() => t.http.post(`/v1/groups/${id}/budget/topup`, { amount_cents: 5 }), 404, 'group_not_found');
    expect((await t.http.get(`/v1/groups/${id}/budget`)).body.remaining_cents).toBe(100);
  });

  it('replays a budget set sent again with the same Idempotency-Key', async () => {
    const id = await group('idempotent');
    const send = () => t.http.post(`/v1/groups/${id}/budget/topup`, { amount_cents: 50 }, { headers: { 'idempotency-key': `g-${id}` } });
    await t.http.post(`/v1/groups/${id}/budget`, { hard_limit_cents: 1_000, topup_cents: 100 });
    const first = await send();
    const again = await send();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await t.http.get(`/v1/groups/${id}/budget`)).body.remaining_cents).toBe(150);
  });
});
