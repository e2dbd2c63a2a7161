import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SCOPES } from '../auth/auth-context';
import { pageQuerySchema } from '../common/http/pagination';
import { displayName, isoDateTime, stringOrNull } from '../common/http/schemas';

export const scopeSchema = z.enum(SCOPES).describe('admin: everything in the tenant; cap:use: proxy calls only; read: GETs only');

export const createApiKeySchema = z
  .object({
    name: displayName,
    scopes: z.array(scopeSchema).min(1).max(SCOPES.length),
    environment: z.enum(['live', 'test']).optional().describe('secret prefix sk_cynsta_live_ (default) or sk_cynsta_test_'),
  })
  .strict();

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the secret, to tell keys apart'),
    scopes: z.array(scopeSchema),
    created_at: isoDateTime,
    revoked_at: isoDateTime.nullable(),
  });

// Null in a replay of the creating request (Idempotency-Key): the secret is never stored.
export const createdApiKeySchema = apiKeySchema.extend({
  secret: stringOrNull.describe(
    'shown once, in this answer; only its SHA-256 is stored. A replay of this request (same Idempotency-Key) answers null: if the first answer was lost, revoke the key and create another',
  ),
});

export const apiKeyListSchema = z.object({ api_keys: z.array(apiKeySchema), next_cursor: stringOrNull });

export class CreateApiKeyDto extends createZodDto(createApiKeySchema) {}
export class ApiKeyDto extends createZodDto(apiKeySchema) {}
export class CreatedApiKeyDto extends createZodDto(createdApiKeySchema) {}
export class ApiKeyListDto extends createZodDto(apiKeyListSchema) {}
export class ApiKeyListQueryDto extends createZodDto(pageQuerySchema) {}
