// `spendguard group …`, `group budget …`, `agent move` / `--group` and `ledger --group`, as the
// real binary against a running service in front of the fake provider: key=value lines, --json as
// the server's JSON, `HTTP <code>: <detail>` with exit 1, usage errors with exit 2.
import { pythonJson } from '../../src/cli/output';
import { useProxyStack } from '../support/proxy-stack';
import { eventually, fields, pairs, spendguard, UUID } from './cli-support';

const s = useProxyStack();
const env = () => ({ CAP_BASE_URL: s.t.url });

async function created(args: string[]): Promise<string> {
  const res = await spendguard(args, env());
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  return res.stdout.trim().split('=')[1];
}

describe('spendguard group', () => {
  it('create, get, list, rename, move and delete', async () => {
    const org = await created(['group', 'create', '--name', 'org']);
    expect(org).toMatch(UUID);
    const team = await created(['group', 'create', '--name', 'evals team', '--parent', org]);
    const server = (await s.http.get(`/v1/groups/${team}`)).body;

    const got = await spendguard(['group', 'get', '--group', team], env());
    expect(got.stdout).toBe(`group_id=${team} name=evals team parent_group_id=${org} created_at=${server.created_at}\n`);
    expect((await spendguard(['group', 'get', '--group', team, '--json'], env())).stdout).toBe(`${pythonJson(server)}\n`);

    const list = await spendguard(['group', 'list'], env());
    expect(list.stdout).toContain(`group_id=${org} name=org created_at=`);
    expect(list.stdout).toContain(`group_id=${team} name=evals team parent_group_id=${org}`);

    expect(pairs((await spendguard(['group', 'rename', '--group', team, '--name', 'evals'], env())).stdout)).toMatchObject({ name: 'evals' });
    const top = await spendguard(['group', 'move', '--group', team, '--no-parent'], env());
    expect(top.stdout).not.toContain('parent_group_id');
    expect(pairs((await spendguard(['group', 'move', '--group', team, '--parent', org], env())).stdout)).toMatchObject({ parent_group_id: org });

    // A cycle is the service's 400, printed as the seed printed errors.
    const cycle = await spendguard(['group', 'move', '--group', org, '--parent', team], env());
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toMatch(/^HTTP 400: .*cycle/);

    // A group with a member cannot be deleted (409); once empty, it can.
    const refused = await spendguard(['group', 'delete', '--group', org], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^HTTP 409: /);
    expect((await spendguard(['group', 'delete', '--group', team], env())).stdout).toBe(`deleted group_id=${team}\n`);
    expect((await spendguard(['group', 'delete', '--group', org], env())).code).toBe(0);
    expect((await spendguard(['group', 'list', '--include-deleted'], env())).stdout).toContain(`group_id=${team} name=evals`);
    expect((await spendguard(['group', 'get', '--group', 'not-a-group'], env())).stderr).toMatch(/^HTTP 404: /);
  });

  it('budget set, get and topup, with a period, and --json as the server answers', async () => {
    const team = await created(['group', 'create', '--name', 'budgeted']);
    const set = await spendguard(['group', 'budget', 'set', '--group', team, '--limit', '5000', '--topup', '2000', '--period', '1mo', '--tz', 'Europe/Berlin'], env());
    expect(set.code).toBe(0);
    const out = fields(set.stdout);
    expect(Object.keys(out)).toEqual([
      'group_id', 'hard_limit_cents', 'remaining_cents', 'reserved_cents', 'spent_cents', 'in_flight',
      'period', 'period_timezone', 'period_started_at', 'next_reset_at', 'period_spent_cents', 'requested_cents', 'applied_cents',
    ]);
    expect(out).toMatchObject({ group_id: team, hard_limit_cents: '5000', remaining_cents: '2000', period: '1mo', period_timezone: 'Europe/Berlin', applied_cents: '2000' });

    const topped = fields((await spendguard(['group', 'budget', 'topup', '--group', team, '--amount', '250'], env())).stdout);
    expect(topped).toMatchObject({ remaining_cents: '2250', requested_cents: '250', applied_cents: '250' });

    // --period none: a lifetime budget again.
    const lifetime = fields((await spendguard(['group', 'budget', 'set', '--group', team, '--limit', '5000', '--period', 'none'], env())).stdout);
    expect(lifetime).toMatchObject({ period: 'None', next_reset_at: 'None' });

    const json = await spendguard(['--json', 'group', 'budget', 'get', '--group', team], env());
    expect(json.stdout).toBe(`${pythonJson((await s.http.get(`/v1/groups/${team}/budget`)).body)}\n`);

    const bad = await spendguard(['group', 'budget', 'set', '--group', team, '--limit', '10', '--period', '2d'], env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^HTTP 400: /);
  });

  it('agent create --group, agent move and rename --no-group; ledger --group shows whose calls', async () => {
    const team = await created(['group', 'create', '--name', 'spenders']);
    await spendguard(['group', 'budget', 'set', '--group', team, '--limit', '100'], env());
    const agent = await created(['agent', 'create', '--name', 'bot', '--group', team]);
    const line = pairs((await spendguard(['agent', 'get', '--agent', agent], env())).stdout);
    expect(line).toMatchObject({ agent_id: agent, name: 'bot', group_id: team });

    const call = await s.http.post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-cynsta-agent-id': agent } });
    expect(call.status).toBe(200);
    await eventually(async () => (await s.http.get(`/v1/groups/${team}/ledger`)).body.entries.length === 4);
    const ledger = await spendguard(['ledger', '--group', team], env());
    const entries = ledger.stdout.trim().split('\n').map(pairs);
    expect(entries.map((e) => [e.kind, e.agent_id])).toEqual([
      ['release', agent],
      ['settle', agent],
      ['reserve', agent],
      ['limit_set', undefined],
    ]);
    const spent = fields((await spendguard(['group', 'budget', 'get', '--group', team], env())).stdout);
    expect(Number(spent.spent_cents)).toBeGreaterThan(0);

    expect(pairs((await spendguard(['agent', 'move', '--agent', agent, '--no-group'], env())).stdout).group_id).toBeUndefined();
    expect(pairs((await spendguard(['agent', 'move', '--agent', agent, '--group', team], env())).stdout).group_id).toBe(team);
    const renamed = pairs((await spendguard(['agent', 'rename', '--agent', agent, '--name', 'bot-2', '--no-group'], env())).stdout);
    expect(renamed).toMatchObject({ name: 'bot-2' });
    expect(renamed.group_id).toBeUndefined();

    const gone = await spendguard(['agent', 'move', '--agent', agent, '--group', '00000000-0000-4000-8000-000000000000'], env());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^HTTP 404: /);
  });

  it.each([
    [['group', 'move', '--group', 'g'], 'give one of --parent ID or --no-parent'],
    [['group', 'move', '--group', 'g', '--parent', 'p', '--no-parent'], 'give one of --parent ID or --no-parent'],
    [['group', 'create'], 'the following arguments are required: --name'],
    [['group', 'budget', 'set', '--group', 'g', '--limit', '5', '--tz', 'UTC'], 'argument --tz: only with --period'],
    [['group', 'budget', 'set', '--group', 'g', '--limit', '5', '--period', 'none', '--tz', 'UTC'], 'argument --tz: not with --period none'],
    [['group', 'budget', 'topup', '--group', 'g', '--amount', '0'], 'argument --amount: must be > 0'],
    [['group', 'budget', 'fly'], "unknown command 'group budget fly'"],
    [['agent', 'move', '--agent', 'a'], 'give one of --group ID or --no-group'],
    [['agent', 'rename', '--agent', 'a', '--name', 'n', '--group', 'g', '--no-group'], 'give --group ID or --no-group, not both'],
    [['ledger'], 'the following arguments are required: --agent (or --group)'],
    [['ledger', '--agent', 'a', '--group', 'g'], 'give --agent or --group, not both'],
  ])('spendguard %j is a usage error (exit 2)', async (args, message) => {
    const res = await spendguard(args, env());
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain('usage: spendguard');
  });

  it('prints the help of `group budget` alone and exits 2', async () => {
    const res = await spendguard(['group', 'budget'], env());
    expect(res.code).toBe(2);
    expect(res.stdout).toContain('spendguard group budget set');
  });
});
