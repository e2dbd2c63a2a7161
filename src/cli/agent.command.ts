// `spendguard agent create | list | get | rename | delete`: the seed's agent commands, with its
// output (`agent_id=<id>`, `agent_id=… name=… created_at=…`, `(no agents)`, `deleted agent_id=…`),
// and ours: `agent move`, and `--group` to put an agent in a group (SPEC §10).
import { Agent, unwrap } from '../client/spendguard-client';
import { UsageError } from './cli-io';
import { Command, Group, Invocation, OptionDef, stringOption } from './command';
import { connect } from './connection';
import { printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const AGENT: OptionDef = { type: 'string', value: 'ID', description: 'the agent_id', required: true };
const CONCURRENCY: OptionDef = {
  type: 'string',
  value: 'MODE',
  description: 'exclusive (one call in flight, the seed model) or parallel (reservations alone hold the cap)',
};

/** The seed's agent line: `agent_id=<id>`, then ` name=…` and ` created_at=…` when set; ours, ` group_id=…` after them. */
export function agentLine(agent: Partial<Agent>, fallbackId = ''): string {
  let line = `agent_id=${agent.agent_id ?? fallbackId}`;
  if (agent.name) line += ` name=${agent.name}`;
  if (agent.created_at) line += ` created_at=${agent.created_at}`;
  if (agent.group_id) line += ` group_id=${agent.group_id}`;
  return line;
}

const GROUP_OPTIONS: Record<string, OptionDef> = {
  group: { type: 'string', value: 'ID', description: "the group_id of the group to put the agent in (its calls then hold on the group's budgets too)" },
  'no-group': { type: 'boolean', description: 'take the agent out of its group' },
};

/** `--group ID` → that group, `--no-group` → null, neither → undefined (unchanged). */
function groupChange(inv: Invocation): string | null | undefined {
  const group = stringOption(inv.values, 'group');
  if (group !== undefined && inv.values['no-group']) throw new UsageError('give --group ID or --no-group, not both', inv.help);
  return inv.values['no-group'] ? null : group;
}

function concurrency(inv: Invocation): 'exclusive' | 'parallel' | undefined {
  const value = stringOption(inv.values, 'concurrency');
  if (value === undefined || value === 'exclusive' || value === 'parallel') return value;
  throw new UsageError(`argument --concurrency: invalid choice: '${value}' (choose from 'exclusive', 'parallel')`, inv.help);
}

const agentId = (inv: Invocation) => stringOption(inv.values, 'agent')!;

const create: Command = {
  name: 'agent create',
  summary: 'Create an agent: one isolated budget domain. Prints agent_id=<id>.',
  options: {
    name: { type: 'string', value: 'NAME', description: 'a name to tell agents apart' },
    concurrency: CONCURRENCY,
    group: GROUP_OPTIONS.group,
  },
  api: true,
  examples: [
    'spendguard agent create --name "my-agent"',
    'AGENT=$(spendguard agent create --name ci | sed -n "s/^agent_id=//p")',
    'spendguard agent create --name "eval-bot" --group "$TEAM"',
  ],
  async run(inv) {
    const { client } = connect(inv);
    const name = stringOption(inv.values, 'name');
    const mode = concurrency(inv);
    const group = stringOption(inv.values, 'group');
    const agent = await unwrap(
      client.POST('/v1/agents', { body: { ...(name ? { name } : {}), ...(mode ? { concurrency: mode } : {}), ...(group ? { group_id: group } : {}) } }),
    );
    if (inv.values.json) printJson(inv.io, agent);
    else inv.io.out(`agent_id=${agent.agent_id}`);
    return 0;
  },
};

const list: Command = {
  name: 'agent list',
  summary: 'List the agents, one line each (every page unless --limit or --cursor picks one).',
  options: { ...PAGE_OPTIONS, 'include-deleted': { type: 'boolean', description: 'list deleted agents too' } },
  api: true,
  examples: ['spendguard agent list', 'spendguard agent list --limit 20 --json'],
  async run(inv) {
    const { client } = connect(inv);
    const query = pageQuery(inv);
    // The seed's list was never paged: without --limit/--cursor, read every page.
    const all = inv.values.all === true || (query.limit === undefined && query.cursor === undefined);
    const include = inv.values['include-deleted'] ? { include_deleted: 'true' as const } : {};
    const listing = await readListing<Agent>('agents', query, all, (q) => unwrap(client.GET('/v1/agents', { params: { query: { ...q, ...include } } })));
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (a) => agentLine(a), '(no agents)', listing.nextCursor);
    return 0;
  },
};

