// `spendguard run create | list | get`: runs group an agent's calls (header x-cynsta-run-id, or
// the explicit run routes) and report their call count and spend.
import { Run, unwrap } from '../client/spendguard-client';
import { CliIo } from './cli-io';
import { Command, Group, intOption, OptionDef, stringOption } from './command';
import { connect } from './connection';
import { fieldLine, printFields, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const AGENT: OptionDef = { type: 'string', value: 'ID', description: 'the agent_id', required: true };
const RUN_FIELDS = ['run_id', 'agent_id', 'status', 'call_count', 'in_flight', 'spent_cents', 'spent_microcents', 'created_at'] as const;

/** A run's own budget (SPEC §10), as budget_* lines after the run's; nothing when it has none. */
function printRunBudget(io: CliIo, run: { budget?: Run['budget'] }): void {
  if (!run.budget) return;
  const b = run.budget;
  printFields(io, { budget_hard_limit_cents: b.hard_limit_cents, budget_remaining_cents: b.remaining_cents, budget_reserved_cents: b.reserved_cents }, [
    'budget_hard_limit_cents',
    'budget_remaining_cents',
    'budget_reserved_cents',
  ]);
}

const create: Command = {
  name: 'run create',
  summary: 'Start a run for an agent. Prints run_id=<id>, agent_id and created_at.',
  details: [
    "--budget gives the run a hard limit of its own: its calls (x-cynsta-run-id) hold on it beside the",
    "agent's, groups' and tenant's budgets, and a call it cannot afford is refused (402, level run).",
  ].join('\n'),
  options: { agent: AGENT, budget: { type: 'string', value: 'CENTS', description: "the run's own hard limit in cents (default: none)" } },
  api: true,
  examples: ['RUN=$(spendguard run create --agent "$AGENT" | sed -n "s/^run_id=//p")', 'spendguard run create --agent "$AGENT" --budget 200'],
  async run(inv) {
    const budget = intOption(inv, 'budget', 1);
    const { client } = connect(inv);
    const run = await unwrap(
      client.POST('/v1/agents/{agent_id}/runs', {
        params: { path: { agent_id: stringOption(inv.values, 'agent')! } },
        body: budget !== undefined ? { budget_cents: budget } : {},
      }),
    );
    if (inv.values.json) printJson(inv.io, run);
    else {
      printFields(inv.io, run, ['run_id', 'agent_id', 'created_at']);
      printRunBudget(inv.io, run);
    }
    return 0;
  },
};

const list: Command = {
  name: 'run list',
  summary: "List an agent's runs, newest first, with their calls and spend.",
  options: { agent: AGENT, ...PAGE_OPTIONS },
  api: true,
  examples: ['spendguard run list --agent "$AGENT"', 'spendguard run list --agent "$AGENT" --all --json'],
  async run(inv) {
    const { client } = connect(inv);
    const agentId = stringOption(inv.values, 'agent')!;
    const listing = await readListing<Run>('runs', pageQuery(inv), inv.values.all === true, (q) =>
      unwrap(client.GET('/v1/agents/{agent_id}/runs', { params: { path: { agent_id: agentId }, query: q } })),
    );
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (r) => fieldLine(r, RUN_FIELDS), '(no runs)', listing.nextCursor);
    return 0;
  },
};

const get: Command = {
  name: 'run get',
  summary: 'Show one run: status (active while a call holds a reservation), calls, spend.',
  options: { agent: AGENT, run: { type: 'string', value: 'RUN_ID', description: 'the run_id', required: true } },
  api: true,
  examples: ['spendguard run get --agent "$AGENT" --run "$RUN"', 'spendguard run get --agent "$AGENT" --run "$RUN" | sed -n "s/^spent_cents=//p"'],
  async run(inv) {
    const { client } = connect(inv);
    const run = await unwrap(
      client.GET('/v1/agents/{agent_id}/runs/{run_id}', {
        params: { path: { agent_id: stringOption(inv.values, 'agent')!, run_id: stringOption(inv.values, 'run')! } },
      }),
    );
    if (inv.values.json) printJson(inv.io, run);
    else {
      printFields(inv.io, run, RUN_FIELDS);
      printRunBudget(inv.io, run);
    }
    return 0;
  },
};

export const RUN_GROUP: Group = {
  name: 'run',
  summary: "Runs: an agent's calls grouped, with their spend.",
  commands: [create, list, get],
};
