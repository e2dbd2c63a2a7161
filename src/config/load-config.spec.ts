import { ConfigError, loadConfig } from './load-config';

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
    expect(loadConfig({}).seedSqlitePath).toBeUndefined();
    const hosted = { CAP_MODE: 'hosted', DATABASE_URL: 'postgresql://x@h/db', REDIS_URL: 'redis://h', CAP_API_KEY: 'operator-key-0123456789', CAP_PRICING_FILE: '/p.json', CAP_PRICING_SIGNING_PUBLIC_KEY: '1ITgfCZsRETBLvSKFUoPsP7p3RKNH4Nto6zKLlUD8nQ=' };
    expect(problems(hosted)).toEqual([]);
    const lines = problems({ ...hosted, CAP_STORE: 'sqlite' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: CAP_STORE: .*`spendguard import sqlite PATH` \(POST \/v1\/imports\/seed-sqlite\)/);
  });
});
