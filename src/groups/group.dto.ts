import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageQuerySchema } from '../common/http/pagination';
import { displayName, isoDateTime, stringOrNull } from '../common/http/schemas';

/** Group ids are UUIDs we make; in a path, an id of any other shape is "not found", like an unknown one. */
export const groupIdSchema = z.uuid();

export const createGroupSchema = z
  .object({
    name: displayName.describe('a name to tell groups apart (a team, project or customer)'),
    parent_group_id: groupIdSchema
      .nullable()
      .optional()
      .describe('the group this one sits in (default: none); the chain may be at most 8 groups deep'),
  })
  .strict();

export const updateGroupSchema = z
  .object({
    name: displayName.optional(),
    parent_group_id: groupIdSchema
      .nullable()
      .optional()
      .describe('move the group (with its subgroups) under another group; null: to the top level'),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.parent_group_id !== undefined, { message: 'name or parent_group_id is required' });

export const groupSchema = z.object({
  group_id: groupIdSchema,
  name: z.string(),
  parent_group_id: groupIdSchema.nullable(),
  created_at: isoDateTime,
  deleted_at: isoDateTime.nullable(),
});

export const groupListSchema = z.object({ groups: z.array(groupSchema), next_cursor: stringOrNull });

export const groupDeletedSchema = z.object({ group_id: groupIdSchema, deleted: z.literal(true) });

export const listGroupsQuerySchema = pageQuerySchema.extend({
  include_deleted: z.enum(['true', 'false']).optional().describe('include deleted groups (default false)'),
});

export class CreateGroupDto extends createZodDto(createGroupSchema) {}
export class UpdateGroupDto extends createZodDto(updateGroupSchema) {}
export class GroupDto extends createZodDto(groupSchema) {}
export class GroupListDto extends createZodDto(groupListSchema) {}
export class GroupDeletedDto extends createZodDto(groupDeletedSchema) {}
export class ListGroupsQueryDto extends createZodDto(listGroupsQuerySchema) {}

// A group's budget is the level budget of SPEC §10 (budgets/budget.dto.ts), field for field,
// published under the same names as the tenant's and a run's.
export { CreditedLevelBudgetDto as CreditedGroupBudgetDto, LevelBudgetDto as GroupBudgetDto } from '../budgets/budget.dto';
