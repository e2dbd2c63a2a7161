import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { agentIdSchema } from '../common/http/ids';
import { pageQuerySchema } from '../common/http/pagination';
import { isoDateTime, stringOrNull } from '../common/http/schemas';
import { levelBudgetSchema } from '../budgets/budget.dto';
import { MAX_CENTS } from '../common/money';

/** The seed's `{}`, or a run with a budget of its own (SPEC §10: the run level). */
export const createRunSchema = z
  .object({
    budget_cents: z
      .number()
      .int()
      .positive()
      .max(MAX_CENTS)
      .optional()
      .describe("a hard limit for this run alone: its calls hold on it beside the agent's, groups' and tenant's budgets"),
  })
  .strict();

export const createdRunSchema = z.object({
  run_id: z.string(),
  agent_id: agentIdSchema,
  created_at: isoDateTime,
  budget: levelBudgetSchema.nullable().describe('the run budget, when budget_cents was given'),
});

export const runSchema = createdRunSchema
  .extend({
    status: z.enum(['active', 'idle']).describe('active while a call of the run is in flight'),
    call_count: z.number().int().describe('metered calls that took a hold'),
    in_flight: z.number().int(),
    spent_cents: z.number().int().describe('rounded up'),
    spent_microcents: z.string().regex(/^\d+$/),
  });

export const runListSchema = z.object({ runs: z.array(runSchema), next_cursor: stringOrNull });

export class CreateRunDto extends createZodDto(createRunSchema) {}
export class CreatedRunDto extends createZodDto(createdRunSchema) {}
export class RunDto extends createZodDto(runSchema) {}
export class RunListDto extends createZodDto(runListSchema) {}
export class RunListQueryDto extends createZodDto(pageQuerySchema) {}
