import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth } from '../auth/auth.decorators';
import { LedgerPageDto, LedgerQueryDto, SetBudgetDto, TopupDto } from '../budgets/budget.dto';
import { CreateGroupDto, CreditedGroupBudgetDto, GroupBudgetDto, GroupDeletedDto, GroupDto, GroupListDto, ListGroupsQueryDto, UpdateGroupDto } from './group.dto';
import { GroupsService } from './groups.service';

@ApiTags('groups')
@ApiSecurity('api_key')
@Controller('v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  @ZodResponse({ status: 201, type: GroupDto, description: 'the new group' })
  create(@CurrentAuth() auth: TenantAuth, @Body() body: CreateGroupDto) {
    return this.groups.create(auth, body);
  }

  @Get()
  @ZodResponse({ status: 200, type: GroupListDto })
  list(@CurrentAuth() auth: TenantAuth, @Query() query: ListGroupsQueryDto) {
    return this.groups.list(auth, query);
  }

  @Get(':group_id')
  @ZodResponse({ status: 200, type: GroupDto, description: 'the group; a deleted one too, with deleted_at' })
  get(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string) {
    return this.groups.get(auth, groupId);
  }

  @Patch(':group_id')
  @ZodResponse({ status: 200, type: GroupDto, description: 'the group, renamed or moved (with its subgroups)' })
  update(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string, @Body() body: UpdateGroupDto) {
    return this.groups.update(auth, groupId, body);
  }

  @Delete(':group_id')
  @ZodResponse({ status: 200, type: GroupDeletedDto, description: 'deleted (409 while it has members); its budget and ledger stay readable' })
  remove(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string) {
    return this.groups.remove(auth, groupId);
  }

  @Post(':group_id/budget')
  @HttpCode(200)
  @ZodResponse({ status: 200, type: CreditedGroupBudgetDto, description: "the group's budget after the seed's arithmetic, with what was asked and applied" })
  setBudget(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string, @Body() body: SetBudgetDto) {
    return this.groups.setBudget(auth, groupId, body);
  }

  @Get(':group_id/budget')
  @ZodResponse({ status: 200, type: GroupBudgetDto })
  getBudget(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string) {
    return this.groups.getBudget(auth, groupId);
  }

  @Post(':group_id/budget/topup')
  @HttpCode(200)
  @ZodResponse({
    status: 200,
    type: CreditedGroupBudgetDto,
    description: 'the budget after the top-up: remaining + reserved never exceeds the hard limit, so applied_cents may be less than requested',
  })
  topupBudget(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string, @Body() body: TopupDto) {
    return this.groups.topupBudget(auth, groupId, body);
  }

  @Get(':group_id/ledger')
  @ZodResponse({ status: 200, type: LedgerPageDto, description: "the group budget's entries, newest first; agent_id names the agent whose call caused each" })
  ledger(@CurrentAuth() auth: TenantAuth, @Param('group_id') groupId: string, @Query() query: LedgerQueryDto) {
    return this.groups.ledger(auth, groupId, query);
  }
}
