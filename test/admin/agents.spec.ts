// Agent CRUD of SPEC §3 over HTTP, in a sidecar without auth.
import { randomUUID } from 'node:crypto';
import { expectLedgerBalanced, startTestApp, TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterEach(() => expectLedgerBalanced(t.pool));
afterAll(() => t.close());

describe('agents', () => {
  it('creates an agent with defaults and reads it back', async () => {
    const created = await t.http.post('/v1/agents', { name: 'my-agent' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      agent_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'my-agent',
      concurrency: 'exclusive',
      group_id: null,
      created_at: expect.stringMatching(/Z$/),
      deleted_at: null,
    });
    const got = await t.http.get(`/v1/agents/${created.body.agent_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
  });

  it('creates an agent from an empty body, or none at all (the seed CLI without --name)', async () => {
    const empty = await t.http.post('/v1/agents', {});
    expect(empty.status).toBe(201);
    expect(empty.body.name).toBeNull();
    const bodiless = await t.http.request('POST', '/v1/agents');
    expect(bodiless.status).toBe(201);
  });

  it('renames an agent and switches its concurrency mode', async () => {
    const { body: agent } = await t.http.post('/v1/agents', { name: 'before' });
    const renamed = await t.http.patch(`/v1/agents/${agent.agent_id}`, { name: 'after', concurrency: 'parallel' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'after', concurrency: 'parallel' });
    const empty = await t.http.patch(`/v1/agents/${agent.agent_id}`, {});
    expect(empty.status).toBe(400);
  });

  it('deletes an agent but keeps its budget and ledger readable', async () => {
    const { body: agent } = await t.http.post('/v1/agents', { name: 'doomed' });
    await t.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 100 });
    const deleted = await t.http.delete(`/v1/agents/${agent.agent_id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ agent_id: agent.agent_id, deleted: true });

    const got = await t.http.get(`/v1/agents/${agent.agent_id}`);
    expect(got.body.deleted_at).not.toBeNull();
    expect((await t.http.get(`/v1/agents/${agent.agent_id}/budget`)).body.remaining_cents).toBe(100);
    expect((await t.http.get(`/v1/agents/${agent.agent_id}/ledger`)).body.entries).toHaveLength(1);

    // It stops spending: no more budget changes, runs, renames or second deletes.
    expect((await t.http.post(`/v1/agents/${agent.agent_id}/budget`, { hard_limit_cents: 5 })).status).toBe(404);
    expect((await t.http.post(`/v1/agents/${agent.agent_id}/runs`, {})).status).toBe(404);
    expect((await t.http.patch(`/v1/agents/${agent.agent_id}`, { name: 'x' })).status).toBe(404);
    expect((await t.http.delete(`/v1/agents/${agent.agent_id}`)).status).toBe(404);

    const listed = await t.http.get('/v1/agents?limit=500');
    expect(listed.body.agents.map((a: { agent_id: string }) => a.agent_id)).not.toContain(agent.agent_id);
    const withDeleted = await t.http.get('/v1/agents?limit=500&include_deleted=true');
    expect(withDeleted.body.agents.map((a: { agent_id: string }) => a.agent_id)).toContain(agent.agent_id);
  });

  it('answers 404 with the seed error body for an unknown agent', async () => {
    const res = await t.http.get(`/v1/agents/${randomUUID()}`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ detail: expect.stringContaining('not found'), error: { type: 'not_found_error', code: 'agent_not_found' } });
  });

  it('pages through agents with a cursor, oldest first, without gaps or repeats', async () => {
    const fresh = await startTestApp();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await fresh.http.post('/v1/agents', { name: `a${i}` })).body.agent_id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: any = await fresh.http.get(`/v1/agents?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.agents.map((a: { agent_id: string }) => a.agent_id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(ids);
      expect((await fresh.http.get('/v1/agents')).body.agents).toHaveLength(7);
    } finally {
      await fresh.close();
    }
  });
});
