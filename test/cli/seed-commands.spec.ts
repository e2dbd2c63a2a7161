// The seed's CLI commands (`agent create|list|get|rename|delete`, `budget set|get`) run as the
// real binary against a running service: the seed's exact text output, `--json` as the seed's
// `json.dumps(indent=2, sort_keys=True)`, `HTTP <code>: <detail>` with exit 1, usage errors exit 2.
import { randomUUID } from 'node:crypto';
import { freePort } from '../support/spawn-instance';
import { startTestApp, TestApp } from '../support/test-app';
import { fields, spendguard, UUID } from './cli-support';

let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp();
  env = { CAP_BASE_URL: t.url };
});
afterAll(() => t?.close());

/** What Python's json.dumps(value, indent=2, sort_keys=True) prints (ensure_ascii included). */
function pythonJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(value), null, 2).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function createAgent(name?: string): Promise<string> {
  const res = await spendguard(['agent', 'create', ...(name ? ['--name', name] : [])], env);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return fields(res.stdout).agent_id;
}

describe('spendguard agent', () => {
  it('lists "(no agents)" on an empty service', async () => {
    expect(await spendguard(['agent', 'list'], env)).toEqual({ code: 0, stdout: '(no agents)\n', stderr: '' });
  });

  it('create prints exactly agent_id=<id>, and the agent exists with its name', async () => {
    const res = await spendguard(['agent', 'create', '--name', 'my-agent'], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^agent_id=[0-9a-f-]{36}\n$/);
    const id = fields(res.stdout).agent_id;
    const server = await t.http.get(`/v1/agents/${id}`);
    expect(server.body).toMatchObject({ agent_id: id, name: 'my-agent', concurrency: 'exclusive' });
  });

  it('get, rename and list print the seed line: agent_id=… name=… created_at=…', async () => {
    const id = await createAgent('before');
    const { created_at } = (await t.http.get(`/v1/agents/${id}`)).body;
    expect((await spendguard(['agent', 'get', '--agent', id], env)).stdout).toBe(`agent_id=${id} name=before created_at=${created_at}\n`);
    expect((await spendguard(['agent', 'rename', '--agent', id, '--name', 'after'], env)).stdout).toBe(`agent_id=${id} name=after created_at=${created_at}\n`);
    expect((await t.http.get(`/v1/agents/${id}`)).body.name).toBe('after');

    const nameless = await createAgent();
    const namelessCreated = (await t.http.get(`/v1/agents/${nameless}`)).body.created_at;
    const list = await spendguard(['agent', 'list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toContain(`agent_id=${id} name=after created_at=${created_at}`);
    expect(lines).toContain(`agent_id=${nameless} created_at=${namelessCreated}`);
    const server = await t.http.get('/v1/agents?limit=500');
    expect(lines).toHaveLength(server.body.agents.length);
  });

  it('list reads every page, as the seed (which had no pages) did; --limit shows one page and its cursor', async () => {
    await Promise.all(Array.from({ length: 52 }, (_, i) => t.http.post('/v1/agents', { name: `bulk-${i}` })));
    const total = (await t.http.get('/v1/agents?limit=500')).body.agents.length;
    expect(total).toBeGreaterThan(50);
    const all = await spendguard(['agent', 'list'], env);
    const ids = all.stdout.trim().split('\n').map((l) => fields(l).agent_id);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);

    const page = await spendguard(['agent', 'list', '--limit', '2'], env);
    const pageLines = page.stdout.trim().split('\n');
    expect(pageLines).toHaveLength(3);
    expect(pageLines[2]).toMatch(/^next_cursor=.+/);
    const next = await spendguard(['agent', 'list', '--limit', '2', '--cursor', pageLines[2].slice('next_cursor='.length)], env);
    expect(next.stdout.split('\n')[0]).not.toBe(pageLines[0]);
    expect(ids.slice(2, 4)).toEqual(next.stdout.trim().split('\n').slice(0, 2).map((l) => fields(l).agent_id));
  });

  it('delete prints deleted agent_id=<id>; the agent then refuses to spend', async () => {
    const id = await createAgent('doomed');
    expect(await spendguard(['agent', 'delete', '--agent', id], env)).toEqual({ code: 0, stdout: `deleted agent_id=${id}\n`, stderr: '' });
    expect((await t.http.get(`/v1/agents/${id}`)).body.deleted_at).not.toBeNull();
    const set = await spendguard(['budget', 'set', '--agent', id, '--limit', '10'], env);
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/^HTTP 404: /);
  });

  it("--json prints the server's JSON as the seed did: sorted keys, indent 2, non-ASCII escaped", async () => {
    const create = await spendguard(['agent', 'create', '--name', 'café ✓', '--json'], env);
    expect(create.code).toBe(0);
    const body = JSON.parse(create.stdout);
    expect(create.stdout).toContain('"name": "caf\\u00e9 \\u2713"');
    const server = await t.http.get(`/v1/agents/${body.agent_id}`);
    expect(body).toEqual(server.body);
    expect(create.stdout).toBe(`${pythonJson(server.body)}\n`);
    for (const args of [['agent', 'get', '--agent', body.agent_id], ['agent', 'rename', '--agent', body.agent_id, '--name', 'café ✓']]) {
      expect((await spendguard([...args, '--json'], env)).stdout).toBe(`${pythonJson(server.body)}\n`);
    }
    const list = await spendguard(['agent', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toMatchObject({ next_cursor: null });
    expect(JSON.parse(list.stdout).agents).toContainEqual(server.body);
    expect(JSON.parse((await spendguard(['agent', 'delete', '--agent', body.agent_id, '--json'], env)).stdout)).toEqual({ agent_id: body.agent_id, deleted: true });
  });
});

describe('spendguard budget', () => {
  it('set and get print the seed fields in the seed order, None for null', async () => {
    const id = await createAgent('budgeted');
    const expected = [`agent_id=${id}`, 'hard_limit_cents=5000', 'remaining_cents=5000', 'locked_cents=0', 'locked_run_id=None', 'locked_expires_at=None', ''].join('\n');
    expect(await spendguard(['budget', 'set', '--agent', id, '--limit', '5000', '--topup', '5000'], env)).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(await spendguard(['budget', 'get', '--agent', id], env)).toEqual({ code: 0, stdout: expected, stderr: '' });
  });

  it("follows the seed's arithmetic: topup defaults to 0, a later set adds the topup up to the new limit", async () => {
    const id = await createAgent();
    expect(fields((await spendguard(['budget', 'set', '--agent', id, '--limit', '300'], env)).stdout)).toMatchObject({ hard_limit_cents: '300', remaining_cents: '300' });
    const server = await t.http.post(`/v1/agents/${id}/budget/topup`, { amount_cents: 1 });
    expect(server.status).toBe(200);
    expect(fields((await spendguard(['budget', 'set', '--agent', id, '--limit', '1000', '--topup', '200'], env)).stdout)).toMatchObject({ hard_limit_cents: '1000', remaining_cents: '500' });
    expect(fields((await spendguard(['budget', 'topup', '--agent', id, '--amount', '250'], env)).stdout)).toMatchObject({ agent_id: id, remaining_cents: '750' });
    const json = await spendguard(['budget', 'get', '--agent', id, '--json'], env);
    expect(json.stdout).toBe(`${pythonJson((await t.http.get(`/v1/agents/${id}/budget`)).body)}\n`);
    expect(JSON.parse(json.stdout)).toMatchObject({ remaining_cents: 750, remaining_microcents: '750000000', spent_cents: 0 });
  });

  it('prints the HTTP status and detail of a refusal on stderr and exits 1', async () => {
    const unknown = randomUUID();
    const server = await t.http.get(`/v1/agents/${unknown}/budget`);
    expect(await spendguard(['budget', 'get', '--agent', unknown], env)).toEqual({ code: 1, stdout: '', stderr: `HTTP ${server.status}: ${server.body.detail}\n` });
    const id = await createAgent();
    const zero = await spendguard(['budget', 'set', '--agent', id, '--limit', '0'], env);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/^HTTP 400: .*hard_limit_cents/);
    const json = await spendguard(['agent', 'get', '--agent', unknown, '--json'], env);
    expect(json).toMatchObject({ code: 1, stdout: '' });
    expect(json.stderr).toBe('HTTP 404: Agent not found\n'); // the seed's detail, as the seed CLI printed it
  });

  it('says "Request failed" and exits 1 when nothing answers', async () => {
    const res = await spendguard(['budget', 'get', '--agent', randomUUID()], { CAP_BASE_URL: `http://127.0.0.1:${await freePort()}` });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Request failed: .*ECONNREFUSED/);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['budget', 'get'], 'the following arguments are required: --agent'],
    [['budget', 'set', '--limit', '5000'], '--agent'],
    [['budget', 'set', '--agent', 'a1', '--limit=-1'], 'argument --limit: must be >= 0'],
    [['budget', 'set', '--agent', 'a1', '--limit', '12x'], 'argument --limit: must be an integer'],
    [['budget', 'set', '--agent', 'a1', '--limit', '-1'], 'argument --limit: must be >= 0'], // a negative value, as argparse reads it: not "ambiguous"
    [['agent', 'rename', '--agent', 'a1'], '--name'],
    [['agent', 'create', '--nme', 'x'], "Unknown option '--nme'"],
    [['agent', 'create', '--concurrency', 'sometimes'], 'invalid choice'],
    [['agent', 'fly'], "unknown command 'agent fly'"],
    [['launch'], "unknown command 'launch'"],
  ])('spendguard %j', async (args, message) => {
    const res = await spendguard(args, env);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain('usage: spendguard');
  });

  it('prints the help and exits 2 without a command, as the seed did', async () => {
    for (const args of [[], ['agent'], ['budget']]) {
      const res = await spendguard(args, env);
      expect(res.code).toBe(2);
      expect(res.stdout).toContain('usage: spendguard');
    }
  });
});

describe('connection settings', () => {
  it('--base-url wins over CAP_BASE_URL; common options may also come first', async () => {
    const dead = { CAP_BASE_URL: `http://127.0.0.1:${await freePort()}` };
    expect((await spendguard(['agent', 'list', '--base-url', t.url], dead)).code).toBe(0);
    expect((await spendguard(['--base-url', t.url, 'agent', 'list'], dead)).code).toBe(0);
    const json = await spendguard(['--json', `--base-url=${t.url}`, 'agent', 'create'], dead);
    expect(JSON.parse(json.stdout).agent_id).toMatch(UUID);
  });

  it('CAP_MODE=hosted refuses to send anything without a key, as the seed did', async () => {
    const res = await spendguard(['agent', 'create', '--name', 'alpha'], { ...env, CAP_MODE: 'hosted' });
    expect(res).toEqual({ code: 1, stdout: '', stderr: 'Hosted mode requires API key via --api-key or CAP_API_KEY\n' });
    const agents = await t.http.get('/v1/agents?limit=500');
    expect(agents.body.agents.some((a: { name: string }) => a.name === 'alpha')).toBe(false);
  });
});
