// `tenants` and `keys` against a hosted service, and the seed's key handling: --api-key or
// CAP_API_KEY, sent as x-api-key; CAP_MODE=hosted without one sends nothing.
import { startTestApp, TestApp } from '../support/test-app';
import { eventually, fields, pairs, spendguard, UUID } from './cli-support';

const OPERATOR_KEY = 'operator-key-for-cli-tests-0123456789';
let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp({ redis: true, env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY } });
  env = { CAP_BASE_URL: t.url, CAP_MODE: 'hosted' };
});
afterAll(() => t?.close());

async function newTenant(name: string): Promise<Record<string, string>> {
  const res = await spendguard(['tenants', 'create', '--name', name], { ...env, CAP_API_KEY: OPERATOR_KEY });
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return fields(res.stdout);
}

describe('spendguard tenants (operator)', () => {
  it('create prints the tenant and its first admin key once; list shows the tenants', async () => {
    const tenant = await newTenant('acme');
    expect(Object.keys(tenant)).toEqual(['tenant_id', 'name', 'created_at', 'api_key_id', 'api_key']);
    expect(tenant.tenant_id).toMatch(UUID);
    expect(tenant.api_key).toMatch(/^sk_cynsta_live_[0-9A-Za-z]{32}$/);
    // The key works: the tenant makes an agent with it.
    const agent = await spendguard(['agent', 'create', '--name', 'acme-agent', '--api-key', tenant.api_key], env);
    expect(agent.code).toBe(0);
    const seen = await t.http.get(`/v1/agents/${fields(agent.stdout).agent_id}`, { headers: { 'x-api-key': tenant.api_key } });
    expect(seen.body.name).toBe('acme-agent');

    const list = await spendguard(['tenants', 'list', '--api-key', OPERATOR_KEY], env);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n').map(pairs)).toContainEqual({ tenant_id: tenant.tenant_id, name: 'acme', created_at: tenant.created_at });
    const json = JSON.parse((await spendguard(['tenants', 'list', '--json', '--all'], { ...env, CAP_API_KEY: OPERATOR_KEY })).stdout);
    expect(json.tenants.map((x: { tenant_id: string }) => x.tenant_id)).toContain(tenant.tenant_id);
  });

  it('a tenant key cannot create tenants: HTTP 403/401 with the detail, exit 1', async () => {
    const tenant = await newTenant('not-an-operator');
    const res = await spendguard(['tenants', 'create', '--name', 'x'], { ...env, CAP_API_KEY: tenant.api_key });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^HTTP 40[13]: \S/);
  });
});

