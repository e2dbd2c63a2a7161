import { ConfigError, loadConfig, SEED_PRICING_PUBLIC_KEY, SEED_PRICING_URL, SEED_SQLITE_PATH } from './load-config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives a working sidecar with no settings at all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ mode: 'sidecar', port: 8787, host: '127.0.0.1', dataDir: './.spendguard', apiKey: undefined });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('says what is wrong with each bad value, one line each', () => {
    const lines = problems({ CAP_MODE: 'cloud', PORT: 'eighty', CAP_RESERVATION_TTL_SECONDS: '-5', DATABASE_URL: 'mysql://x' });
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('config: CAP_MODE:'))).toContain('"cloud"');
    expect(lines.find((l) => l.startsWith('config: PORT:'))).toContain('"eighty"');
    expect(lines.some((l) => l.startsWith('config: CAP_RESERVATION_TTL_SECONDS:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('config: DATABASE_URL:'))).toBe(true);
  });

  it('requires the database, Redis and operator key in hosted mode', () => {
    expect(problems({ CAP_MODE: 'hosted' })).toEqual([
      'config: DATABASE_URL: required when CAP_MODE=hosted',
      'config: REDIS_URL: required when CAP_MODE=hosted',
      'config: CAP_API_KEY: required when CAP_MODE=hosted (the operator key)',
      'config: CAP_PRICING_URL: hosted mode needs a signed pricing source (CAP_PRICING_URL or CAP_PRICING_FILE)',
    ]);
  });

  it('never prints the operator key, and refuses a short one', () => {
    const lines = problems({ CAP_API_KEY: 'short-secret' });
    expect(lines).toEqual(['config: CAP_API_KEY: must be at least 16 characters']);
    expect(lines.join()).not.toContain('short-secret');
  });

  it('binds beyond loopback only with a key', () => {
    expect(problems({ CAP_HOST: '0.0.0.0' })[0]).toMatch(/^config: CAP_HOST:/);
    expect(loadConfig({ CAP_HOST: '0.0.0.0', CAP_API_KEY: 'k'.repeat(16) }).host).toBe('0.0.0.0');
  });

  it('bounds every PostgreSQL query and Redis command, 5 s and 1 s unless told', () => {
    expect(loadConfig({})).toMatchObject({ dbQueryTimeoutMs: 5_000, dbStatementTimeoutMs: 5_000, redisCommandTimeoutMs: 1_000 });
    const c = loadConfig({ CAP_DB_QUERY_TIMEOUT_MS: '20000', CAP_DB_STATEMENT_TIMEOUT_MS: '15000', CAP_REDIS_COMMAND_TIMEOUT_MS: '250' });
    expect(c).toMatchObject({ dbQueryTimeoutMs: 20_000, dbStatementTimeoutMs: 15_000, redisCommandTimeoutMs: 250 });
  });

  it('never lets the server run a statement longer than the client waits for it', () => {
    expect(loadConfig({ CAP_DB_QUERY_TIMEOUT_MS: '1000', CAP_DB_STATEMENT_TIMEOUT_MS: '15000' }).dbStatementTimeoutMs).toBe(1_000);
  });

  it('refuses timeouts out of range, and a Redis timeout as long as the lock it guards', () => {
    const lines = problems({ CAP_DB_QUERY_TIMEOUT_MS: '0', CAP_REDIS_COMMAND_TIMEOUT_MS: '600000' });
    expect(lines.map((l) => l.split(':')[1].trim())).toEqual(['CAP_DB_QUERY_TIMEOUT_MS', 'CAP_REDIS_COMMAND_TIMEOUT_MS']);
    expect(problems({ CAP_REDIS_COMMAND_TIMEOUT_MS: '2000', CAP_LOCK_TTL_MS: '2000' })).toEqual([
      'config: CAP_REDIS_COMMAND_TIMEOUT_MS: must be below CAP_LOCK_TTL_MS (a lock would expire while its command still waits)',
    ]);
  });
  it("imports the seed's SQLite file at boot with CAP_STORE=sqlite, and in hosted mode names the command to use instead", () => {
    expect(loadConfig({ CAP_STORE: 'sqlite' }).seedSqlitePath).toBe('./cynsta-spendguard.db');
    expect(loadConfig({ CAP_STORE: 'sqlite', CAP_SQLITE_PATH: '/data/cynsta-spendguard.db' }).seedSqlitePath).toBe('/data/cynsta-spendguard.db');
    // A sidecar with no CAP_STORE looks where the seed kept its store (the seed's default store).
    expect(loadConfig({})).toMatchObject({ seedSqlitePath: './cynsta-spendguard.db', seedSqliteAsked: false });
    const hosted = { CAP_MODE: 'hosted', DATABASE_URL: 'postgresql://x@h/db', REDIS_URL: 'redis://h', CAP_API_KEY: 'operator-key-0123456789', CAP_PRICING_FILE: '/p.json', CAP_PRICING_SIGNING_PUBLIC_KEY: '1ITgfCZsRETBLvSKFUoPsP7p3RKNH4Nto6zKLlUD8nQ=' };
    expect(problems(hosted)).toEqual([]);
    const lines = problems({ ...hosted, CAP_STORE: 'sqlite' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: CAP_STORE: .*`spendguard import sqlite PATH` \(POST \/v1\/imports\/seed-sqlite\)/);
  });
});

