import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { agentIdSchema } from '../common/http/ids';
import { pageQuerySchema } from '../common/http/pagination';
import { emptyBodySchema, isoDateTime, stringOrNull } from '../common/http/schemas';

export const createdRunSchema = z
  .object({ run_id: z.string(), agent_id: agentIdSchema, created_at: isoDateTime });

export const runSchema = createdRunSchema
  .extend({
    status: z.enum(['active', 'idle']).describe('active while a call of the run is in flight'),
    call_count: z.number().int().describe('metered calls that took a hold'),
    in_flight: z.number().int(),
    spent_cents: z.number().int().describe('rounded up'),
    spent_microcents: z.string().regex(/^\d+$/),
  });

export const runListSchema = z.object({ runs: z.array(runSchema), next_cursor: stringOrNull });

export class CreateRunDto extends createZodDto(emptyBodySchema) {}
export class CreatedRunDto extends createZodDto(createdRunSchema) {}
export class RunDto extends createZodDto(runSchema) {}
export class RunListDto extends createZodDto(runListSchema) {}
export class RunListQueryDto extends createZodDto(pageQuerySchema) {}