const get: Command = {
  name: 'agent get',
  summary: 'Show one agent.',
  options: { agent: AGENT },
  api: true,
  examples: ['spendguard agent get --agent "$AGENT"', 'spendguard agent get --agent "$AGENT" --json'],
  async run(inv) {
    const { client } = connect(inv);
    const agent = await unwrap(client.GET('/v1/agents/{agent_id}', { params: { path: { agent_id: agentId(inv) } } }));
    if (inv.values.json) printJson(inv.io, agent);
    else inv.io.out(agentLine(agent, agentId(inv)));
    return 0;
  },
};

const rename: Command = {
  name: 'agent rename',
  summary: 'Rename an agent (and change its concurrency or group with --concurrency, --group, --no-group).',
  options: {
    agent: AGENT,
    name: { type: 'string', value: 'NAME', description: 'the new name', required: true },
    concurrency: CONCURRENCY,
    ...GROUP_OPTIONS,
  },
  api: true,
  examples: ['spendguard agent rename --agent "$AGENT" --name "nightly-evals"', 'spendguard agent rename --agent "$AGENT" --name "evals" --group "$TEAM"'],
  async run(inv) {
    const { client } = connect(inv);
    const mode = concurrency(inv);
    const group = groupChange(inv);
    const agent = await unwrap(
      client.PATCH('/v1/agents/{agent_id}', {
        params: { path: { agent_id: agentId(inv) } },
        body: { name: stringOption(inv.values, 'name'), ...(mode ? { concurrency: mode } : {}), ...(group !== undefined ? { group_id: group } : {}) },
      }),
    );
    if (inv.values.json) printJson(inv.io, agent);
    else inv.io.out(agentLine(agent, agentId(inv)));
    return 0;
  },
};

const move: Command = {
  name: 'agent move',
  summary: 'Put an agent in a group (--group) or take it out of its group (--no-group); its future calls hold on that group chain.',
  details: 'What the agent already spent stays where it was spent; calls in flight settle on the budgets they were held on.',
  options: { agent: AGENT, ...GROUP_OPTIONS },
  api: true,
  examples: ['spendguard agent move --agent "$AGENT" --group "$TEAM"', 'spendguard agent move --agent "$AGENT" --no-group'],
  async run(inv) {
    const group = groupChange(inv);
    if (group === undefined) throw new UsageError('give one of --group ID or --no-group', inv.help);
    const { client } = connect(inv);
    const agent = await unwrap(client.PATCH('/v1/agents/{agent_id}', { params: { path: { agent_id: agentId(inv) } }, body: { group_id: group } }));
    if (inv.values.json) printJson(inv.io, agent);
    else inv.io.out(agentLine(agent, agentId(inv)));
    return 0;
  },
};

const remove: Command = {
  name: 'agent delete',
  summary: 'Delete an agent: it stops spending; its budget, runs and ledger stay readable.',
  options: { agent: AGENT },
  api: true,
  examples: ['spendguard agent delete --agent "$AGENT"          # deleted agent_id=<id>'],
  async run(inv) {
    const { client } = connect(inv);
    const res = await unwrap(client.DELETE('/v1/agents/{agent_id}', { params: { path: { agent_id: agentId(inv) } } }));
    if (inv.values.json) printJson(inv.io, res);
    else if (res.deleted === true) inv.io.out(`deleted agent_id=${res.agent_id ?? agentId(inv)}`);
    else inv.io.out(JSON.stringify(res));
    return 0;
  },
};

export const AGENT_GROUP: Group = {
  name: 'agent',
  summary: 'Agents: each has its own hard budget, runs and ledger.',
  commands: [create, list, get, rename, move, remove],
};
