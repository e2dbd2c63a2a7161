// Hosted tenants bring their own provider keys: stored encrypted, never returned, used for that
// tenant's metered calls (cached in memory for a few seconds, so a change applies at once here
// and within PROVIDER_KEY_CACHE_MS on other instances).
import { Inject, Injectable } from '@nestjs/common';
import { TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig, ProviderName } from '../config/config.schema';
import { PrismaService } from '../database/prisma.service';
import { decryptKey, encryptKey } from './key-cipher';
import { providerSchema, ProviderKeyDeletedDto, ProviderKeyDto, ProviderKeyListDto } from './provider-key.dto';

const PROVIDER_KEY_CACHE_MS = 5_000;

@Injectable()
export class ProviderKeysService {
  private readonly cache = new Map<string, { key: string | null; until: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  async put(auth: TenantAuth, providerParam: string, apiKey: string): Promise<ProviderKeyDto> {
    const provider = this.provider(providerParam);
    const ciphertext = encryptKey(apiKey, this.encryptionKey(), `${auth.tenantId}/${provider}`);
    const row = await this.prisma.providerKey.upsert({
      where: { tenantId_provider: { tenantId: auth.tenantId, provider } },
      create: { tenantId: auth.tenantId, provider, ciphertext, last4: apiKey.slice(-4) },
      update: { ciphertext, last4: apiKey.slice(-4), updatedAt: new Date() },
    });
    this.cache.delete(`${auth.tenantId}/${provider}`);
    return { provider, last4: row.last4, updated_at: row.updatedAt.toISOString() };
  }

  async list(auth: TenantAuth): Promise<ProviderKeyListDto> {
    this.requireHosted();
    const rows = await this.prisma.providerKey.findMany({ where: { tenantId: auth.tenantId }, orderBy: { provider: 'asc' } });
    return {
      provider_keys: rows.map((r) => ({ provider: r.provider as ProviderName, last4: r.last4, updated_at: r.updatedAt.toISOString() })),
    };
  }

  async remove(auth: TenantAuth, providerParam: string): Promise<ProviderKeyDeletedDto> {
    const provider = this.provider(providerParam);
    const { count } = await this.prisma.providerKey.deleteMany({ where: { tenantId: auth.tenantId, provider } });
    this.cache.delete(`${auth.tenantId}/${provider}`);
    if (count === 0) throw new ApiError('provider_key_not_found', `no ${provider} key is stored for this tenant`);
    return { provider, deleted: true };
  }

  /** The tenant's own key for a metered call, or null (then the operator's, if any, is used). */
  async keyFor(tenantId: string, provider: ProviderName): Promise<string | null> {
    if (this.config.mode !== 'hosted' || !this.config.proxy.providerKeyEncryptionKey) return null;
    const id = `${tenantId}/${provider}`;
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.key;
    const row = await this.prisma.providerKey.findUnique({ where: { tenantId_provider: { tenantId, provider } } });
    const key = row ? decryptKey(row.ciphertext, this.config.proxy.providerKeyEncryptionKey, id) : null;
    this.cache.set(id, { key, until: now + PROVIDER_KEY_CACHE_MS });
    return key;
  }

  private provider(value: string): ProviderName {
    this.requireHosted();
    const parsed = providerSchema.safeParse(value === 'xai' ? 'grok' : value);
    if (!parsed.success) throw new ApiError('route_not_found', `unknown provider '${value}': openai, grok, anthropic or gemini`);
    return parsed.data;
  }

  private requireHosted(): void {
    if (this.config.mode !== 'hosted') {
      throw new ApiError('not_in_sidecar_mode', 'provider keys are stored per tenant in hosted mode; a sidecar uses its environment (OPENAI_API_KEY, …)');
    }
  }

  private encryptionKey(): Buffer {
    const key = this.config.proxy.providerKeyEncryptionKey;
    if (!key) throw new ApiError('provider_keys_disabled', 'set CAP_PROVIDER_KEY_ENCRYPTION_KEY (base64 of 32 bytes) to store provider keys');
    return key;
  }
}
