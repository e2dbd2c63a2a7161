// The service in front of the fake provider, priced by the seed's signed test table
// (valid-basic.json), for metered-call tests.
import { FakeProvider, startFakeProvider } from '../fake-provider/fake-provider';
import { SIGNED_PRICING_ENV } from './pricing-fixtures';
import { expectLedgerBalanced, HttpClient, startTestApp, TestApp, TestAppOptions } from './test-app';

export const PROVIDER_KEYS = {
  OPENAI_API_KEY: 'sk-test-openai',
  XAI_API_KEY: 'xai-test-key',
  ANTHROPIC_API_KEY: 'sk-ant-test',
  GEMINI_API_KEY: 'gemini-test-key',
};

export interface ProxyStack {
  fake: FakeProvider;
  t: TestApp;
  http: HttpClient;
  /** A new agent with a budget; returns its id. */
  agent(limitCents: number, opts?: { concurrency?: 'exclusive' | 'parallel'; name?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startProxyStack(opts: TestAppOptions = {}): Promise<ProxyStack> {
  const fake = await startFakeProvider();
  const t = await startTestApp({
    ...opts,
    env: { ...SIGNED_PRICING_ENV, ...PROVIDER_KEYS, ...fake.env(), ...opts.env },
  });
  return {
    fake,
    t,
    http: t.http,
    async agent(limitCents, o = {}) {
      const created = await t.http.post('/v1/agents', { name: o.name ?? 'metered', concurrency: o.concurrency ?? 'exclusive' });
      await t.http.post(`/v1/agents/${created.body.agent_id}/budget`, { hard_limit_cents: limitCents });
      return created.body.agent_id;
    },
    async close() {
      await t.close();
      await fake.close();
    },
  };
}

/**
 * One stack for a spec file: started before its tests, the fake reset before each, the SPEC §5
 * invariant checked after each, closed at the end. Returns a handle that reads the live stack.
 */
export function useProxyStack(opts: TestAppOptions = {}): ProxyStack {
  let current: ProxyStack | undefined;
  beforeAll(async () => {
    current = await startProxyStack(opts);
  });
  beforeEach(() => current!.fake.reset());
  afterEach(() => expectLedgerBalanced(current!.t.pool));
  afterAll(() => current?.close());
  return new Proxy({} as ProxyStack, {
    get: (_target, prop) => {
      if (!current) throw new Error('the proxy stack is used before beforeAll started it');
      return current[prop as keyof ProxyStack];
    },
  });
}
