// The one validated, typed configuration of the service (STYLE: "validate config at boot, once").
// Services receive `AppConfig` by injection and never read process.env themselves.
import { z } from 'zod';

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** The seed's booleans: true/false, 1/0, yes/no, on/off, in any case. */
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const BOOL_WORDS = new Set([...TRUE_WORDS, 'false', '0', 'no', 'off']);
const bool = (fallback: boolean) =>
  z
    .string()
    .default(fallback ? 'true' : 'false')
    .transform((v) => v.trim().toLowerCase())
    .refine((v) => BOOL_WORDS.has(v), { message: 'must be true/false, 1/0, yes/no or on/off' })
    .transform((v) => TRUE_WORDS.has(v));
/** A boolean left unset keeps its mode-dependent default (undefined here). */
const optionalBool = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim().toLowerCase()))
  .refine((v) => v === undefined || BOOL_WORDS.has(v), { message: 'must be true/false, 1/0, yes/no or on/off' })
  .transform((v) => (v === undefined ? undefined : TRUE_WORDS.has(v)));
/** An integer where ≤ 0 means "none" (the seed's output caps). */
const capOrOff = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .max(10_000_000)
    .default(fallback)
    .transform((v) => (v <= 0 ? undefined : v));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

export const envSchema = z.object({
  CAP_MODE: z.enum(['sidecar', 'hosted']).default('sidecar'),
  PORT: int(0, 65535, 8787),
  CAP_HOST: optionalString,
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  REDIS_URL: url(['redis:', 'rediss:']),
  CAP_REDIS_KEY_PREFIX: z.string().min(1).max(64).default('spendguard:'),
  CAP_DATA_DIR: z.string().min(1).default('./.spendguard'),
  CAP_EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  CAP_API_KEY: optionalString,
  CAP_DB_POOL_MAX: int(1, 500, 10),
  CAP_DB_STATEMENT_TIMEOUT_MS: int(100, 600_000, 15_000),
  CAP_DB_QUERY_TIMEOUT_MS: int(100, 600_000, 5_000),
  CAP_REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000, 1_000),
  CAP_RESERVATION_TTL_SECONDS: int(5, 86_400, 120),
  CAP_SWEEP_INTERVAL_SECONDS: int(1, 3_600, 5),
  CAP_MAX_BODY_BYTES: int(1_024, 512 * 1024 * 1024, 10 * 1024 * 1024),
  CAP_IDEMPOTENCY_TTL_SECONDS: int(60, 30 * 86_400, 86_400),
  CAP_KEY_CACHE_TTL_MS: int(0, 1_000, 1_000),
  CAP_AUTH_FAILURE_LIMIT: int(0, 1_000_000, 100),
  CAP_AUTH_FAILURE_WINDOW_SECONDS: int(1, 86_400, 60),
  CAP_SHUTDOWN_GRACE_MS: int(0, 600_000, 30_000),
  CAP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CAP_TRUST_PROXY: bool(false),
  CAP_PRICING_URL: url(['https:', 'http:']),
  CAP_PRICING_FILE: optionalString,
  CAP_PRICING_SIGNING_PUBLIC_KEY: optionalString,
  CAP_PRICING_VERIFY_SIGNATURE: bool(true),
  CAP_PRICE_TABLE_REFRESH_SECONDS: int(1, 86_400, 300),
  CAP_PRICING_FETCH_TIMEOUT_MS: int(100, 120_000, 10_000),
  CAP_PRICING_CLOCK_SKEW_SECONDS: int(0, 3_600, 300),
  CAP_DEFAULT_MAX_TOKENS: int(1, 10_000_000, 4_096),
  // The seed's settings (../shared/seed/SETTINGS.md), each honoured or refused with a pointer.
  CAP_STORE: z.enum(['postgres', 'sqlite', 'supabase']).optional(),
  CAP_SQLITE_PATH: optionalString,
  CAP_PRICING_SOURCE: z.enum(['remote', 'file', 'bundled']).optional(),
  CAP_PRICING_SCHEMA_VERSION: optionalString,
  CAP_PRICING_EXPIRY_SKEW_SECONDS: z.coerce.number().int().min(0).max(3_600).optional(),
  CAP_PRICING_HTTP_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).optional(),
  CAP_ENGINE_VERSION: optionalString.refine((v) => v === undefined || /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(v), {
    message: 'must be a semantic version such as 0.1.0',
  }),
  CAP_DEFAULT_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(10_000_000).optional(),
  CAP_OPENAI_MAX_COMPLETION_TOKENS: capOrOff(16_384),
  CAP_OPENAI_MAX_OUTPUT_TOKENS: capOrOff(16_384),
  CAP_ALLOWED_ORIGINS: z.string().default('http://localhost:3000'),
  CAP_INGEST_URL: url(['https:', 'http:']),
  CYNSTA_INGEST_URL: url(['https:', 'http:']),
  CAP_INGEST_API_KEY: optionalString,
  CYNSTA_INGEST_API_KEY: optionalString,
  INGEST_API_KEY: optionalString,
  CAP_CAPTURE_PROMPT_RESPONSE: optionalBool,
  CAP_SERVICE_NAME: z.string().trim().min(1).max(128).default('cynsta-spendguard'),
  CAP_UPSTREAM_TIMEOUT_MS: int(1_000, 3_600_000, 600_000),
  CAP_UPSTREAM_CONNECTIONS: int(1, 10_000, 256),
  CAP_MAX_RESPONSE_BYTES: int(1_024, 1024 * 1024 * 1024, 64 * 1024 * 1024),
  CAP_LOCK_TTL_MS: int(1_000, 600_000, 30_000),
  CAP_SETTLE_GRACE_MS: int(100, 600_000, 5_000),
  CAP_LIST_MAX: int(1, 1_000_000, 10_000),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url(['https:', 'http:']),
  XAI_API_KEY: optionalString,
  GROK_API_KEY: optionalString,
  XAI_BASE_URL: url(['https:', 'http:']),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: url(['https:', 'http:']),
  ANTHROPIC_VERSION: z.string().min(1).max(64).default('2023-06-01'),
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: url(['https:', 'http:']),
  CAP_PROVIDER_KEY_ENCRYPTION_KEY: optionalString,
});