describe('spendguard keys (tenant admin)', () => {
  it('create prints the secret once; list shows the key without it; a revoked key stops working', async () => {
    const tenant = await newTenant('keys-co');
    const admin = { ...env, CAP_API_KEY: tenant.api_key };
    const created = await spendguard(['keys', 'create', '--name', 'ci-runner', '--scopes', 'read,cap:use', '--environment', 'test'], admin);
    expect(created.code).toBe(0);
    const key = fields(created.stdout);
    expect(Object.keys(key)).toEqual(['id', 'name', 'prefix', 'scopes', 'created_at', 'secret']);
    expect(key).toMatchObject({ name: 'ci-runner', scopes: 'read,cap:use' });
    expect(key.secret).toMatch(/^sk_cynsta_test_/);
    expect(key.secret.startsWith(key.prefix)).toBe(true);

    const list = await spendguard(['keys', 'list'], admin);
    expect(list.stdout).not.toContain(key.secret);
    const row = list.stdout.trim().split('\n').map(pairs).find((r) => r.id === key.id);
    expect(row).toEqual({ id: key.id, name: 'ci-runner', prefix: key.prefix, scopes: 'read,cap:use', created_at: key.created_at });

    // The read key reads, through the CLI, and is refused a write.
    expect((await spendguard(['agent', 'list'], { ...env, CAP_API_KEY: key.secret })).code).toBe(0);
    const write = await spendguard(['agent', 'create'], { ...env, CAP_API_KEY: key.secret });
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/^HTTP 403: /);

    const revoked = await spendguard(['keys', 'revoke', '--id', key.id], admin);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked id=${key.id} revoked_at=\\d{4}-`));
    expect(pairs((await spendguard(['keys', 'list'], admin)).stdout.split('\n').find((l) => l.includes(key.id))!).revoked_at).toBeDefined();
    // Revocation reaches every instance within a second (SPEC §7).
    await eventually(async () => (await spendguard(['agent', 'list'], { ...env, CAP_API_KEY: key.secret })).code === 1, 3_000);
    expect((await spendguard(['agent', 'list'], { ...env, CAP_API_KEY: key.secret })).stderr).toMatch(/^HTTP 401: /);

    const usage = await spendguard(['keys', 'create', '--name', 'x', '--scopes', 'root'], admin);
    expect(usage.code).toBe(2);
  });
});

describe('the API key, as the seed sent it', () => {
  it('comes from --api-key or CAP_API_KEY (--api-key wins) and is sent as x-api-key', async () => {
    const tenant = await newTenant('key-sources');
    const fromEnv = await spendguard(['agent', 'list'], { ...env, CAP_API_KEY: tenant.api_key });
    expect(fromEnv).toMatchObject({ code: 0, stdout: '(no agents)\n' });
    const flagWins = await spendguard(['agent', 'list', '--api-key', tenant.api_key], { ...env, CAP_API_KEY: 'sk_cynsta_live_wrongwrongwrongwrongwrongwrong12' });
    expect(flagWins.code).toBe(0);
    const wrong = await spendguard(['agent', 'list'], { ...env, CAP_API_KEY: 'sk_cynsta_live_wrongwrongwrongwrongwrongwrong12' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^HTTP 401: /);
  });

  it('the error playbook: hosted mode without a key fails before sending; passing one fixes it', async () => {
    const tenant = await newTenant('playbook');
    const missing = await spendguard(['agent', 'create', '--name', 'agent-1'], env);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'Hosted mode requires API key via --api-key or CAP_API_KEY\n' });
    for (const cmd of [['agent', 'list'], ['budget', 'get', '--agent', 'a1'], ['keys', 'list'], ['tenants', 'list'], ['ledger', '--agent', 'a1'], ['run', 'list', '--agent', 'a1']]) {
      expect((await spendguard(cmd, env)).stderr).toBe('Hosted mode requires API key via --api-key or CAP_API_KEY\n');
    }
    const withFlag = await spendguard(['agent', 'create', '--name', 'agent-1', '--api-key', tenant.api_key], env);
    expect(withFlag.code).toBe(0);
    const agentId = fields(withFlag.stdout).agent_id;
    const withEnv = await spendguard(['budget', 'set', '--agent', agentId, '--limit', '5000', '--topup', '5000'], { ...env, CAP_API_KEY: tenant.api_key });
    expect(fields(withEnv.stdout)).toMatchObject({ agent_id: agentId, remaining_cents: '5000' });
  });
});

describe('spendguard tenant budget (hosted: the operator sets a tenant\'s credit)', () => {
  it('the operator sets and tops up with --tenant; the tenant reads its own and cannot raise it (HTTP 403)', async () => {
    const tenant = await newTenant('credit-co');
    const operator = { ...env, CAP_API_KEY: OPERATOR_KEY };
    const own = { ...env, CAP_API_KEY: tenant.api_key };
    const set = await spendguard(['tenant', 'budget', 'set', '--tenant', tenant.tenant_id, '--limit', '1000', '--topup', '400'], operator);
    expect(set.code).toBe(0);
    expect(fields(set.stdout)).toMatchObject({ tenant_id: tenant.tenant_id, hard_limit_cents: '1000', remaining_cents: '400', period: 'None' });
    const topped = await spendguard(['tenant', 'budget', 'topup', '--tenant', tenant.tenant_id, '--amount', '100'], operator);
    expect(fields(topped.stdout)).toMatchObject({ remaining_cents: '500', applied_cents: '100' });

    expect(fields((await spendguard(['tenant', 'budget', 'get'], own)).stdout)).toMatchObject({ tenant_id: tenant.tenant_id, remaining_cents: '500' });
    const raise = await spendguard(['tenant', 'budget', 'set', '--limit', '99999', '--topup', '99999'], own);
    expect(raise.code).toBe(1);
    expect(raise.stderr).toMatch(/^HTTP 403: /);
    const topupOwn = await spendguard(['tenant', 'budget', 'topup', '--amount', '5'], own);
    expect(topupOwn.stderr).toMatch(/^HTTP 403: /);
    // A tenant key on the operator's route: refused, whichever tenant it names.
    expect((await spendguard(['tenant', 'budget', 'get', '--tenant', tenant.tenant_id], own)).stderr).toMatch(/^HTTP 403: /);
    expect(fields((await spendguard(['tenant', 'budget', 'get'], own)).stdout).remaining_cents).toBe('500');

    const ledger = await spendguard(['tenant', 'ledger', '--tenant', tenant.tenant_id], operator);
    expect(ledger.stdout.trim().split('\n').map((l) => pairs(l).kind)).toEqual(['topup', 'limit_set']);
    expect((await spendguard(['tenant', 'ledger'], own)).stdout).toBe(ledger.stdout);
    expect((await spendguard(['tenant', 'budget', 'get', '--tenant', '00000000-0000-4000-8000-000000000000'], operator)).stderr).toMatch(/^HTTP 404: /);
  });
});
