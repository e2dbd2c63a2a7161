// Tenant API keys: created with a secret shown once, listed without it, revoked for good.
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { generateSecret, hashSecret, PREFIX_LENGTH } from '../auth/api-key-secret';
import { Scope, TenantAuth } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { isUuid } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { PrismaService } from '../database/prisma.service';
import { ApiKey, Prisma } from '../generated/prisma/client';
import { ApiKeyDto, ApiKeyListDto, ApiKeyListQueryDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';

const cursorShape = z.tuple([cursorTimestamp, z.uuid()]);

export function toApiKeyResponse(k: ApiKey): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes as Scope[],
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

/** Creates a key inside `tx` (or the default client): used by tenant creation too. */
export async function insertApiKey(
  db: Prisma.TransactionClient,
  tenantId: string,
  body: CreateApiKeyDto,
): Promise<CreatedApiKeyDto> {
  const secret = generateSecret(body.environment ?? 'live');
  const key = await db.apiKey.create({
    data: {
      id: randomUUID(),
      tenantId,
      name: body.name,
      prefix: secret.slice(0, PREFIX_LENGTH),
      secretHash: hashSecret(secret),
      scopes: [...new Set(body.scopes)],
    },
  });
  return { ...toApiKeyResponse(key), secret };
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: ApiKeyAuthService,
  ) {}

  create(auth: TenantAuth, body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return insertApiKey(this.prisma, auth.tenantId, body);
  }

  async list(auth: TenantAuth, query: ApiKeyListQueryDto): Promise<ApiKeyListDto> {
    const after = query.cursor ? decodeCursor(query.cursor, cursorShape) : undefined;
    const rows = await this.prisma.apiKey.findMany({
      where: {
        tenantId: auth.tenantId,
        ...(after
          ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
          : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (k) => encodeCursor([k.createdAt.toISOString(), k.id]));
    return { api_keys: items.map(toApiKeyResponse), next_cursor };
  }

  /** Revokes at once here; other instances stop accepting it within CAP_KEY_CACHE_TTL_MS (≤ 1 s). */
  async revoke(auth: TenantAuth, id: string): Promise<ApiKeyDto> {
    const key = isUuid(id) ? await this.prisma.apiKey.findFirst({ where: { id, tenantId: auth.tenantId } }) : null;
    if (!key) throw new ApiError('api_key_not_found', `API key ${id} not found`);
    const revoked = key.revokedAt
      ? key
      : await this.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.auth.forgetKey(id);
    return toApiKeyResponse(revoked);
  }
}
