// `spendguard ledger --agent ID`: an agent's append-only ledger, newest first, a page at a time.
import { LedgerEntry, unwrap } from '../client/spendguard-client';
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

export const LEDGER_COMMAND: Command = {
  name: 'ledger',
  summary: "Show an agent's ledger entries, newest first (limit_set, topup, reserve, settle, release, expire, overrun, adjustment).",
  details: [
    'One line per entry; fields that are null are left out. When more entries follow, the last',
    'line is next_cursor=<cursor>: pass it to --cursor for the next page, or use --all.',
    'Amounts are signed microcents (1 cent = 1,000,000); usage and cost_breakdown are in --json.',
  ].join('\n'),
  options: { agent: { type: 'string', value: 'ID', description: 'the agent_id', required: true }, ...PAGE_OPTIONS },
  api: true,
  examples: [
    'spendguard ledger --agent "$AGENT"',
    'spendguard ledger --agent "$AGENT" --limit 20 --cursor "$NEXT"',
    'spendguard ledger --agent "$AGENT" --all --json > ledger.json',
  ],
  async run(inv) {
    const { client } = connect(inv);
    const agentId = stringOption(inv.values, 'agent')!;
    const listing = await readListing<LedgerEntry>('entries', pageQuery(inv), inv.values.all === true, (q) =>
      unwrap(client.GET('/v1/agents/{agent_id}/ledger', { params: { path: { agent_id: agentId }, query: q } })),
    );
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (e) => fieldLine(e, ENTRY_FIELDS), '(no entries)', listing.nextCursor);
    return 0;
  },
};
