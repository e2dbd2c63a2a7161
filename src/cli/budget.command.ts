// `spendguard budget set | get | topup`: the seed's budget commands with its output (agent_id, then
// hard_limit_cents, remaining_cents, locked_cents, locked_run_id, locked_expires_at), and ours,
// `topup`, which adds to what is left without touching the limit.
import { Budget, unwrap } from '../client/spendguard-client';
import { CliIo } from './cli-io';
import { Command, Group, intOption, OptionDef, stringOption } from './command';
import { connect } from './connection';
import { periodOption, PERIOD_OPTIONS, printPeriod } from './level-budget';
import { printFields, printJson } from './output';

const AGENT: OptionDef = { type: 'string', value: 'ID', description: 'the agent_id', required: true };

/** The seed's fields, in the seed's order; the rest of the budget is in --json. */
export const SEED_BUDGET_FIELDS = ['hard_limit_cents', 'remaining_cents', 'locked_cents', 'locked_run_id', 'locked_expires_at'] as const;

/** The seed's lines, byte for byte; a budget with a period (ours) adds its period lines after them. */
export function printBudget(io: CliIo, budget: Partial<Budget>, fallbackAgentId: string): void {
  io.out(`agent_id=${budget.agent_id ?? fallbackAgentId}`);
  printFields(io, budget, SEED_BUDGET_FIELDS);
  if (budget.period) printPeriod(io, budget);
}

/** What a set or top-up asked for and what the ceiling let through (SPEC §3). */
export const CREDIT_FIELDS = ['requested_cents', 'applied_cents'] as const;

/**
 * `budget set` keeps the seed's output on stdout, byte for byte; when the hard limit stopped part
 * of the top-up, a note on stderr says so rather than nothing.
 */
function noteCeiling(io: CliIo, credited: { requested_cents: number; applied_cents: number; topup?: number }): void {
  if (credited.topup && credited.applied_cents < credited.requested_cents) {
    io.err(
      `note: requested_cents=${credited.requested_cents} applied_cents=${credited.applied_cents}: ` +
        'remaining + reserved never exceeds the hard limit; raise --limit to hold more',
    );
  }
}

const set: Command = {
  name: 'budget set',
  summary: 'Set the hard limit (cents) and top up what is left, as the seed did.',
  details: [
    'The first set leaves remaining = --topup when it is above 0, else --limit; a later set',
    'makes remaining = min(remaining + --topup, --limit) and replaces the limit.',
    'With --period the budget starts afresh every period (remaining = limit − what in-flight calls hold).',
  ].join('\n'),
  options: {
    agent: AGENT,
    limit: { type: 'string', value: 'CENTS', description: 'hard limit in cents (the strict cap)', required: true },
    topup: { type: 'string', value: 'CENTS', description: 'cents to add to what is left (default 0)' },
    ...PERIOD_OPTIONS,
  },
  api: true,
  examples: [
    'spendguard budget set --agent "$AGENT" --limit 5000 --topup 5000',
    'spendguard budget set --agent "$AGENT" --limit 8000 --topup 3000 --json',
    'spendguard budget set --agent "$AGENT" --limit 20000 --period 1mo --tz Europe/Berlin',
  ],
  async run(inv) {
    const limit = intOption(inv, 'limit', 0)!;
    const topup = intOption(inv, 'topup', 0) ?? 0;
    const period = periodOption(inv);
    const { client } = connect(inv);
    const agentId = stringOption(inv.values, 'agent')!;
    const budget = await unwrap(
      client.POST('/v1/agents/{agent_id}/budget', {
        params: { path: { agent_id: agentId } },
        body: { hard_limit_cents: limit, topup_cents: topup, ...(period !== undefined ? { period } : {}) },
      }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else printBudget(inv.io, budget, agentId);
    noteCeiling(inv.io, { ...budget, topup });
    return 0;
  },
};

const get: Command = {
  name: 'budget get',
  summary: "Show an agent's budget: limit, what remains, what in-flight calls hold.",
  details: 'Add --json for the rest: reserved_cents, spent_cents, the exact *_microcents, in_flight.',
  options: { agent: AGENT },
  api: true,
  examples: ['spendguard budget get --agent "$AGENT"', 'spendguard budget get --agent "$AGENT" --json'],
  async run(inv) {
    const { client } = connect(inv);
    const agentId = stringOption(inv.values, 'agent')!;
    const budget = await unwrap(client.GET('/v1/agents/{agent_id}/budget', { params: { path: { agent_id: agentId } } }));
    if (inv.values.json) printJson(inv.io, budget);
    else printBudget(inv.io, budget, agentId);
    return 0;
  },
};

const topup: Command = {
  name: 'budget topup',
  summary: 'Add cents to what is left (remaining + reserved never above the hard limit); the limit stays.',
  details: 'Prints what was asked (requested_cents) and what the hard limit let through (applied_cents).',
  options: { agent: AGENT, amount: { type: 'string', value: 'CENTS', description: 'cents to add (> 0)', required: true } },
  api: true,
  examples: ['spendguard budget topup --agent "$AGENT" --amount 250'],
  async run(inv) {
    const amount = intOption(inv, 'amount', 1)!;
    const { client } = connect(inv);
    const agentId = stringOption(inv.values, 'agent')!;
    const budget = await unwrap(
      client.POST('/v1/agents/{agent_id}/budget/topup', { params: { path: { agent_id: agentId } }, body: { amount_cents: amount } }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else {
      printBudget(inv.io, budget, agentId);
      printFields(inv.io, budget, CREDIT_FIELDS);
    }
    return 0;
  },
};

export const BUDGET_GROUP: Group = {
  name: 'budget',
  summary: 'Budgets: a hard limit in cents per agent, reserved before and settled after every call.',
  commands: [set, get, topup],
};
