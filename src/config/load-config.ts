// Turns the environment into an AppConfig, or into one clear line per bad value.
import { AppConfig, envSchema } from './config.schema';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'config');
        const value = env[name];
        const shown = name === 'CAP_API_KEY' || value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
        return `config: ${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.CAP_MODE === 'hosted') {
    if (!e.DATABASE_URL) problems.push('config: DATABASE_URL: required when CAP_MODE=hosted');
    if (!e.REDIS_URL) problems.push('config: REDIS_URL: required when CAP_MODE=hosted');
    if (!e.CAP_API_KEY) problems.push('config: CAP_API_KEY: required when CAP_MODE=hosted (the operator key)');
  }
  if (e.CAP_API_KEY !== undefined && e.CAP_API_KEY.length < 16) {
    problems.push('config: CAP_API_KEY: must be at least 16 characters');
  }
  const host = e.CAP_HOST ?? (e.CAP_MODE === 'hosted' ? '0.0.0.0' : '127.0.0.1');
  if (e.CAP_MODE === 'sidecar' && !e.CAP_API_KEY && !LOOPBACK.has(host)) {
    problems.push(`config: CAP_HOST: an unauthenticated sidecar listens on loopback only; set CAP_API_KEY to bind ${host}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    mode: e.CAP_MODE,
    port: e.PORT,
    host,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.CAP_REDIS_KEY_PREFIX,
    dataDir: e.CAP_DATA_DIR,
    embeddedPgPort: e.CAP_EMBEDDED_PG_PORT,
    apiKey: e.CAP_API_KEY,
    dbPoolMax: e.CAP_DB_POOL_MAX,
    dbStatementTimeoutMs: e.CAP_DB_STATEMENT_TIMEOUT_MS,
    reservationTtlSeconds: e.CAP_RESERVATION_TTL_SECONDS,
    sweepIntervalSeconds: e.CAP_SWEEP_INTERVAL_SECONDS,
    maxBodyBytes: e.CAP_MAX_BODY_BYTES,
    idempotencyTtlSeconds: e.CAP_IDEMPOTENCY_TTL_SECONDS,
    keyCacheTtlMs: e.CAP_KEY_CACHE_TTL_MS,
    shutdownGraceMs: e.CAP_SHUTDOWN_GRACE_MS,
    logLevel: e.CAP_LOG_LEVEL,
    trustProxy: e.CAP_TRUST_PROXY,
  });
}
