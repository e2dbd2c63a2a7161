// The CLI on every level of SPEC §10 beside groups (group-commands.spec.ts): `budget set --period
// --tz`, `run create --budget` with `run get` and `ledger --run`, and `tenant budget set | get |
// topup` / `tenant ledger` in a sidecar — as the real binary against a running service in front of
// the fake provider. The seed's `budget` lines stay exactly the seed's when there is no period.
import { pythonJson } from '../../src/cli/output';
import { useProxyStack } from '../support/proxy-stack';
import { eventually, fields, spendguard } from './cli-support';

const s = useProxyStack();
const env = () => ({ CAP_BASE_URL: s.t.url });

async function ok(args: string[]): Promise<Record<string, string>> {
  const res = await spendguard(args, env());
  expect({ args, code: res.code, stderr: res.stderr }).toEqual({ args, code: 0, stderr: '' });
  return fields(res.stdout);
}

describe('budget set --period --tz', () => {
  it("sets a monthly budget in a timezone, prints the seed's lines then the period's; --period none makes it a lifetime budget", async () => {
    const agent = await s.agent(10);
    const set = await spendguard(['budget', 'set', '--agent', agent, '--limit', '5000', '--period', '1mo', '--tz', 'Europe/Berlin'], env());
    expect(set.code).toBe(0);
    const keys = set.stdout.trim().split('\n').map((l) => l.split('=')[0]);
    expect(keys).toEqual([
      'agent_id', 'hard_limit_cents', 'remaining_cents', 'locked_cents', 'locked_run_id', 'locked_expires_at',
      'period', 'period_timezone', 'period_started_at', 'next_reset_at', 'period_spent_cents',
    ]);
    const out = fields(set.stdout);
    const server = (await s.http.get(`/v1/agents/${agent}/budget`)).body;
    expect(out).toMatchObject({ period: '1mo', period_timezone: 'Europe/Berlin', period_started_at: server.period_started_at, next_reset_at: server.next_reset_at });
    // Months start at local midnight in Berlin: 23:00 or 22:00 UTC the day before.
    expect(new Date(server.next_reset_at).getUTCHours()).toBeGreaterThanOrEqual(22);
    expect((await spendguard(['budget', 'get', '--agent', agent, '--json'], env())).stdout).toBe(`${pythonJson(server)}\n`);

    const lifetime = await spendguard(['budget', 'set', '--agent', agent, '--limit', '5000', '--period', 'none'], env());
    // Without a period the lines are the seed's, and only those.
    expect(lifetime.stdout.trim().split('\n').map((l) => l.split('=')[0])).toEqual(['agent_id', 'hard_limit_cents', 'remaining_cents', 'locked_cents', 'locked_run_id', 'locked_expires_at']);
    expect((await s.http.get(`/v1/agents/${agent}/budget`)).body.period).toBeNull();
  });

  it('a bad period or timezone is the service\'s 400, printed as the seed printed errors; nothing changes', async () => {
    const agent = await s.agent(10);
    for (const args of [['--period', '1y'], ['--period', '1d', '--tz', 'Mars/Olympus']]) {
      const res = await spendguard(['budget', 'set', '--agent', agent, '--limit', '7', ...args], env());
      expect({ args, code: res.code }).toEqual({ args, code: 1 });
      expect(res.stderr).toMatch(/^HTTP 400: /);
    }
    expect((await s.http.get(`/v1/agents/${agent}/budget`)).body).toMatchObject({ hard_limit_cents: 10, period: null });
    const usage = await spendguard(['budget', 'set', '--agent', agent, '--limit', '7', '--tz', 'UTC'], env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('argument --tz: only with --period');
  });
});

describe('run create --budget', () => {
  it("gives the run its own budget: run get shows it, a call past it is refused on the run's level, ledger --run lists its entries", async () => {
    const agent = await s.agent(100);
    const created = await ok(['run', 'create', '--agent', agent, '--budget', '2']);
    expect(created).toMatchObject({ agent_id: agent, budget_hard_limit_cents: '2', budget_remaining_cents: '2', budget_reserved_cents: '0' });
    const run = created.run_id;
    s.fake.setBehavior({ usage: { input: 10, output: 10 } });
    const call = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-cynsta-agent-id': agent, 'x-cynsta-run-id': run } },
    );
    expect(call.status).toBe(200);
    await eventually(async () => (await ok(['run', 'get', '--agent', agent, '--run', run])).call_count === '1');
    const got = await ok(['run', 'get', '--agent', agent, '--run', run]);
    expect(got).toMatchObject({ run_id: run, budget_hard_limit_cents: '2', budget_reserved_cents: '0' });

    const refused = await s.http.post(
      '/v1/chat/completions',
      { model: 'gpt-5.2', max_tokens: 50_000, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-cynsta-agent-id': agent, 'x-cynsta-run-id': run, 'x-cynsta-clamp': 'off' } },
    );
    expect(refused.body).toMatchObject({ level: 'run', level_id: run });

    const ledger = await spendguard(['ledger', '--agent', agent, '--run', run], env());
    const kinds = ledger.stdout.trim().split('\n').map((l) => fields(l.split(' ').join('\n')).kind);
    expect(kinds).toEqual(['release', 'settle', 'reserve', 'limit_set']);
    const usage = await spendguard(['ledger', '--group', 'g', '--run', run], env());
    expect(usage.code).toBe(2);
    const bad = await spendguard(['run', 'create', '--agent', agent, '--budget', '0'], env());
    expect(bad.code).toBe(2);
  });

  it('run create without --budget prints what it always printed', async () => {
    const agent = await s.agent(100);
    const res = await spendguard(['run', 'create', '--agent', agent], env());
    expect(res.stdout.trim().split('\n').map((l) => l.split('=')[0])).toEqual(['run_id', 'agent_id', 'created_at']);
  });
});

describe('tenant budget (sidecar: the tenant sets its own)', () => {
  afterAll(async () => {
    await s.http.post('/v1/tenant/budget', { hard_limit_cents: 1_000_000, topup_cents: 1_000_000 });
  });

  it('set, get, topup and ledger', async () => {
    const set = await ok(['tenant', 'budget', 'set', '--limit', '500', '--topup', '100', '--period', '1w', '--tz', 'America/New_York']);
    const server = (await s.http.get('/v1/tenant/budget')).body;
    expect(set).toMatchObject({ tenant_id: server.level_id, hard_limit_cents: '500', period: '1w', period_timezone: 'America/New_York', requested_cents: '100' });
    expect(new Date(server.next_reset_at).getUTCDay()).toBe(1); // weeks start on Monday, local midnight
    const got = await spendguard(['tenant', 'budget', 'get', '--json'], env());
    expect(got.stdout).toBe(`${pythonJson(server)}\n`);
    const topped = await ok(['tenant', 'budget', 'topup', '--amount', '1000']);
    expect(Number(topped.applied_cents)).toBe(500 - Number(set.remaining_cents));
    expect(topped.remaining_cents).toBe('500');
    const ledger = await spendguard(['tenant', 'ledger', '--limit', '1'], env());
    expect(ledger.stdout.split('\n')[0]).toMatch(/^entry_id=\S+ kind=topup amount_microcents=\d+/);
    expect(ledger.stdout).toMatch(/next_cursor=\S+\n$/);
  });
});
