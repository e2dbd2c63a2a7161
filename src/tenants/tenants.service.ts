// Tenants exist in hosted mode only; the operator creates them, each with a first admin key.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { z } from 'zod';
import { insertApiKey } from '../api-keys/api-keys.service';
import { LOCAL_TENANT_ID, LOCAL_TENANT_NAME } from '../auth/auth-context';
import { ApiError } from '../common/errors/api-error';
import { isUuid } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { PrismaService } from '../database/prisma.service';
import { Tenant } from '../generated/prisma/client';
import { CreatedTenantDto, CreateTenantDto, TenantDto, TenantListDto, TenantListQueryDto } from './tenant.dto';

const cursorShape = z.tuple([cursorTimestamp, z.uuid()]);

const toTenant = (t: Tenant): TenantDto => ({ tenant_id: t.id, name: t.name, created_at: t.createdAt.toISOString() });

@Injectable()
export class TenantsService implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  /** Sidecar mode has exactly one tenant, `local`, made on first start. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.config.mode !== 'sidecar') return;
    await this.prisma.tenant.upsert({
      where: { id: LOCAL_TENANT_ID },
      create: { id: LOCAL_TENANT_ID, name: LOCAL_TENANT_NAME },
      update: {},
    });
  }

  /** A tenant that exists (hosted: the operator's; sidecar: `local`), or 404. */
  async require(tenantId: string): Promise<TenantDto> {
    const tenant = isUuid(tenantId) ? await this.prisma.tenant.findUnique({ where: { id: tenantId } }) : null;
    if (!tenant) throw new ApiError('tenant_not_found', `tenant ${tenantId} not found`);
    return toTenant(tenant);
  }

  async create(body: CreateTenantDto): Promise<CreatedTenantDto> {
    this.requireHosted();
    return this.prisma.$transaction(async (tx) => {
      const tenant = await tx.tenant.create({ data: { id: randomUUID(), name: body.name } });
      const apiKey = await insertApiKey(tx, tenant.id, { name: `${body.name} admin`.slice(0, 200), scopes: ['admin'] });
      return { ...toTenant(tenant), api_key: apiKey };
    });
  }

  async list(query: TenantListQueryDto): Promise<TenantListDto> {
    this.requireHosted();
    const after = query.cursor ? decodeCursor(query.cursor, cursorShape) : undefined;
    const rows = await this.prisma.tenant.findMany({
      where: after
        ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
        : {},
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (t) => encodeCursor([t.createdAt.toISOString(), t.id]));
    return { tenants: items.map(toTenant), next_cursor };
  }

  private requireHosted(): void {
    if (this.config.mode !== 'hosted') {
      throw new ApiError('not_in_sidecar_mode', 'tenants exist in hosted mode only (CAP_MODE=hosted); a sidecar has one tenant');
    }
  }
}
