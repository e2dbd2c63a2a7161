// `spendguard group create | list | get | rename | move | delete` and `spendguard group budget set |
// get | topup`: groups of agents (SPEC §10) and their budgets, in the output style of the agent and
// budget commands (`group_id=<id>`, `key=value` lines, `--json` for the server's JSON).
import { CreditedLevelBudget, Group, LevelBudget, unwrap } from '../client/spendguard-client';
import { CliIo, UsageError } from './cli-io';
import { CREDIT_FIELDS } from './budget.command';
import { periodOption, PERIOD_OPTIONS, printLevelBudget } from './level-budget';
import { Command, Group as CommandGroup, intOption, Invocation, OptionDef, stringOption } from './command';
import { connect } from './connection';
import { fieldLine, printFields, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const GROUP: OptionDef = { type: 'string', value: 'ID', description: 'the group_id', required: true };

const GROUP_FIELDS = ['group_id', 'name', 'parent_group_id', 'created_at', 'deleted_at'] as const;

/** One line per group: `group_id=… name=…`, then `parent_group_id`, `created_at`, `deleted_at` when set. */
export const groupLine = (group: Partial<Group>): string => fieldLine(group, GROUP_FIELDS);

function printGroupBudget(io: CliIo, budget: LevelBudget | CreditedLevelBudget): void {
  io.out(`group_id=${budget.level_id}`);
  printLevelBudget(io, budget);
}

const groupId = (inv: Invocation) => stringOption(inv.values, 'group')!;

const create: Command = {
  name: 'group create',
  summary: 'Create a group (a team, project or customer). Prints group_id=<id>.',
  details: [
    "Every call of an agent in the group (or in one of its subgroups) also holds on the group's",
    'budget, once it has one. Groups nest, at most 8 deep: --parent puts the new group inside another.',
  ].join('\n'),
  options: {
    name: { type: 'string', value: 'NAME', description: 'a name to tell groups apart', required: true },
    parent: { type: 'string', value: 'ID', description: 'the group_id of the group to put it in (default: top level)' },
  },
  api: true,
  examples: [
    'spendguard group create --name research',
    'TEAM=$(spendguard group create --name evals --parent "$ORG" | sed -n "s/^group_id=//p")',
  ],
  async run(inv) {
    const { client } = connect(inv);
    const parent = stringOption(inv.values, 'parent');
    const group = await unwrap(
      client.POST('/v1/groups', { body: { name: stringOption(inv.values, 'name')!, ...(parent ? { parent_group_id: parent } : {}) } }),
    );
    if (inv.values.json) printJson(inv.io, group);
    else inv.io.out(`group_id=${group.group_id}`);
    return 0;
  },
};

const list: Command = {
  name: 'group list',
  summary: 'List the groups, one line each (every page unless --limit or --cursor picks one).',
  options: { ...PAGE_OPTIONS, 'include-deleted': { type: 'boolean', description: 'list deleted groups too' } },
  api: true,
  examples: ['spendguard group list', 'spendguard group list --limit 20 --json'],
  async run(inv) {
    const { client } = connect(inv);
    const query = pageQuery(inv);
    const all = inv.values.all === true || (query.limit === undefined && query.cursor === undefined);
    const include = inv.values['include-deleted'] ? { include_deleted: 'true' as const } : {};
    const listing = await readListing<Group>('groups', query, all, (q) => unwrap(client.GET('/v1/groups', { params: { query: { ...q, ...include } } })));
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, groupLine, '(no groups)', listing.nextCursor);
    return 0;
  },
};

const get: Command = {
  name: 'group get',
  summary: 'Show one group (a deleted one too, with deleted_at).',
  options: { group: GROUP },
  api: true,
  examples: ['spendguard group get --group "$TEAM"', 'spendguard group get --group "$TEAM" --json'],
  async run(inv) {
    const { client } = connect(inv);
    const group = await unwrap(client.GET('/v1/groups/{group_id}', { params: { path: { group_id: groupId(inv) } } }));
    if (inv.values.json) printJson(inv.io, group);
    else inv.io.out(groupLine(group));
    return 0;
  },
};

const rename: Command = {
  name: 'group rename',
  summary: 'Rename a group.',
  options: { group: GROUP, name: { type: 'string', value: 'NAME', description: 'the new name', required: true } },
  api: true,
  examples: ['spendguard group rename --group "$TEAM" --name "evals-2027"'],
  async run(inv) {
    const { client } = connect(inv);
    const group = await unwrap(
      client.PATCH('/v1/groups/{group_id}', { params: { path: { group_id: groupId(inv) } }, body: { name: stringOption(inv.values, 'name')! } }),
    );
    if (inv.values.json) printJson(inv.io, group);
    else inv.io.out(groupLine(group));
    return 0;
  },
};

