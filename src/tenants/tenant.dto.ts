import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { createdApiKeySchema } from '../api-keys/api-key.dto';
import { pageQuerySchema } from '../common/http/pagination';
import { displayName, isoDateTime, stringOrNull } from '../common/http/schemas';

export const createTenantSchema = z.object({ name: displayName }).strict();

export const tenantSchema = z
  .object({ tenant_id: z.uuid(), name: z.string(), created_at: isoDateTime });

export const createdTenantSchema = tenantSchema
  .extend({ api_key: createdApiKeySchema.describe("the tenant's first admin key; its secret is shown only here (null in a replay)") });

export const tenantListSchema = z.object({ tenants: z.array(tenantSchema), next_cursor: stringOrNull });

export class CreateTenantDto extends createZodDto(createTenantSchema) {}
export class TenantDto extends createZodDto(tenantSchema) {}
export class CreatedTenantDto extends createZodDto(createdTenantSchema) {}
export class TenantListDto extends createZodDto(tenantListSchema) {}
export class TenantListQueryDto extends createZodDto(pageQuerySchema) {}