// ../shared/seed/SETTINGS.md: every setting of the seed works as it did, or is refused at boot with
// one line saying what to use instead. Never silently ignored.
describe("the seed's settings", () => {
  it.each(['true', 'TRUE', 'True', 'on', 'ON', 'yes', '1'])('reads %s as true and its opposites as false', (word) => {
    expect(loadConfig({ CAP_TRUST_PROXY: word }).trustProxy).toBe(true);
    const opposite = { true: 'false', TRUE: 'FALSE', True: 'False', on: 'off', ON: 'OFF', yes: 'no', '1': '0' }[word]!;
    expect(loadConfig({ CAP_TRUST_PROXY: opposite }).trustProxy).toBe(false);
    expect(problems({ CAP_PRICING_VERIFY_SIGNATURE: 'maybe' })).toEqual([
      'config: CAP_PRICING_VERIFY_SIGNATURE: must be true/false, 1/0, yes/no or on/off (got "maybe")',
    ]);
  });

  it("verifies CAP_PRICING_URL with the seed's published key when none is given, as the seed did", () => {
    const c = loadConfig({ CAP_PRICING_URL: 'https://prices.example/v1/public/pricing' });
    expect(c.pricing).toMatchObject({ url: 'https://prices.example/v1/public/pricing', publicKeys: [SEED_PRICING_PUBLIC_KEY], verifySignature: true });
    expect(loadConfig({ CAP_PRICING_SOURCE: 'remote' }).pricing.url).toBe(SEED_PRICING_URL);
    expect(problems({ CAP_PRICING_SOURCE: 'file' })).toEqual(['config: CAP_PRICING_SOURCE: file needs CAP_PRICING_FILE (a signed price document on disk)']);
  });

  it('takes refresh intervals from 1 s, the HTTP timeout in seconds, the expiry skew, the engine and schema versions', () => {
    const c = loadConfig({
      CAP_PRICE_TABLE_REFRESH_SECONDS: '1',
      CAP_PRICING_HTTP_TIMEOUT_SECONDS: '3',
      CAP_PRICING_EXPIRY_SKEW_SECONDS: '30',
      CAP_ENGINE_VERSION: '0.2.0',
      CAP_PRICING_SCHEMA_VERSION: '1',
    });
    expect(c.pricing).toMatchObject({ refreshSeconds: 1, fetchTimeoutMs: 3_000, clockSkewSeconds: 30, engineVersion: '0.2.0' });
    expect(problems({ CAP_PRICING_SCHEMA_VERSION: '2' })).toEqual(['config: CAP_PRICING_SCHEMA_VERSION: only schema version 1 exists; remove it or set it to 1']);
    expect(problems({ CAP_ENGINE_VERSION: 'latest' })[0]).toMatch(/^config: CAP_ENGINE_VERSION: must be a semantic version/);
  });

  it('honours the output-cap variables (≤ 0: no cap)', () => {
    expect(loadConfig({}).proxy).toMatchObject({ defaultMaxTokens: 4096, defaultMaxOutputTokens: 4096, openAiMaxCompletionTokens: 16_384, openAiMaxOutputTokens: 16_384 });
    const c = loadConfig({ CAP_DEFAULT_MAX_TOKENS: '512', CAP_DEFAULT_MAX_OUTPUT_TOKENS: '256', CAP_OPENAI_MAX_COMPLETION_TOKENS: '0', CAP_OPENAI_MAX_OUTPUT_TOKENS: '-1' });
    expect(c.proxy).toMatchObject({ defaultMaxTokens: 512, defaultMaxOutputTokens: 256, openAiMaxCompletionTokens: undefined, openAiMaxOutputTokens: undefined });
  });

  it('reads CAP_ALLOWED_ORIGINS (default http://localhost:3000) and refuses what is not an origin', () => {
    expect(loadConfig({}).allowedOrigins).toEqual(['http://localhost:3000']);
    expect(loadConfig({ CAP_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173/' }).allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(problems({ CAP_ALLOWED_ORIGINS: 'app.example.com' })).toEqual([
      'config: CAP_ALLOWED_ORIGINS: "app.example.com" is not an origin (scheme://host[:port], comma-separated, or *)',
    ]);
  });

  it('turns telemetry on only with both the ingest URL and key, with the seed fallbacks', () => {
    expect(loadConfig({ CAP_INGEST_URL: 'http://otel.local/v1/traces' }).telemetry).toBeUndefined();
    expect(loadConfig({ CYNSTA_INGEST_URL: 'http://otel.local/v1/traces', INGEST_API_KEY: 'k' }).telemetry).toEqual({
      url: 'http://otel.local/v1/traces',
      apiKey: 'k',
      serviceName: 'cynsta-spendguard',
    });
    expect(loadConfig({ CAP_CAPTURE_PROMPT_RESPONSE: 'on' }).capturePromptResponse).toBe(true);
    expect(loadConfig({ CAP_MODE: 'sidecar' }).capturePromptResponse).toBe(false);
  });

  it('imports the seed SQLite store with CAP_STORE=sqlite, and says what to use instead of supabase', () => {
    expect(loadConfig({ CAP_STORE: 'sqlite' }).seedSqlitePath).toBe(SEED_SQLITE_PATH);
    expect(loadConfig({ CAP_STORE: 'sqlite', CAP_SQLITE_PATH: '/data/cynsta-spendguard.db' }).seedSqlitePath).toBe('/data/cynsta-spendguard.db');
    expect(loadConfig({ CAP_STORE: 'postgres' }).seedSqlitePath).toBeUndefined();
    expect(problems({ CAP_STORE: 'supabase' })).toEqual([
      "config: CAP_STORE: supabase is not supported; SpendGuard keeps its ledger in PostgreSQL: set DATABASE_URL to your Supabase database's connection string",
    ]);
  });
});
