import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { isoDateTime } from '../common/http/schemas';

export const providerSchema = z.enum(['openai', 'grok', 'anthropic', 'gemini']);

export const putProviderKeySchema = z
  .object({ api_key: z.string().min(8).max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces') })
  .strict();

export const providerKeySchema = z.object({
  provider: providerSchema,
  last4: z.string().describe('the last four characters, to tell keys apart; the key itself is never returned'),
  updated_at: isoDateTime,
});

export const providerKeyListSchema = z.object({ provider_keys: z.array(providerKeySchema) });
export const providerKeyDeletedSchema = z.object({ provider: providerSchema, deleted: z.literal(true) });

export class PutProviderKeyDto extends createZodDto(putProviderKeySchema) {}
export class ProviderKeyDto extends createZodDto(providerKeySchema) {}
export class ProviderKeyListDto extends createZodDto(providerKeyListSchema) {}
export class ProviderKeyDeletedDto extends createZodDto(providerKeyDeletedSchema) {}