const move: Command = {
  name: 'group move',
  summary: 'Move a group and its subgroups under another (--parent) or to the top (--no-parent).',
  details: [
    'Refused (HTTP 400) when the new parent is the group itself or inside it (a cycle), or when',
    'the chain would be more than 8 groups deep. Calls already in flight settle where they were held.',
  ].join('\n'),
  options: {
    group: GROUP,
    parent: { type: 'string', value: 'ID', description: 'the group_id of the new parent' },
    'no-parent': { type: 'boolean', description: 'move it to the top level' },
  },
  api: true,
  examples: ['spendguard group move --group "$TEAM" --parent "$ORG"', 'spendguard group move --group "$TEAM" --no-parent'],
  async run(inv) {
    const parent = stringOption(inv.values, 'parent');
    if ((parent === undefined) === (inv.values['no-parent'] !== true)) throw new UsageError('give one of --parent ID or --no-parent', inv.help);
    const { client } = connect(inv);
    const group = await unwrap(
      client.PATCH('/v1/groups/{group_id}', { params: { path: { group_id: groupId(inv) } }, body: { parent_group_id: parent ?? null } }),
    );
    if (inv.values.json) printJson(inv.io, group);
    else inv.io.out(groupLine(group));
    return 0;
  },
};

const remove: Command = {
  name: 'group delete',
  summary: 'Delete a group without members; its budget and ledger stay readable.',
  details: 'Refused (HTTP 409) while agents or child groups that are not deleted are in it: move them first.',
  options: { group: GROUP },
  api: true,
  examples: ['spendguard group delete --group "$TEAM"          # deleted group_id=<id>'],
  async run(inv) {
    const { client } = connect(inv);
    const res = await unwrap(client.DELETE('/v1/groups/{group_id}', { params: { path: { group_id: groupId(inv) } } }));
    if (inv.values.json) printJson(inv.io, res);
    else inv.io.out(`deleted group_id=${res.group_id}`);
    return 0;
  },
};

const budgetSet: Command = {
  name: 'group budget set',
  summary: "Set a group's hard limit (cents) and top up what is left; optionally a period.",
  details: [
    'The first set leaves remaining = --topup when it is above 0, else --limit; a later set makes',
    "remaining = min(remaining + --topup, --limit). Every call of the group's agents (and of its",
    "subgroups' agents) holds on this budget too. Prints the budget, then what was asked and applied.",
  ].join('\n'),
  options: {
    group: GROUP,
    limit: { type: 'string', value: 'CENTS', description: 'hard limit in cents (the strict cap)', required: true },
    topup: { type: 'string', value: 'CENTS', description: 'cents to add to what is left (default 0)' },
    ...PERIOD_OPTIONS,
  },
  api: true,
  examples: [
    'spendguard group budget set --group "$TEAM" --limit 50000 --topup 50000',
    'spendguard group budget set --group "$TEAM" --limit 20000 --period 1mo --tz Europe/Berlin',
  ],
  async run(inv) {
    const limit = intOption(inv, 'limit', 0)!;
    const topup = intOption(inv, 'topup', 0) ?? 0;
    const period = periodOption(inv);
    const { client } = connect(inv);
    const budget = await unwrap(
      client.POST('/v1/groups/{group_id}/budget', {
        params: { path: { group_id: groupId(inv) } },
        body: { hard_limit_cents: limit, topup_cents: topup, ...(period !== undefined ? { period } : {}) },
      }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else {
      printGroupBudget(inv.io, budget);
      printFields(inv.io, budget, CREDIT_FIELDS);
    }
    return 0;
  },
};

const budgetGet: Command = {
  name: 'group budget get',
  summary: "Show a group's budget: limit, what remains, what in-flight calls hold, spend.",
  details: 'Add --json for the exact *_microcents.',
  options: { group: GROUP },
  api: true,
  examples: ['spendguard group budget get --group "$TEAM"', 'spendguard group budget get --group "$TEAM" --json'],
  async run(inv) {
    const { client } = connect(inv);
    const budget = await unwrap(client.GET('/v1/groups/{group_id}/budget', { params: { path: { group_id: groupId(inv) } } }));
    if (inv.values.json) printJson(inv.io, budget);
    else printGroupBudget(inv.io, budget);
    return 0;
  },
};

const budgetTopup: Command = {
  name: 'group budget topup',
  summary: 'Add cents to what a group has left (never above the hard limit).',
  options: { group: GROUP, amount: { type: 'string', value: 'CENTS', description: 'cents to add (> 0)', required: true } },
  api: true,
  examples: ['spendguard group budget topup --group "$TEAM" --amount 2500'],
  async run(inv) {
    const amount = intOption(inv, 'amount', 1)!;
    const { client } = connect(inv);
    const budget = await unwrap(
      client.POST('/v1/groups/{group_id}/budget/topup', { params: { path: { group_id: groupId(inv) } }, body: { amount_cents: amount } }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else {
      printGroupBudget(inv.io, budget);
      printFields(inv.io, budget, CREDIT_FIELDS);
    }
    return 0;
  },
};

const GROUP_BUDGET_GROUP: CommandGroup = {
  name: 'group budget',
  summary: "A group's budget: a hard limit in cents that every call of its agents (and its subgroups' agents) also holds on.",
  commands: [budgetSet, budgetGet, budgetTopup],
};

export const GROUP_GROUP: CommandGroup = {
  name: 'group',
  summary: 'Groups of agents (a team, project or customer), nested at most 8 deep, each with its own budget.',
  commands: [create, list, get, rename, move, remove],
  groups: [GROUP_BUDGET_GROUP],
};