export type Env = z.infer<typeof envSchema>;

export interface AppConfig {
  mode: 'sidecar' | 'hosted';
  port: number;
  host: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  dataDir: string;
  /** Set: the embedded PostgreSQL's port, or a clear error if taken. Unset: 54329 when free, else any free port. */
  embeddedPgPort?: number;
  /** The operator key: guards everything in sidecar mode, manages tenants in hosted mode. */
  apiKey?: string;
  dbPoolMax: number;
  /** Sent to the server as statement_timeout: never above dbQueryTimeoutMs (see load-config). */
  dbStatementTimeoutMs: number;
  /** Client-side bound on each query and on getting a pool connection: a hung server is a 503. */
  dbQueryTimeoutMs: number;
  /** Bound on each Redis command: a hung Redis refuses exclusive calls (503), never holds them. */
  redisCommandTimeoutMs: number;
  reservationTtlSeconds: number;
  sweepIntervalSeconds: number;
  maxBodyBytes: number;
  idempotencyTtlSeconds: number;
  /** `GET /v1/agents` without limit or cursor returns every agent up to this many (the seed's list). */
  listMax: number;
  keyCacheTtlMs: number;
  /** Failed authentications allowed per client address per window before 429 (0: no limit). */
  authFailureLimit: number;
  authFailureWindowSeconds: number;
  shutdownGraceMs: number;
  logLevel: Env['CAP_LOG_LEVEL'];
  trustProxy: boolean;
  /** Browser origins allowed to call the API (CORS, the seed's CAP_ALLOWED_ORIGINS); `*` for any. */
  allowedOrigins: string[];
  /**
   * The seed's SQLite file, imported once at boot (src/seed-import): CAP_STORE=sqlite, or a
   * sidecar with no CAP_STORE (the seed's default store) when the file exists.
   */
  seedSqlitePath?: string;
  /** CAP_STORE=sqlite was set: a missing file is then worth a line. */
  seedSqliteAsked: boolean;
  /** Raw prompts and completions in telemetry (and imports) only when true (SPEC §7). */
  capturePromptResponse: boolean;
  /** OpenTelemetry export over OTLP/HTTP, the seed's CAP_INGEST_URL; off unless URL and key are set. */
  telemetry?: TelemetryConfig;
  pricing: PricingConfig;
  proxy: ProxyConfig;
}

export interface TelemetryConfig {
  /** OTLP/HTTP traces endpoint (the seed's CAP_INGEST_URL, then CYNSTA_INGEST_URL). */
  url: string;
  /** Sent as `x-api-key` (CAP_INGEST_API_KEY, then CYNSTA_INGEST_API_KEY, INGEST_API_KEY). */
  apiKey: string;
  serviceName: string;
}

export type ProviderName = 'openai' | 'grok' | 'anthropic' | 'gemini';

export interface UpstreamConfig {
  /** OpenAI and xAI: up to and including `/v1`; Anthropic and Gemini: the host root. */
  baseUrl: string;
  apiKey?: string;
}

export interface ProxyConfig {
  /** Output cap for requests that set none (CAP_DEFAULT_MAX_TOKENS). */
  defaultMaxTokens: number;
  /** The same for Responses routes (the seed's CAP_DEFAULT_MAX_OUTPUT_TOKENS; default defaultMaxTokens). */
  defaultMaxOutputTokens: number;
  /** Upper cap on OpenAI/xAI chat output (CAP_OPENAI_MAX_COMPLETION_TOKENS); undefined: none. */
  openAiMaxCompletionTokens?: number;
  /** Upper cap on OpenAI/xAI Responses output (CAP_OPENAI_MAX_OUTPUT_TOKENS); undefined: none. */
  openAiMaxOutputTokens?: number;
  upstreamTimeoutMs: number;
  upstreamConnections: number;
  maxResponseBytes: number;
  lockTtlMs: number;
  /**
   * After a call's deadline (CAP_UPSTREAM_TIMEOUT_MS from its start), how long its settle may
   * take before its reservation ends by itself, charged in full, and its lock is let go.
   */
  settleGraceMs: number;
  anthropicVersion: string;
  /** 32 bytes for AES-256-GCM over tenants' stored provider keys (hosted mode). */
  providerKeyEncryptionKey?: Buffer;
  upstreams: Record<ProviderName, UpstreamConfig>;
}

export interface PricingConfig {
  /** Signed document fetched over HTTP(S), refreshed with If-None-Match. */
  url?: string;
  /** Signed document read from disk, re-read on the same schedule. */
  file?: string;
  /** Base64 raw Ed25519 public keys; several during a rotation. */
  publicKeys: string[];
  verifySignature: boolean;
  refreshSeconds: number;
  fetchTimeoutMs: number;
  clockSkewSeconds: number;
  /** The engine version a document's engine range must admit (CAP_ENGINE_VERSION). */
  engineVersion: string;
}
