// Turns the environment into an AppConfig, or into one clear line per bad value.
import { ENGINE_VERSION } from '../pricing/engine';
import { importPublicKey } from '../pricing/signature';
import { AppConfig, envSchema, PricingConfig, ProxyConfig, TelemetryConfig } from './config.schema';

/** Cynsta's published pricing key, which the seed trusted by default for CAP_PRICING_URL. */
export const SEED_PRICING_PUBLIC_KEY = '1ITgfCZsRETBLvSKFUoPsP7p3RKNH4Nto6zKLlUD8nQ=';
/** The seed's default CAP_PRICING_URL, used when CAP_PRICING_SOURCE=remote names no URL. */
export const SEED_PRICING_URL = 'https://api.cynsta.com/v1/public/pricing';
/** Where the seed kept its SQLite store by default. */
export const SEED_SQLITE_PATH = './cynsta-spendguard.db';

type ParsedEnv = ReturnType<typeof envSchema.parse>;

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
  if (e.CAP_STORE === 'supabase') {
    problems.push('config: CAP_STORE: supabase is not supported; SpendGuard keeps its ledger in PostgreSQL: set DATABASE_URL to your Supabase database\'s connection string');
  }
  if (e.CAP_STORE === 'sqlite' && e.CAP_MODE === 'hosted') {
    problems.push('config: CAP_STORE: sqlite imports the seed\'s file into the sidecar at boot; in hosted mode import it into a tenant with `spendguard import sqlite PATH` (POST /v1/imports/seed-sqlite) and that tenant\'s admin key, and unset CAP_STORE');
  }
  if (e.CAP_PRICING_SCHEMA_VERSION !== undefined && e.CAP_PRICING_SCHEMA_VERSION !== '1') {
    problems.push(`config: CAP_PRICING_SCHEMA_VERSION: only schema version 1 exists; remove it or set it to 1`);
  }
  const allowedOrigins = corsOrigins(e.CAP_ALLOWED_ORIGINS, problems);
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
    allowedOrigins,
    // The seed's sidecar kept its store in SQLite unless told otherwise: a sidecar with no
    // CAP_STORE imports the seed's file too, when one lies where the seed kept it.
    seedSqlitePath:
      e.CAP_STORE === 'sqlite' || (e.CAP_STORE === undefined && e.CAP_MODE === 'sidecar') ? (e.CAP_SQLITE_PATH ?? SEED_SQLITE_PATH) : undefined,
    seedSqliteAsked: e.CAP_STORE === 'sqlite',
    // SPEC §7: never stored unless asked for (the seed defaulted to true when hosted; we do not).
    capturePromptResponse: e.CAP_CAPTURE_PROMPT_RESPONSE ?? false,
    telemetry: telemetryConfig(e),
    pricing,
    proxy: { ...proxyConfig(e), providerKeyEncryptionKey: encryptionKey },
  });
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

function corsOrigins(list: string, problems: string[]): string[] {
  const origins = list
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      problems.push(`config: CAP_ALLOWED_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port], comma-separated, or *)`);
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

/** The seed's ingest settings, with its fallbacks; telemetry is off unless both URL and key are set. */
function telemetryConfig(e: ParsedEnv): TelemetryConfig | undefined {
  const url = e.CAP_INGEST_URL ?? e.CYNSTA_INGEST_URL;
  const apiKey = e.CAP_INGEST_API_KEY ?? e.CYNSTA_INGEST_API_KEY ?? e.INGEST_API_KEY;
  return url && apiKey ? { url, apiKey, serviceName: e.CAP_SERVICE_NAME } : undefined;
}

function proxyConfig(e: ParsedEnv): ProxyConfig {
  return {
    defaultMaxTokens: e.CAP_DEFAULT_MAX_TOKENS,
    defaultMaxOutputTokens: e.CAP_DEFAULT_MAX_OUTPUT_TOKENS ?? e.CAP_DEFAULT_MAX_TOKENS,
    openAiMaxCompletionTokens: e.CAP_OPENAI_MAX_COMPLETION_TOKENS,
    openAiMaxOutputTokens: e.CAP_OPENAI_MAX_OUTPUT_TOKENS,
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

function pricingConfig(e: ParsedEnv, problems: string[]): PricingConfig {
  // The seed's CAP_PRICING_SOURCE=remote always had a URL: its own default when none was set.
  const pricingUrl = e.CAP_PRICING_URL ?? (e.CAP_PRICING_SOURCE === 'remote' ? SEED_PRICING_URL : undefined);
  if (e.CAP_PRICING_SOURCE === 'file' && !e.CAP_PRICING_FILE) {
    problems.push('config: CAP_PRICING_SOURCE: file needs CAP_PRICING_FILE (a signed price document on disk)');
  }
  if (e.CAP_PRICING_SOURCE === 'bundled' && (e.CAP_PRICING_URL || e.CAP_PRICING_FILE)) {
    problems.push('config: CAP_PRICING_SOURCE: bundled uses the table shipped with SpendGuard; unset CAP_PRICING_URL and CAP_PRICING_FILE');
  }
  // The seed verified CAP_PRICING_URL with Cynsta's published key when none was given.
  const keyList = e.CAP_PRICING_SIGNING_PUBLIC_KEY ?? (pricingUrl ? SEED_PRICING_PUBLIC_KEY : '');
  const publicKeys = keyList
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
  const signedSource = pricingUrl ?? e.CAP_PRICING_FILE;
  if (pricingUrl && e.CAP_PRICING_FILE) {
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
    url: pricingUrl,
    file: e.CAP_PRICING_FILE,
    publicKeys,
    verifySignature: e.CAP_PRICING_VERIFY_SIGNATURE,
    refreshSeconds: e.CAP_PRICE_TABLE_REFRESH_SECONDS,
    fetchTimeoutMs: e.CAP_PRICING_HTTP_TIMEOUT_SECONDS !== undefined ? e.CAP_PRICING_HTTP_TIMEOUT_SECONDS * 1000 : e.CAP_PRICING_FETCH_TIMEOUT_MS,
    clockSkewSeconds: e.CAP_PRICING_EXPIRY_SKEW_SECONDS ?? e.CAP_PRICING_CLOCK_SKEW_SECONDS,
    engineVersion: e.CAP_ENGINE_VERSION ?? ENGINE_VERSION,
  };
}
