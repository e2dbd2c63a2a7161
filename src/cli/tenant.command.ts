// `spendguard tenant budget set | get | topup` and `spendguard tenant ledger`: the tenant's budget
// (SPEC §10), the outermost level every call holds on. With --tenant ID they act on that tenant
// through the operator's routes (hosted mode, CAP_API_KEY: the tenant's prepaid credit); without,
// on the caller's own tenant (reading is open to its keys; setting it is for a sidecar only, as a
// hosted tenant cannot raise its own credit: 403 tenant_budget_operator_only).
import { CreditedLevelBudget, LedgerEntry, LevelBudget, unwrap } from '../client/spendguard-client';
import { CliIo } from './cli-io';
import { CREDIT_FIELDS } from './budget.command';
import { Command, Group, intOption, Invocation, OptionDef, stringOption } from './command';
import { connect } from './connection';
import { GROUP_ENTRY_FIELDS } from './ledger.command';
import { periodOption, PERIOD_OPTIONS, printLevelBudget } from './level-budget';
import { fieldLine, printFields, printJson, printRows } from './output';
import { pageQuery, PAGE_OPTIONS, readListing } from './paging';

const TENANT: OptionDef = { type: 'string', value: 'ID', description: "another tenant's id (operator key, hosted mode); default: your own tenant" };

const tenantOf = (inv: Invocation) => stringOption(inv.values, 'tenant');

function printTenantBudget(io: CliIo, budget: LevelBudget | CreditedLevelBudget): void {
  io.out(`tenant_id=${budget.level_id}`);
  printLevelBudget(io, budget);
}

const set: Command = {
  name: 'tenant budget set',
  summary: "Set a tenant's hard limit (cents) and top up what is left; optionally a period.",
  details: [
    "Every call of the tenant's agents holds on this budget too. Hosted mode: the operator sets it",
    "(--tenant ID with CAP_API_KEY); it is the tenant's prepaid credit. A sidecar sets its own.",
    'The arithmetic is the seed\'s: the first set leaves remaining = --topup when above 0, else --limit;',
    'a later set makes remaining = min(remaining + --topup, --limit).',
  ].join('\n'),
  options: {
    tenant: TENANT,
    limit: { type: 'string', value: 'CENTS', description: 'hard limit in cents (the strict cap)', required: true },
    topup: { type: 'string', value: 'CENTS', description: 'cents to add to what is left (default 0)' },
    ...PERIOD_OPTIONS,
  },
  api: true,
  examples: [
    'spendguard tenant budget set --limit 100000 --period 1mo --tz Europe/Berlin',
    'CAP_API_KEY="$OPERATOR_KEY" spendguard tenant budget set --tenant "$TENANT" --limit 500000 --topup 500000',
  ],
  async run(inv) {
    const limit = intOption(inv, 'limit', 0)!;
    const topup = intOption(inv, 'topup', 0) ?? 0;
    const period = periodOption(inv);
    const body = { hard_limit_cents: limit, topup_cents: topup, ...(period !== undefined ? { period } : {}) };
    const { client } = connect(inv);
    const tenantId = tenantOf(inv);
    const budget = await unwrap(
      tenantId !== undefined
        ? client.POST('/v1/tenants/{tenant_id}/budget', { params: { path: { tenant_id: tenantId } }, body })
        : client.POST('/v1/tenant/budget', { body }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else {
      printTenantBudget(inv.io, budget);
      printFields(inv.io, budget, CREDIT_FIELDS);
    }
    return 0;
  },
};

const get: Command = {
  name: 'tenant budget get',
  summary: "Show a tenant's budget: limit, what remains, what in-flight calls hold, spend.",
  details: 'Add --json for the exact *_microcents.',
  options: { tenant: TENANT },
  api: true,
  examples: ['spendguard tenant budget get', 'CAP_API_KEY="$OPERATOR_KEY" spendguard tenant budget get --tenant "$TENANT" --json'],
  async run(inv) {
    const { client } = connect(inv);
    const tenantId = tenantOf(inv);
    const budget = await unwrap(
      tenantId !== undefined ? client.GET('/v1/tenants/{tenant_id}/budget', { params: { path: { tenant_id: tenantId } } }) : client.GET('/v1/tenant/budget'),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else printTenantBudget(inv.io, budget);
    return 0;
  },
};

const topup: Command = {
  name: 'tenant budget topup',
  summary: "Add cents to what a tenant has left (never above the hard limit).",
  options: { tenant: TENANT, amount: { type: 'string', value: 'CENTS', description: 'cents to add (> 0)', required: true } },
  api: true,
  examples: ['CAP_API_KEY="$OPERATOR_KEY" spendguard tenant budget topup --tenant "$TENANT" --amount 100000'],
  async run(inv) {
    const amount = intOption(inv, 'amount', 1)!;
    const body = { amount_cents: amount };
    const { client } = connect(inv);
    const tenantId = tenantOf(inv);
    const budget = await unwrap(
      tenantId !== undefined
        ? client.POST('/v1/tenants/{tenant_id}/budget/topup', { params: { path: { tenant_id: tenantId } }, body })
        : client.POST('/v1/tenant/budget/topup', { body }),
    );
    if (inv.values.json) printJson(inv.io, budget);
    else {
      printTenantBudget(inv.io, budget);
      printFields(inv.io, budget, CREDIT_FIELDS);
    }
    return 0;
  },
};

const ledger: Command = {
  name: 'tenant ledger',
  summary: "Show a tenant's budget ledger, newest first; each entry names the agent whose call caused it.",
  details: 'Pages as `spendguard ledger` does (--limit, --cursor, --all); amounts are signed microcents.',
  options: { tenant: TENANT, ...PAGE_OPTIONS },
  api: true,
  examples: ['spendguard tenant ledger --limit 20', 'CAP_API_KEY="$OPERATOR_KEY" spendguard tenant ledger --tenant "$TENANT" --all --json'],
  async run(inv) {
    const { client } = connect(inv);
    const tenantId = tenantOf(inv);
    const listing = await readListing<LedgerEntry>('entries', pageQuery(inv), inv.values.all === true, (q) =>
      tenantId !== undefined
        ? unwrap(client.GET('/v1/tenants/{tenant_id}/ledger', { params: { path: { tenant_id: tenantId }, query: q } }))
        : unwrap(client.GET('/v1/tenant/ledger', { params: { query: q } })),
    );
    if (inv.values.json) printJson(inv.io, listing.body);
    else printRows(inv.io, listing.rows, (e) => fieldLine(e, GROUP_ENTRY_FIELDS), '(no entries)', listing.nextCursor);
    return 0;
  },
};

const TENANT_BUDGET_GROUP: Group = {
  name: 'tenant budget',
  summary: "The tenant's budget: the outermost level, held on by every call of its agents.",
  commands: [set, get, topup],
};

export const TENANT_GROUP: Group = {
  name: 'tenant',
  summary: "One tenant's budget and ledger (yours, or with --tenant and the operator key, any tenant's).",
  commands: [ledger],
  groups: [TENANT_BUDGET_GROUP],
};
