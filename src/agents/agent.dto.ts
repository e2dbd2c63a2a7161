import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEED_DETAIL } from '../common/errors/seed-details';
import { agentIdSchema } from '../common/http/ids';
import { MAX_PAGE_SIZE, pageQuerySchema } from '../common/http/pagination';
import { isoDateTime, stringOrNull } from '../common/http/schemas';

export const concurrencySchema = z
  .enum(['exclusive', 'parallel'])
  .describe('exclusive: one in-flight call at a time (the seed model); parallel: reservations alone hold the cap');

// The seed's messages for a name of the wrong type or an empty one (its clients match `detail`).
const seedName = (typeMessage: string) =>
  z
    .string({ error: typeMessage })
    .trim()
    .min(1, SEED_DETAIL.nameNonEmpty)
    .max(200)
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters');

const groupIdField = z
  .uuid()
  .nullable()
  .optional()
  .describe("the group whose budgets the agent's future calls also hold on (SPEC §10); null: none");

const agentFields = {
  name: seedName(SEED_DETAIL.nameString).nullable().optional(),
  concurrency: concurrencySchema.optional(),
  group_id: groupIdField,
};

export const createAgentSchema = z
  .object({
    agent_id: agentIdSchema.optional().describe('your own id for the agent (default: a UUID); 409 if the tenant already has it'),
    ...agentFields,
  })
  .strict();

/** PUT /v1/agents/{agent_id}: creates the agent with this id, or updates it. */
export const putAgentSchema = z.object(agentFields).strict();

export const updateAgentSchema = z
  .object({ name: seedName(SEED_DETAIL.nameRequired).nullable().optional(), concurrency: concurrencySchema.optional(), group_id: groupIdField })
  .strict()
  .refine((b) => b.name !== undefined || b.concurrency !== undefined || b.group_id !== undefined, { message: SEED_DETAIL.nameRequired });

export const agentSchema = z
  .object({
    agent_id: agentIdSchema,
    name: stringOrNull,
    concurrency: concurrencySchema,
    group_id: z.uuid().nullable().describe('the group the agent is in, if any'),
    created_at: isoDateTime,
    deleted_at: isoDateTime.nullable(),
  });

export const agentListSchema = z.object({ agents: z.array(agentSchema), next_cursor: stringOrNull });

export const agentDeletedSchema = z.object({ agent_id: agentIdSchema, deleted: z.literal(true) });

export const listAgentsQuerySchema = pageQuerySchema.extend({
  // No default here: without limit and cursor the list is every agent, as the seed's was.
  limit: pageQuerySchema.shape.limit
    .unwrap()
    .optional()
    .describe(`page size, 1 to ${MAX_PAGE_SIZE}; without limit and cursor every agent comes back (up to CAP_LIST_MAX)`),
  include_deleted: z.enum(['true', 'false']).optional().describe('include deleted agents (default false)'),
});

export class CreateAgentDto extends createZodDto(createAgentSchema) {}
export class UpdateAgentDto extends createZodDto(updateAgentSchema) {}
export class PutAgentDto extends createZodDto(putAgentSchema) {}
export class AgentDto extends createZodDto(agentSchema) {}
export class AgentListDto extends createZodDto(agentListSchema) {}
export class AgentDeletedDto extends createZodDto(agentDeletedSchema) {}
export class ListAgentsQueryDto extends createZodDto(listAgentsQuerySchema) {}
