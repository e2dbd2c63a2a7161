// Groups (SPEC §10): a team, project or customer whose agents share a budget. Groups nest, at most
// MAX_GROUP_DEPTH deep, and form a tree (no cycle); a group with live members (agents or child
// groups) cannot be deleted; a deleted group's budget and ledger stay readable. Its budget is a
// level of BudgetsService. Another tenant's group is "not found", exactly like an unknown id.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import { z } from 'zod';
import { TenantAuth } from '../auth/auth-context';
import { LedgerPageDto, LedgerQueryDto, SetBudgetDto, TopupDto } from '../budgets/budget.dto';
import { BudgetsService, toLevelBudgetResponse, withCredit } from '../budgets/budgets.service';
import { LevelRef } from '../budgets/levels';
import { MAX_GROUP_DEPTH } from '../budgets/path.sql';
import { ApiError } from '../common/errors/api-error';
import { isUuid } from '../common/http/ids';
import { cursorTimestamp, decodeCursor, encodeCursor, page } from '../common/http/pagination';
import { PG_POOL, PrismaService } from '../database/prisma.service';
import { Group } from '../generated/prisma/client';
import { CreateGroupDto, CreditedGroupBudgetDto, GroupBudgetDto, GroupDeletedDto, GroupDto, GroupListDto, ListGroupsQueryDto, UpdateGroupDto } from './group.dto';
import { inTransaction, lockGroupTree, lockLiveGroup } from './group-locks';

const cursorShape = z.tuple([cursorTimestamp, z.uuid()]);

export function toGroupResponse(group: Group): GroupDto {
  return {
    group_id: group.id,
    name: group.name,
    parent_group_id: group.parentGroupId,
    created_at: group.createdAt.toISOString(),
    deleted_at: group.deletedAt ? group.deletedAt.toISOString() : null,
  };
}

/** A group id the caller sent, as the messages quote it: only a well-formed one is echoed. */
const named = (groupId: string) => (isUuid(groupId) ? `group ${groupId}` : 'group (group ids are UUIDs)');

// The chain from a group up to the top: its depth (1 for a top-level group) and whether `$3` is
// in it. Bounded past MAX_GROUP_DEPTH, so that even a corrupt tree cannot loop.
const ANCESTRY_SQL = `
WITH RECURSIVE up(id, parent_id, depth) AS (
  SELECT id, parent_group_id, 1 FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid
  UNION ALL
  SELECT g.id, g.parent_group_id, up.depth + 1
    FROM up JOIN groups g ON g.tenant_id = $1::uuid AND g.id = up.parent_id
   WHERE up.depth <= ${MAX_GROUP_DEPTH}
)
SELECT max(depth)::int AS depth, coalesce(bool_or(id = $3::uuid), false) AS contains FROM up`;

// How many levels a group's live subtree has (1 for a group without live child groups).
const SUBTREE_HEIGHT_SQL = `
WITH RECURSIVE down(id, height) AS (
  SELECT id, 1 FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid
  UNION ALL
  SELECT g.id, down.height + 1
    FROM down JOIN groups g ON g.tenant_id = $1::uuid AND g.parent_group_id = down.id AND g.deleted_at IS NULL
   WHERE down.height <= ${MAX_GROUP_DEPTH}
)
SELECT max(height)::int AS height FROM down`;

const MEMBERS_SQL = `
SELECT (SELECT count(*) FROM agents WHERE tenant_id = $1::uuid AND group_id = $2::uuid AND deleted_at IS NULL)::int AS agents,
       (SELECT count(*) FROM groups WHERE tenant_id = $1::uuid AND parent_group_id = $2::uuid AND deleted_at IS NULL)::int AS groups`;

