// `spendguard import sqlite PATH`: a seed user's data comes along. The seed's SQLite file is read
// here, on the machine that has it, and every row is checked before anything is sent (a bad row:
// its name on stderr, exit 1, nothing imported). Then whole agents go to
// POST /v1/imports/seed-sqlite, several per request up to --batch-bytes, each agent imported in
// one transaction on the service. Running it again changes nothing: agents that already have a
// budget there are skipped, so an interrupted import is finished by running the same command.
import { ApiError, unwrap } from '../client/spendguard-client';
import { readSeedStore, SeedFileError } from '../seed-import/seed-sqlite-reader';
import { MAX_AGENTS_PER_REQUEST, SeedAgent, SeedImportResult } from '../seed-import/seed-store.schema';
import { CliError, UsageError } from './cli-io';
import { Command, Group, intOption } from './command';
import { connect } from './connection';
import { printFields, printJson } from './output';

/** Well under the service's default CAP_MAX_BODY_BYTES (10 MiB). */
const DEFAULT_BATCH_BYTES = 1024 * 1024;
const COUNTS = ['agents_imported', 'agents_skipped', 'budgets_imported', 'calls_imported', 'locks_released'] as const;

const sqlite: Command = {
  name: 'import sqlite',
  summary: "Import the seed's SQLite store: agents with their ids, budgets, and usage history. Once: a second run changes nothing.",
  details: [
    'Prints agents_imported, agents_skipped, budgets_imported, calls_imported, locks_released; --json adds',
    'each agent\'s outcome. An agent that already has a budget on the service is skipped. Prompts and',
    "completions in the seed's meta_json stay on this machine unless --with-prompts is given (and the",
    'service keeps them only with CAP_CAPTURE_PROMPT_RESPONSE=true); a digest of each is sent instead.',
  ].join('\n'),
  positionals: 'PATH',
  options: {
    'with-prompts': { type: 'boolean', description: "also send each call's meta_json (prompts and completions)" },
    'batch-bytes': { type: 'string', value: 'BYTES', description: `largest request body to send (default ${DEFAULT_BATCH_BYTES}); a larger agent goes alone` },
  },
  api: true,
  examples: [
    'spendguard import sqlite ./cynsta-spendguard.db',
    'CAP_MODE=hosted CAP_API_KEY="$TENANT_ADMIN_KEY" spendguard import sqlite /data/cynsta-spendguard.db --json',
  ],
  async run(inv) {
    if (inv.positionals.length !== 1) throw new UsageError('expected one PATH, the seed\'s SQLite file', inv.help);
    const path = inv.positionals[0];
    const batchBytes = intOption(inv, 'batch-bytes', 1024) ?? DEFAULT_BATCH_BYTES;
    const { client } = connect(inv);
    let agents: SeedAgent[];
    try {
      agents = await readSeedStore(path, { withMetaJson: inv.values['with-prompts'] === true });
    } catch (err) {
      if (err instanceof SeedFileError) throw new CliError(err.message);
      throw err;
    }
    const results: SeedImportResult[] = [];
    for (const batch of batches(agents, batchBytes)) {
      try {
        results.push(await unwrap(client.POST('/v1/imports/seed-sqlite', { body: { agents: batch.agents } })));
      } catch (err) {
        throw explain(err, batch, results.length > 0);
      }
    }
    const total = merge(results);
    if (inv.values.json) printJson(inv.io, total);
    else printFields(inv.io, total, COUNTS);
    return 0;
  },
};

interface Batch {
  agents: SeedAgent[];
  bytes: number;
}

/** Whole agents, in order, each batch within maxBytes of JSON (an agent larger than that alone). */
function* batches(agents: SeedAgent[], maxBytes: number): Generator<Batch> {
  let current: Batch = { agents: [], bytes: 0 };
  for (const agent of agents) {
    const bytes = Buffer.byteLength(JSON.stringify(agent), 'utf8') + 1;
    if (current.agents.length && (current.bytes + bytes > maxBytes || current.agents.length >= MAX_AGENTS_PER_REQUEST)) {
      yield current;
      current = { agents: [], bytes: 0 };
    }
    current.agents.push(agent);
    current.bytes += bytes;
  }
  if (current.agents.length) yield current;
}

function explain(err: unknown, batch: Batch, someSent: boolean): unknown {
  const resume = someSent ? '; the agents sent before it were imported: run the same command again to import the rest' : '';
  if (err instanceof ApiError && err.status === 413) {
    const which = batch.agents.length === 1 ? `agent ${batch.agents[0].agent_id}'s history is` : 'this batch is';
    return new CliError(
      `${err.message} (${which} ${batch.bytes} bytes, more than the service takes in one request: raise CAP_MAX_BODY_BYTES on the service, or import at its boot with CAP_STORE=sqlite)${resume}`,
    );
  }
  if (err instanceof Error && resume) return new CliError(`${err.message}${resume}`);
  return err;
}

function merge(results: SeedImportResult[]): SeedImportResult {
  const total: SeedImportResult = { agents_imported: 0, agents_skipped: 0, budgets_imported: 0, calls_imported: 0, locks_released: 0, agents: [] };
  for (const r of results) {
    for (const key of COUNTS) total[key] += r[key];
    total.agents.push(...r.agents);
  }
  return total;
}

export const IMPORT_GROUP: Group = {
  name: 'import',
  summary: "Bring data from elsewhere: the seed's SQLite store.",
  commands: [sqlite],
};
