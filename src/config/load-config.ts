// Turns the environment into an AppConfig, or into one clear line per bad value.
import { importPublicKey } from '../pricing/signature';
import { AppConfig, envSchema, PricingConfig, ProxyConfig } from './config.schema';

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
  if (e.CAP_REDIS_COMMAND_TIMEOUT_MS >= e.CAP_LOCK_TTL_MS) {
    problems.push('config: CAP_REDIS_COMMAND_TIMEOUT_MS: must be below CAP_LOCK_TTL_MS (a lock would expire while its command still waits)');
  }
  const pricing = pricingConfig(e, problems);
  const encryptionKey = e.CAP_PROVIDER_KEY_ENCRYPTION_KEY ? Buffer.from(e.CAP_PROVIDER_KEY_ENCRYPTION_KEY, 'base64') : undefined;
  if (encryptionKey && encryptionKey.length !== 32) {
    problems.push('config: CAP_PROVIDER_KEY_ENCRYPTION_KEY: must be base64 of 32 random bytes (openssl rand -base64 32)');
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
    // A statement the client has given up on must not run on, holding row locks, in a backend
    // nobody listens to any more: the server gives up no later than the client does.
    dbStatementTimeoutMs: Math.min(e.CAP_DB_STATEMENT_TIMEOUT_MS, e.CAP_DB_QUERY_TIMEOUT_MS),
    dbQueryTimeoutMs: e.CAP_DB_QUERY_TIMEOUT_MS,
    redisCommandTimeoutMs: e.CAP_REDIS_COMMAND_TIMEOUT_MS,
    reservationTtlSeconds: e.CAP_RESERVATION_TTL_SECONDS,
    sweepIntervalSeconds: e.CAP_SWEEP_INTERVAL_SECONDS,
    maxBodyBytes: e.CAP_MAX_BODY_BYTES,
    idempotencyTtlSeconds: e.CAP_IDEMPOTENCY_TTL_SECONDS,
    listMax: e.CAP_LIST_MAX,
    keyCacheTtlMs: e.CAP_KEY_CACHE_TTL_MS,
    authFailureLimit: e.CAP_AUTH_FAILURE_LIMIT,
    authFailureWindowSeconds: e.CAP_AUTH_FAILURE_WINDOW_SECONDS,
    shutdownGraceMs: e.CAP_SHUTDOWN_GRACE_MS,
    logLevel: e.CAP_LOG_LEVEL,
    trustProxy: e.CAP_TRUST_PROXY,
    pricing,
    proxy: { ...proxyConfig(e), providerKeyEncryptionKey: encryptionKey },
  });
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

function proxyConfig(e: ReturnType<typeof envSchema.parse>): ProxyConfig {
  return {
    defaultMaxTokens: e.CAP_DEFAULT_MAX_TOKENS,
    upstreamTimeoutMs: e.CAP_UPSTREAM_TIMEOUT_MS,
    upstreamConnections: e.CAP_UPSTREAM_CONNECTIONS,
    maxResponseBytes: e.CAP_MAX_RESPONSE_BYTES,
    lockTtlMs: e.CAP_LOCK_TTL_MS,
    settleGraceMs: e.CAP_SETTLE_GRACE_MS,
    anthropicVersion: e.ANTHROPIC_VERSION,
    upstreams: {
      openai: { baseUrl: trimSlash(e.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'), apiKey: e.OPENAI_API_KEY },
      grok: { baseUrl: trimSlash(e.XAI_BASE_URL ?? 'https://api.x.ai/v1'), apiKey: e.XAI_API_KEY ?? e.GROK_API_KEY },
      anthropic: { baseUrl: trimSlash(e.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com'), apiKey: e.ANTHROPIC_API_KEY },
      gemini: { baseUrl: trimSlash(e.GEMINI_BASE_URL ?? 'https://generativelanguage.googleapis.com'), apiKey: e.GEMINI_API_KEY },
    },
  };
}

function pricingConfig(e: ReturnType<typeof envSchema.parse>, problems: string[]): PricingConfig {
  const publicKeys = (e.CAP_PRICING_SIGNING_PUBLIC_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  publicKeys.forEach((key, i) => {
    try {
      importPublicKey(key);
    } catch {
      problems.push(`config: CAP_PRICING_SIGNING_PUBLIC_KEY: key ${i + 1} is not base64 of a raw 32-byte Ed25519 public key`);
    }
  });
  const signedSource = e.CAP_PRICING_URL ?? e.CAP_PRICING_FILE;
  if (e.CAP_PRICING_URL && e.CAP_PRICING_FILE) {
    problems.push('config: CAP_PRICING_FILE: set CAP_PRICING_URL or CAP_PRICING_FILE, not both');
  }
  if (signedSource && e.CAP_PRICING_VERIFY_SIGNATURE && publicKeys.length === 0) {
    problems.push('config: CAP_PRICING_SIGNING_PUBLIC_KEY: required to verify the pricing document (or set CAP_PRICING_VERIFY_SIGNATURE=false)');
  }
  if (e.CAP_MODE === 'hosted') {
    if (!signedSource) problems.push('config: CAP_PRICING_URL: hosted mode needs a signed pricing source (CAP_PRICING_URL or CAP_PRICING_FILE)');
    if (!e.CAP_PRICING_VERIFY_SIGNATURE) problems.push('config: CAP_PRICING_VERIFY_SIGNATURE: must stay true in hosted mode');
  }
  return {
    url: e.CAP_PRICING_URL,
    file: e.CAP_PRICING_FILE,
    publicKeys,
    verifySignature: e.CAP_PRICING_VERIFY_SIGNATURE,
    refreshSeconds: e.CAP_PRICE_TABLE_REFRESH_SECONDS,
    fetchTimeoutMs: e.CAP_PRICING_FETCH_TIMEOUT_MS,
    clockSkewSeconds: e.CAP_PRICING_CLOCK_SKEW_SECONDS,
  };
}