@Injectable()
export class GroupsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly budgets: BudgetsService,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** A new group, at the top level or under a live parent of the caller's, at most MAX_GROUP_DEPTH deep. */
  async create(auth: TenantAuth, body: CreateGroupDto): Promise<GroupDto> {
    const group = await inTransaction(this.pool, async () => {
      let parentId: string | null = null;
      if (body.parent_group_id) {
        await lockGroupTree(this.pool, auth.tenantId);
        parentId = (await this.require(auth, body.parent_group_id)).id;
        const { depth } = await this.ancestry(auth.tenantId, parentId);
        if (depth + 1 > MAX_GROUP_DEPTH) {
          throw new ApiError('group_too_deep', `group ${parentId} is ${depth} groups deep; a group chain may be at most ${MAX_GROUP_DEPTH} deep`, {
            max_depth: MAX_GROUP_DEPTH,
          });
        }
      }
      return this.prisma.group.create({ data: { id: randomUUID(), tenantId: auth.tenantId, name: body.name, parentGroupId: parentId } });
    });
    return toGroupResponse(group);
  }

  async list(auth: TenantAuth, query: ListGroupsQueryDto): Promise<GroupListDto> {
    const after = query.cursor ? decodeCursor(query.cursor, cursorShape) : undefined;
    const rows = await this.prisma.group.findMany({
      where: {
        tenantId: auth.tenantId,
        ...(query.include_deleted === 'true' ? {} : { deletedAt: null }),
        ...(after ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] } : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: query.limit + 1,
    });
    const { items, next_cursor } = page(rows, query.limit, (g) => encodeCursor([g.createdAt.toISOString(), g.id]));
    return { groups: items.map(toGroupResponse), next_cursor };
  }

  async get(auth: TenantAuth, groupId: string): Promise<GroupDto> {
    return toGroupResponse(await this.require(auth, groupId, { allowDeleted: true }));
  }

  /**
   * Renames and/or moves a live group. A move takes the whole subtree along; it is refused when
   * the new parent is the group itself or one of its descendants (a cycle), or when the new
   * parent's depth plus the subtree's height would pass MAX_GROUP_DEPTH. Checked under the
   * tenant's tree lock, so two racing moves cannot together make a cycle.
   */
  async update(auth: TenantAuth, groupId: string, body: UpdateGroupDto): Promise<GroupDto> {
    const moving = body.parent_group_id !== undefined;
    const group = await inTransaction(this.pool, async () => {
      if (moving) await lockGroupTree(this.pool, auth.tenantId);
      const current = await this.lockForChange(auth, groupId, 'FOR NO KEY UPDATE');
      let parentId: string | null | undefined;
      if (moving) {
        parentId = body.parent_group_id ? (await this.require(auth, body.parent_group_id)).id : null;
        if (parentId !== null) await this.checkMove(auth.tenantId, current, parentId);
      }
      return this.prisma.group.update({
        where: { tenantId_id: { tenantId: auth.tenantId, id: current } },
        data: { ...(body.name !== undefined ? { name: body.name } : {}), ...(parentId !== undefined ? { parentGroupId: parentId } : {}) },
      });
    });
    return toGroupResponse(group);
  }

  /** Soft delete of a group without live members; its budget and ledger stay readable. */
  async remove(auth: TenantAuth, groupId: string): Promise<GroupDeletedDto> {
    return inTransaction(this.pool, async () => {
      await lockGroupTree(this.pool, auth.tenantId);
      // FOR UPDATE waits for whoever is joining the group (FOR KEY SHARE) and keeps others out.
      const id = await this.lockForChange(auth, groupId, 'FOR UPDATE');
      const { rows } = await this.pool.query<{ agents: number; groups: number }>(MEMBERS_SQL, [auth.tenantId, id]);
      const { agents, groups } = rows[0];
      if (agents > 0 || groups > 0) {
        throw new ApiError(
          'group_not_empty',
          `group ${id} has ${agents} agent(s) and ${groups} child group(s) that are not deleted: move or delete them first`,
          { member_agents: agents, member_groups: groups },
        );
      }
      await this.prisma.group.update({ where: { tenantId_id: { tenantId: auth.tenantId, id } }, data: { deletedAt: new Date() } });
      return { group_id: id, deleted: true as const };
    });
  }

  /** Sets the group's budget (the seed's arithmetic, a period); a deleted group's budget cannot change. */
  async setBudget(auth: TenantAuth, groupId: string, body: SetBudgetDto): Promise<CreditedGroupBudgetDto> {
    return inTransaction(this.pool, async () => {
      const ref = await this.lockForBudget(auth, groupId);
      const credited = await this.budgets.setLevel(auth, ref, body);
      return withCredit(toLevelBudgetResponse(await this.budgets.read(auth, ref)), credited);
    });
  }

  async topupBudget(auth: TenantAuth, groupId: string, body: TopupDto): Promise<CreditedGroupBudgetDto> {
    return inTransaction(this.pool, async () => {
      const ref = await this.lockForBudget(auth, groupId);
      const credited = await this.budgets.topupLevel(auth, ref, body);
      return withCredit(toLevelBudgetResponse(await this.budgets.read(auth, ref)), credited);
    });
  }

  async getBudget(auth: TenantAuth, groupId: string): Promise<GroupBudgetDto> {
    const group = await this.require(auth, groupId, { allowDeleted: true });
    return toLevelBudgetResponse(await this.budgets.read(auth, { level: 'group', groupId: group.id }));
  }

  async ledger(auth: TenantAuth, groupId: string, query: LedgerQueryDto): Promise<LedgerPageDto> {
    const group = await this.require(auth, groupId, { allowDeleted: true });
    return this.budgets.ledger(auth, { level: 'group', groupId: group.id }, query);
  }

  /** The caller's group, or 404 for a malformed or unknown id, another tenant's group, or (unless allowed) a deleted one. */
  async require(auth: TenantAuth, groupId: string, opts: { allowDeleted?: boolean } = {}): Promise<Group> {
    const group = isUuid(groupId)
      ? await this.prisma.group.findUnique({ where: { tenantId_id: { tenantId: auth.tenantId, id: groupId } } })
      : null;
    if (!group) throw new ApiError('group_not_found', `${named(groupId)} not found`);
    if (group.deletedAt && !opts.allowDeleted) {
      throw new ApiError('group_not_found', `group ${group.id} was deleted; its budget and ledger stay readable`);
    }
    return group;
  }

  /** Locks a live group's row for this transaction; its canonical id, or 404. */
  private async lockForChange(auth: TenantAuth, groupId: string, mode: 'FOR UPDATE' | 'FOR NO KEY UPDATE'): Promise<string> {
    const { rows } = isUuid(groupId)
      ? await this.pool.query<{ id: string; deleted: boolean }>(
          `SELECT id, deleted_at IS NOT NULL AS deleted FROM groups WHERE tenant_id = $1::uuid AND id = $2::uuid ${mode}`,
          [auth.tenantId, groupId],
        )
      : { rows: [] };
    if (rows.length === 0) throw new ApiError('group_not_found', `${named(groupId)} not found`);
    if (rows[0].deleted) throw new ApiError('group_not_found', `group ${rows[0].id} was deleted; its budget and ledger stay readable`);
    return rows[0].id;
  }

  /** The budget level of a live group, kept live (not deleted) until the transaction ends; else 404. */
  private async lockForBudget(auth: TenantAuth, groupId: string): Promise<LevelRef> {
    const id = await lockLiveGroup(this.pool, auth.tenantId, groupId);
    if (id) return { level: 'group', groupId: id };
    const group = await this.require(auth, groupId, { allowDeleted: true });
    throw new ApiError('group_not_found', `group ${group.id} was deleted: its budget stays readable but cannot change`);
  }

  private async checkMove(tenantId: string, groupId: string, parentId: string): Promise<void> {
    const { depth, contains } = await this.ancestry(tenantId, parentId, groupId);
    if (contains) {
      throw new ApiError(
        'group_cycle',
        parentId === groupId ? `group ${groupId} cannot be its own parent` : `group ${parentId} is inside group ${groupId}: the move would make a cycle`,
      );
    }
    const { rows } = await this.pool.query<{ height: number }>(SUBTREE_HEIGHT_SQL, [tenantId, groupId]);
    const height = rows[0].height;
    if (depth + height > MAX_GROUP_DEPTH) {
      throw new ApiError(
        'group_too_deep',
        `group ${groupId} and its subgroups are ${height} levels; under group ${parentId} (${depth} deep) the chain would be ` +
          `${depth + height} deep, past the most of ${MAX_GROUP_DEPTH}`,
        { max_depth: MAX_GROUP_DEPTH },
      );
    }
  }

  private async ancestry(tenantId: string, groupId: string, find: string | null = null): Promise<{ depth: number; contains: boolean }> {
    const { rows } = await this.pool.query<{ depth: number; contains: boolean }>(ANCESTRY_SQL, [tenantId, groupId, find]);
    return rows[0];
  }
}
