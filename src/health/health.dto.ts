import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const liveSchema = z.object({ status: z.literal('ok') });

const check = z.enum(['ok', 'down', 'disabled']).describe('disabled: not configured in this mode (e.g. no REDIS_URL in a sidecar)');

export const readySchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({ database: check, redis: check, pricing: check.describe('ok: a verified, unexpired price table is in force') }),
  });

export class LiveDto extends createZodDto(liveSchema) {}
export class ReadyDto extends createZodDto(readySchema) {}
