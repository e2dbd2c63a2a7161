// `spendguard bootstrap`: the seed's scripts/bootstrap_strict_budget.py as a command: check
// /health, create an agent, set its budget, optionally start a run, print what a job needs.
import { CreatedRun, unwrap } from '../client/spendguard-client';
import { CliError } from './cli-io';
import { Command, intOption, stringOption } from './command';
import { connect } from './connection';
import { printJson } from './output';

export const BOOTSTRAP_COMMAND: Command = {
  name: 'bootstrap',
  summary: 'Set up a budgeted agent in one step (the seed\'s bootstrap_strict_budget.py).',
  details: [
    'Checks GET /health, creates the agent, sets its budget (--topup defaults to --limit), and',
    'with --create-run starts a run. Prints agent_id, hard_limit_cents, remaining_cents, run_id',
    '(with --create-run) and export_SPENDGUARD_AGENT_ID=<id>; --json prints',
    '{"agent_id", "base_url", "budget", "run"}.',
  ].join('\n'),
  options: {
    name: { type: 'string', value: 'NAME', description: 'agent name (default strict-budget-agent)' },
    limit: { type: 'string', value: 'CENTS', description: 'hard limit in cents (> 0)', required: true },
    topup: { type: 'string', value: 'CENTS', description: 'top-up in cents (> 0, default --limit)' },
    'create-run': { type: 'boolean', description: 'also create a run and print its run_id' },
    'skip-health-check': { type: 'boolean', description: 'do not check /health first' },
  },
  api: true,
  examples: [
    'spendguard bootstrap --name my-agent --limit 5000 --topup 5000',
    'spendguard bootstrap --name ci --limit 200 --create-run --json > spendguard.json',
  ],
  async run(inv) {
    const limit = intOption(inv, 'limit', 1)!;
    const topup = intOption(inv, 'topup', 1) ?? limit;
    const { client, baseUrl } = connect(inv);
    if (!inv.values['skip-health-check']) {
      const health = (await unwrap(client.GET('/health'))) as { status?: unknown } | undefined;
      if (health?.status !== 'ok') throw new CliError('Health check failed: /health did not return status=ok');
    }
    const name = stringOption(inv.values, 'name') ?? 'strict-budget-agent';
    const agent = await unwrap(client.POST('/v1/agents', { body: { name } }));
    const path = { agent_id: agent.agent_id };
    // The seed's bootstrap printed the budget as `budget get` shows it: without what was credited.
    const { requested_cents: _asked, applied_cents: _applied, applied_microcents: _exact, ...budget } = await unwrap(
      client.POST('/v1/agents/{agent_id}/budget', { params: { path }, body: { hard_limit_cents: limit, topup_cents: topup } }),
    );
    let run: CreatedRun | null = null;
    if (inv.values['create-run']) run = await unwrap(client.POST('/v1/agents/{agent_id}/runs', { params: { path }, body: {} }));

    if (inv.values.json) {
      printJson(inv.io, { base_url: baseUrl, agent_id: agent.agent_id, budget, run });
      return 0;
    }
    inv.io.out(`agent_id=${agent.agent_id}`);
    inv.io.out(`hard_limit_cents=${budget.hard_limit_cents}`);
    inv.io.out(`remaining_cents=${budget.remaining_cents}`);
    if (run) inv.io.out(`run_id=${run.run_id}`);
    inv.io.out(`export_SPENDGUARD_AGENT_ID=${agent.agent_id}`);
    return 0;
  },
};
