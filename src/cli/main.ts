// The `spendguard` command: the seed's CLI (agent, budget) with its output, and ours (runs, the
// ledger, keys, tenants, pricing, serve, bootstrap, import), all on the client generated from the
// API's OpenAPI document. Exit codes: 0 done, 1 the service or the network said no (`HTTP <code>:
// <detail>` on stderr, as the seed), 2 the command was called wrongly.
import { ApiError, RequestFailedError } from '../client/spendguard-client';
import { AGENT_GROUP } from './agent.command';
import { BOOTSTRAP_COMMAND } from './bootstrap.command';
import { BUDGET_GROUP } from './budget.command';
import { CliError, CliIo, processIo, UsageError } from './cli-io';
import { Command, Group, runCommand, runGroup } from './command';
import { GROUP_GROUP } from './group.command';
import { IMPORT_GROUP } from './import.command';
import { KEYS_GROUP } from './keys.command';
import { LEDGER_COMMAND } from './ledger.command';
import { runPricing } from './pricing.command';
import { RUN_GROUP } from './run.command';
import { SERVE_COMMAND } from './serve.command';
import { TENANT_GROUP } from './tenant.command';
import { TENANTS_GROUP } from './tenants.command';

const GROUPS: Group[] = [AGENT_GROUP, BUDGET_GROUP, GROUP_GROUP, RUN_GROUP, KEYS_GROUP, TENANT_GROUP, TENANTS_GROUP, IMPORT_GROUP];
const COMMANDS: Command[] = [LEDGER_COMMAND, BOOTSTRAP_COMMAND, SERVE_COMMAND];

export const HELP = `usage: spendguard <command> [options]

SpendGuard — hard budgets for LLM agents. The seed's \`spendguard\` CLI, and more.

Commands:
  agent create|list|get|rename|move|delete
                                          agents (one budget domain each, optionally in a group)
  budget set|get|topup                    an agent's hard limit and what is left
  group create|list|get|rename|move|delete
                                          groups of agents, nested at most 8 deep
  group budget set|get|topup              a group's hard limit (and period), held by its agents' calls
  run create|list|get                     runs and their spend
  ledger --agent ID | --group ID          an agent's or a group's ledger, newest first, paged
  keys create|list|revoke                 the tenant's API keys
  tenants create|list                     hosted tenants (operator key)
  pricing show|keygen|sign|verify         the price table, signed price documents
  bootstrap --limit CENTS                 health check + agent + budget (+ run) in one step
  import sqlite PATH                      the seed's SQLite store: agents, budgets, history (once)
  serve                                   start the service

Options of every command that calls the service:
  --base-url URL   the service (env CAP_BASE_URL, default http://127.0.0.1:8787)
  --api-key KEY    sent as x-api-key (env CAP_API_KEY); CAP_MODE=hosted requires one
  --json           the server's JSON (sorted keys, as the seed printed it)
  -h, --help       help of the command, with examples

Exit codes: 0 ok; 1 error from the service (HTTP <code>: <detail>) or no answer; 2 usage error.

Examples:
  spendguard agent create --name "my-agent"
  spendguard budget set --agent <agent_id> --limit 5000 --topup 5000
  spendguard budget get --agent <agent_id>
  spendguard bootstrap --name my-agent --limit 5000 --topup 5000 --json

Run \`spendguard <command> --help\` for its options and examples.`;

const VALUE_OPTIONS = new Set(['--base-url', '--api-key']);
const FLAG_OPTIONS = new Set(['--json']);

/** Common options may come before the command too (`spendguard --base-url URL agent list`). */
function moveLeadingOptions(argv: string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const name = argv[i].split('=')[0];
    if (FLAG_OPTIONS.has(argv[i]) || (VALUE_OPTIONS.has(name) && argv[i].includes('='))) leading.push(argv[i]);
    else if (VALUE_OPTIONS.has(argv[i]) && i + 1 < argv.length) leading.push(argv[i], argv[++i]);
    else break;
  }
  if (leading.length === 0) return argv;
  const rest = argv.slice(i);
  // The words that name the command: `ledger`, `agent create`, `group budget set`.
  let words = rest[0] === 'pricing' ? 2 : 1;
  for (let group = GROUPS.find((g) => g.name === rest[0]); group; ) {
    words++;
    const name = `${group.name} ${rest[words - 1]}`;
    group = group.groups?.find((g) => g.name === name);
  }
  return [...rest.slice(0, words), ...leading, ...rest.slice(words)];
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [word, ...rest] = moveLeadingOptions(argv);
  if (word === undefined) {
    io.out(HELP);
    return 2;
  }
  if (word === '--help' || word === '-h' || word === 'help') {
    io.out(HELP);
    return 0;
  }
  if (word === 'pricing') return runPricing(rest, io);
  const group = GROUPS.find((g) => g.name === word);
  if (group) return runGroup(group, rest, io);
  const command = COMMANDS.find((c) => c.name === word);
  if (command) return runCommand(command, rest, io);
  throw new UsageError(`unknown command '${word}'`, HELP);
}

export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      // As argparse: the usage line, the error, and where the rest of the help is.
      const usage = err.help.split('\n\n')[0];
      io.err(`${usage}\nspendguard: error: ${err.message}\n(see --help for the options and examples)`);
      return 2;
    }
    // The seed printed these as they are: `HTTP 404: Agent not found`, `Request failed: …`.
    if (err instanceof ApiError || err instanceof RequestFailedError || err instanceof CliError) {
      io.err(err.message);
      return 1;
    }
    io.err(`spendguard: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => (process.exitCode = code));
