// `spendguard ledger --agent ID [--run RUN] | --group ID`: an agent's, a run's or a group's
// append-only ledger, newest first, a page at a time (the tenant's: `spendguard tenant ledger`).
import { LedgerEntry, unwrap } from '../client/spendguard-client';
import { UsageError } from './cli-io';
import { Command, stringOption } from './command';
import { connect } from './connection';
import { fieldLine, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const ENTRY_FIELDS = [
  'entry_id',
  'kind',
  'amount_microcents',
  'balance_after_microcents',
  'run_id',
  'request_id',
  'provider',
  'model',
  'price_version',
  'created_at',
] as const;

/** A group's (and a tenant's) entries also say which agent's call caused each. */
export const GROUP_ENTRY_FIELDS = ['entry_id', 'kind', 'agent_id', ...ENTRY_FIELDS.slice(2)] as const;

export const LEDGER_COMMAND: Command = {
  name: 'ledger',
  summary: "Show an agent's, a run's or a group's ledger entries, newest first (limit_set, topup, reserve, settle, release, expire, overrun, adjustment, period_reset).",
  details: [
    'One line per entry; fields that are null are left out (a group\'s entries add agent_id: the agent',
    'whose call caused the entry). --run with --agent: the ledger of that run\'s own budget.',
    'When more entries follow, the last',
    'line is next_cursor=<cursor>: pass it to --cursor for the next page, or use --all.',
    'Amounts are signed microcents (1 cent = 1,000,000); usage and cost_breakdown are in --json.',
  ].join('\n'),
  options: {
    agent: { type: 'string', value: 'ID', description: 'the agent_id (or --group)' },
    group: { type: 'string', value: 'ID', description: 'the group_id (or --agent)' },
    run: { type: 'string', value: 'RUN_ID', description: "with --agent: the run's budget ledger" },
    ...PAGE_OPTIONS,
  },
  api: true,
  examples: [
    'spendguard ledger --agent "$AGENT"',
    'spendguard ledger --agent "$AGENT" --limit 20 --cursor "$NEXT"',
    'spendguard ledger --agent "$AGENT" --all --json > ledger.json',
    'spendguard ledger --group "$TEAM" --limit 20',
    'spendguard ledger --agent "$AGENT" --run "$RUN"',
  ],
  async run(inv) {
    const agentId = stringOption(inv.values, 'agent');
    const groupId = stringOption(inv.values, 'group');
    const runId = stringOption(inv.values, 'run');
    if ((agentId === undefined) === (groupId === undefined)) {
      throw new UsageError(agentId === undefined ? 'the following arguments are required: --agent (or --group)' : 'give --agent or --group, not both', inv.help);
    }
    if (runId !== undefined && agentId === undefined) throw new UsageError('argument --run: only with --agent', inv.help);
    const { client } = connect(inv);
    const listing = await readListing<LedgerEntry>('entries', pageQuery(inv), inv.values.all === true, (q) =>
      runId !== undefined
        ? unwrap(client.GET('/v1/agents/{agent_id}/runs/{run_id}/ledger', { params: { path: { agent_id: agentId!, run_id: runId }, query: q } }))
        : agentId !== undefined
          ? unwrap(client.GET('/v1/agents/{agent_id}/ledger', { params: { path: { agent_id: agentId }, query: q } }))
          : unwrap(client.GET('/v1/groups/{group_id}/ledger', { params: { path: { group_id: groupId! }, query: q } })),
    );
    const keys = agentId !== undefined ? ENTRY_FIELDS : GROUP_ENTRY_FIELDS;
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (e) => fieldLine(e, keys), '(no entries)', listing.nextCursor);
    return 0;
  },
};
