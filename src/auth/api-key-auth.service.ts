// Resolves a presented secret to an AuthContext. Lookups are cached in-process for at most
// CAP_KEY_CACHE_TTL_MS (≤ 1 s), which bounds how long a revoked key keeps working on any instance.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PrismaService } from '../database/prisma.service';
import { ApiError } from '../common/errors/api-error';
import { hashSecret, SECRET_RE, secretsEqual } from './api-key-secret';
import { presentedKey, RequestHeaders } from './presented-key';
import { ALL_SCOPES, AuthContext, LOCAL_TENANT_ID, Scope, SCOPES } from './auth-context';
import { AuthFailureLimiter } from './auth-failure-limiter';

const MAX_CACHE_ENTRIES = 10_000;

@Injectable()
export class ApiKeyAuthService {
  private readonly cache = new Map<string, { auth: AuthContext | null; expiresAt: number }>();
  private readonly failures: AuthFailureLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {
    this.failures = new AuthFailureLimiter(config.authFailureLimit, config.authFailureWindowSeconds * 1000);
  }

  /** The context for a request that carries no key, or null when a key is required. */
  anonymous(): AuthContext | null {
    if (this.config.mode === 'sidecar' && !this.config.apiKey) {
      return { tenantId: LOCAL_TENANT_ID, scopes: ALL_SCOPES, principal: 'anonymous', keyId: null };
    }
    return null;
  }

  /**
   * The context for a request, from its headers: every way in (the passport strategy of the admin
   * routes, the metered routes) authenticates here. Throws the §8 error when it cannot. `client`
   * is the caller's address (Fastify's `request.ip`, which honours CAP_TRUST_PROXY): failed
   * attempts are counted per client, and past CAP_AUTH_FAILURE_LIMIT in a window every attempt
   * from it answers 429 `rate_limited` with Retry-After, before any key is looked at. Without a
   * client address nothing is counted (one shared bucket would let anyone lock everyone out).
   */
  async authenticateRequest(headers: RequestHeaders, client?: string): Promise<AuthContext> {
    const anonymous = this.anonymous();
    if (anonymous) return anonymous;
    if (client) this.failures.assertAllowed(client);
    try {
      const secret = presentedKey(headers);
      if (!secret) {
        throw new ApiError('unauthenticated', 'an API key is required: send it in x-api-key or Authorization: Bearer');
      }
      const auth = await this.authenticate(secret);
      if (!auth) throw new ApiError('invalid_api_key', 'the API key is not valid or has been revoked');
      return auth;
    } catch (err) {
      const failedAuth = err instanceof ApiError && (err.code === 'unauthenticated' || err.code === 'invalid_api_key');
      if (client && failedAuth) this.failures.recordFailure(client);
      throw err;
    }
  }

  async authenticate(secret: string): Promise<AuthContext | null> {
    if (this.config.apiKey && secretsEqual(secret, this.config.apiKey)) {
      const tenantId = this.config.mode === 'sidecar' ? LOCAL_TENANT_ID : null;
      return { tenantId, scopes: ALL_SCOPES, principal: 'operator', keyId: null };
    }
    if (!SECRET_RE.test(secret)) return null;
    const hash = hashSecret(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.auth;

    const key = await this.prisma.apiKey.findUnique({
      where: { secretHash: hash },
      select: { id: true, tenantId: true, scopes: true, revokedAt: true },
    });
    const auth: AuthContext | null =
      key && !key.revokedAt
        ? {
            tenantId: key.tenantId,
            scopes: new Set(key.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s))),
            principal: 'tenant_key',
            keyId: key.id,
          }
        : null;
    if (this.config.keyCacheTtlMs > 0) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(hash, { auth, expiresAt: now + this.config.keyCacheTtlMs });
    }
    return auth;
  }

  /** Forget cached lookups at once on this instance (others expire within the cache TTL). */
  forgetKey(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.auth?.keyId === keyId) this.cache.delete(hash);
  }
}
