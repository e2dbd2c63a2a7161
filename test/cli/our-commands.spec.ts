// Our commands beyond the seed's, as the real binary against a running service in front of the
// fake provider: budget topup, run create|list|get, ledger (paged), bootstrap (the seed's
// bootstrap script), pricing show, and `--help` with examples on every command.
import { useProxyStack } from '../support/proxy-stack';
import { eventually, fields, pairs, spendguard, UUID } from './cli-support';

const s = useProxyStack();
const env = () => ({ CAP_BASE_URL: s.t.url });

describe('spendguard run and ledger', () => {
  it('run create / get / list report the calls and spend the service recorded', async () => {
    const agent = await s.agent(100);
    const created = await spendguard(['run', 'create', '--agent', agent], env());
    expect(created.code).toBe(0);
    const run = fields(created.stdout);
    expect(Object.keys(run)).toEqual(['run_id', 'agent_id', 'created_at']);
    expect(run.agent_id).toBe(agent);

    s.fake.setBehavior({ usage: { input: 1000, output: 50 } });
    const call = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'lorem '.repeat(2000) }], max_tokens: 100 },
      { headers: { 'x-cynsta-agent-id': agent, 'x-cynsta-run-id': run.run_id } },
    );
    expect(call.status).toBe(200);
    await eventually(async () => (await s.http.get(`/v1/agents/${agent}/ledger`)).body.entries.length === 4);

    const server = (await s.http.get(`/v1/agents/${agent}/runs/${run.run_id}`)).body;
    expect(server).toMatchObject({ call_count: 1, spent_microcents: '18000', spent_cents: 1 });
    const got = await spendguard(['run', 'get', '--agent', agent, '--run', run.run_id], env());
    expect(got.stdout).toBe(
      [`run_id=${run.run_id}`, `agent_id=${agent}`, 'status=idle', 'call_count=1', 'in_flight=0', 'spent_cents=1', 'spent_microcents=18000', `created_at=${server.created_at}`, ''].join('\n'),
    );
    expect(JSON.parse((await spendguard(['run', 'get', '--agent', agent, '--run', run.run_id, '--json'], env())).stdout)).toEqual(server);

    const list = await spendguard(['run', 'list', '--agent', agent], env());
    expect(list.stdout).toContain(`run_id=${run.run_id} agent_id=${agent} status=idle call_count=1`);
    const other = await s.agent(10);
    expect((await spendguard(['run', 'list', '--agent', other], env())).stdout).toBe('(no runs)\n');

    const ledger = await spendguard(['ledger', '--agent', agent], env());
    const kinds = ledger.stdout.trim().split('\n').map((l) => pairs(l).kind);
    expect(kinds).toEqual(['release', 'settle', 'reserve', 'limit_set']);
    const settle = pairs(ledger.stdout.trim().split('\n')[1]);
    expect(settle).toMatchObject({ kind: 'settle', amount_microcents: '-18000', run_id: run.run_id, provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('ledger pages with --limit and --cursor, and --all reads to the end', async () => {
    const agent = await s.agent(1000);
    for (let i = 0; i < 6; i++) expect((await spendguard(['budget', 'topup', '--agent', agent, '--amount', '1'], env())).code).toBe(0);
    const server = (await s.http.get(`/v1/agents/${agent}/ledger?limit=500`)).body.entries.map((e: { entry_id: string }) => e.entry_id);
    expect(server).toHaveLength(7);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await spendguard(['ledger', '--agent', agent, '--limit', '3', ...(cursor ? ['--cursor', cursor] : [])], env());
      expect(res.code).toBe(0);
      const lines = res.stdout.trim().split('\n');
      cursor = lines.at(-1)!.startsWith('next_cursor=') ? lines.pop()!.slice('next_cursor='.length) : undefined;
      seen.push(...lines.map((l) => pairs(l).entry_id));
      if (!cursor) break;
    }
    expect(seen).toEqual(server);

    const all = await spendguard(['ledger', '--agent', agent, '--limit', '2', '--all', '--json'], env());
    const body = JSON.parse(all.stdout);
    expect(body.next_cursor).toBeNull();
    expect(body.entries.map((e: { entry_id: string }) => e.entry_id)).toEqual(server);
    const bad = await spendguard(['ledger', '--agent', agent, '--limit', '501'], env());
    expect(bad.code).toBe(2);
  });
});

describe('spendguard budget and the hard-limit ceiling (SPEC §3)', () => {
  it('topup prints what was asked and what was applied; set keeps the seed output and notes a cut top-up on stderr', async () => {
    const agent = (await s.http.post('/v1/agents', { name: 'ceiling-cli' })).body.agent_id;
    const set = await spendguard(['budget', 'set', '--agent', agent, '--limit', '5000', '--topup', '5000'], env());
    expect(set.stderr).toBe('');
    const topup = await spendguard(['budget', 'topup', '--agent', agent, '--amount', '250'], env());
    expect(topup.code).toBe(0);
    expect(fields(topup.stdout)).toMatchObject({ remaining_cents: '5000', requested_cents: '250', applied_cents: '0' });
    const again = await spendguard(['budget', 'set', '--agent', agent, '--limit', '5000', '--topup', '250'], env());
    expect(again.code).toBe(0);
    expect(Object.keys(fields(again.stdout))).toEqual(['agent_id', 'hard_limit_cents', 'remaining_cents', 'locked_cents', 'locked_run_id', 'locked_expires_at']);
    expect(again.stderr).toMatch(/^note: requested_cents=250 applied_cents=0: remaining \+ reserved never exceeds the hard limit/);
  });
});

