import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageQuerySchema } from '../common/http/pagination';
import { displayName, isoDateTime, stringOrNull } from '../common/http/schemas';

export const concurrencySchema = z
  .enum(['exclusive', 'parallel'])
  .describe('exclusive: one in-flight call at a time (the seed model); parallel: reservations alone hold the cap');

export const createAgentSchema = z
  .object({ name: displayName.nullable().optional(), concurrency: concurrencySchema.optional() })
  .strict();

export const updateAgentSchema = createAgentSchema.refine((b) => b.name !== undefined || b.concurrency !== undefined, {
  message: 'send name and/or concurrency',
});

export const agentSchema = z
  .object({
    agent_id: z.uuid(),
    name: stringOrNull,
    concurrency: concurrencySchema,
    created_at: isoDateTime,
    deleted_at: isoDateTime.nullable(),
  });

export const agentListSchema = z.object({ agents: z.array(agentSchema), next_cursor: stringOrNull });

export const agentDeletedSchema = z.object({ agent_id: z.uuid(), deleted: z.literal(true) });

export const listAgentsQuerySchema = pageQuerySchema.extend({
  include_deleted: z.enum(['true', 'false']).optional().describe('include deleted agents (default false)'),
});

export class CreateAgentDto extends createZodDto(createAgentSchema) {}
export class UpdateAgentDto extends createZodDto(updateAgentSchema) {}
export class AgentDto extends createZodDto(agentSchema) {}
export class AgentListDto extends createZodDto(agentListSchema) {}
export class AgentDeletedDto extends createZodDto(agentDeletedSchema) {}
export class ListAgentsQueryDto extends createZodDto(listAgentsQuerySchema) {}