describe('negative numbers on the command line', () => {
  it('`--limit -5` is read as a value and refused for what it is, not as "ambiguous"', async () => {
    const res = await spendguard(['budget', 'set', '--agent', 'a', '--limit', '-5'], env());
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('argument --limit: must be >= 0');
    expect(res.stderr).not.toContain('ambiguous');
    const topup = await spendguard(['budget', 'topup', '--agent', 'a', '--amount', '-1'], env());
    expect(topup.code).toBe(2);
    expect(topup.stderr).toContain('argument --amount: must be > 0');
  });
});

describe('spendguard bootstrap (the seed bootstrap script)', () => {
  it('checks health, creates the agent, sets the budget, and prints what the job needs', async () => {
    const res = await spendguard(['bootstrap', '--name', 'my-agent', '--limit', '5000', '--topup', '5000'], env());
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    const agent = fields(res.stdout).agent_id;
    expect(agent).toMatch(UUID);
    expect(lines).toEqual([`agent_id=${agent}`, 'hard_limit_cents=5000', 'remaining_cents=5000', `export_SPENDGUARD_AGENT_ID=${agent}`]);
    expect((await s.http.get(`/v1/agents/${agent}`)).body.name).toBe('my-agent');
    expect((await s.http.get(`/v1/agents/${agent}/budget`)).body).toMatchObject({ hard_limit_cents: 5000, remaining_cents: 5000 });
    // The health check ran first.
    const down = await spendguard(['bootstrap', '--limit', '5', '--base-url', 'http://127.0.0.1:1'], env());
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Request failed: /);
  });

  it('--create-run adds a run; --json prints {agent_id, base_url, budget, run}; --topup defaults to --limit', async () => {
    const text = await spendguard(['bootstrap', '--limit', '300', '--create-run'], env());
    const out = fields(text.stdout);
    expect(out.run_id).toMatch(UUID);
    expect((await s.http.get(`/v1/agents/${out.agent_id}/runs/${out.run_id}`)).status).toBe(200);
    expect((await s.http.get(`/v1/agents/${out.agent_id}`)).body.name).toBe('strict-budget-agent');

    const json = await spendguard(['bootstrap', '--name', 'j', '--limit', '200', '--create-run', '--json'], env());
    const body = JSON.parse(json.stdout);
    expect(Object.keys(body)).toEqual(['agent_id', 'base_url', 'budget', 'run']);
    expect(body.base_url).toBe(s.t.url);
    expect(body.budget).toEqual((await s.http.get(`/v1/agents/${body.agent_id}/budget`)).body);
    expect(body.budget.remaining_cents).toBe(200);
    expect(body.run).toMatchObject({ run_id: expect.stringMatching(UUID), agent_id: body.agent_id });
    const noRun = JSON.parse((await spendguard(['bootstrap', '--limit', '1', '--json'], env())).stdout);
    expect(noRun.run).toBeNull();
    expect((await spendguard(['bootstrap', '--limit', '0'], env())).code).toBe(2);
  });
});

describe('spendguard pricing show', () => {
  it('prints the table in force and one line per card', async () => {
    const server = (await s.http.get('/v1/pricing')).body;
    const res = await spendguard(['pricing', 'show'], env());
    expect(res.code).toBe(0);
    const out = fields(res.stdout);
    expect(out).toMatchObject({ available: 'True', verified: 'True', version: server.version, source: 'file' });
    expect(res.stdout).toContain('rate=openai/gpt-4o-mini input_cents_per_1m=15 output_cents_per_1m=60 cached_input_cents_per_1m=8\n');
    const cards = Object.values(server.rates as Record<string, object>).reduce((n, models) => n + Object.keys(models).length, 0);
    expect(res.stdout.split('\n').filter((l) => l.startsWith('rate=')).length).toBe(cards);
    expect(JSON.parse((await spendguard(['pricing', 'show', '--json'], env())).stdout)).toEqual(server);
  });
});

describe('--help', () => {
  const COMMANDS = [
    'agent create', 'agent list', 'agent get', 'agent rename', 'agent move', 'agent delete',
    'budget set', 'budget get', 'budget topup',
    'group create', 'group list', 'group get', 'group rename', 'group move', 'group delete',
    'group budget set', 'group budget get', 'group budget topup',
    'run create', 'run list', 'run get',
    'ledger', 'keys create', 'keys list', 'keys revoke', 'tenants create', 'tenants list',
    'pricing show', 'pricing keygen', 'pricing sign', 'pricing verify',
    'bootstrap', 'serve',
  ];

  it.each(COMMANDS)('spendguard %s --help shows its usage and examples, exit 0', async (command) => {
    const res = await spendguard([...command.split(' '), '--help'], {});
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain(`spendguard ${command}`);
    const examples = res.stdout.slice(res.stdout.indexOf('Examples:'));
    expect(examples).toMatch(new RegExp(`Examples:\\n(.*\\n)*.*spendguard ${command}`));
  });

  it.each(['agent', 'budget', 'group', 'group budget', 'run', 'keys', 'tenants', 'pricing'])('spendguard %s --help lists its commands', async (group) => {
    const res = await spendguard([...group.split(' '), '--help'], {});
    expect(res.code).toBe(0);
    for (const command of COMMANDS.filter((c) => c.startsWith(`${group} `))) expect(res.stdout).toContain(`spendguard ${command}`);
  });

  it('spendguard --help lists every command group', async () => {
    const res = await spendguard(['--help'], {});
    expect(res.code).toBe(0);
    for (const word of new Set(COMMANDS.map((c) => c.split(' ')[0]))) expect(res.stdout).toContain(`  ${word}`);
  });
});
