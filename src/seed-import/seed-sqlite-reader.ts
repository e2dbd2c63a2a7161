// Reads the seed's SQLite store (../shared/seed/SQLITE.md) into SeedAgents, checking every row
// first: a file that is not SQLite, a missing table or column, an amount that is negative or not
// a whole number, an agent id our store cannot hold, a date that is not one → SeedFileError, which
// names each bad row, and nothing is imported from the file at all.
//
// SQLite through sql.js (SQLite compiled to WebAssembly): no native module, so `npm ci` needs no
// compiler and the same build runs on every Node version we support (docs/seed-import.md).
import { existsSync, readFileSync, statSync } from 'node:fs';
import initSqlJs, { Database, SqlJsStatic } from 'sql.js';
import { AGENT_ID_RE } from '../common/http/ids';
import { MAX_CENTS } from '../common/money';
import { seedMetaDigest } from './seed-meta';
import { MAX_META_JSON_BYTES, SeedAgent, SeedBudget, SeedCall, totalCreditCents } from './seed-store.schema';
import { parseSeedTimestamp } from './seed-timestamp';

/** sql.js holds the whole file in memory. */
export const MAX_SEED_FILE_BYTES = 1024 ** 3;
/** Problems named in the error message; the rest are counted. */
const PROBLEMS_SHOWN = 5;
/** Past this many, reading stops: the file is not one to import row by row. */
const PROBLEMS_COLLECTED = 100;

export class SeedFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    const shown = problems.slice(0, PROBLEMS_SHOWN).join('; ');
    const more = problems.length > PROBLEMS_SHOWN ? ` (and ${problems.length - PROBLEMS_SHOWN} more)` : '';
    super(`cannot import the seed SQLite file ${path}, nothing was imported: ${shown}${more}`);
  }
}

export interface ReadOptions {
  /** Also carry each row's raw meta_json (prompts included): only for a service that captures prompts. */
  withMetaJson?: boolean;
}

/** The columns read from each table; others the seed had (organization_id) are not needed. */
const COLUMNS = {
  cap_agents: ['agent_id', 'name', 'created_at'],
  cap_budgets: ['agent_id', 'hard_limit_cents', 'remaining_cents', 'locked_run_id', 'locked_cents', 'locked_expires_at'],
  cap_usage_ledger: [
    'id', 'agent_id', 'run_id', 'provider', 'model', 'input_tokens', 'output_tokens',
    'wcec_cents', 'realized_cents', 'termination_reason', 'meta_json', 'created_at',
  ],
} as const;
type Table = keyof typeof COLUMNS;

/** One value as SQLite holds it: its storage class, and its text (exact, even for large integers). */
interface Cell {
  type: 'null' | 'integer' | 'real' | 'text' | 'blob';
  text: string | null;
}
type Row = Record<string, Cell>;

let sqlJs: Promise<SqlJsStatic> | undefined;

export async function readSeedStore(path: string, opts: ReadOptions = {}): Promise<SeedAgent[]> {
  const bytes = readFileChecked(path);
  const SQL = await (sqlJs ??= initSqlJs());
  const db = new SQL.Database(bytes);
  try {
    return new StoreReader(path, db, opts).read();
  } finally {
    db.close();
  }
}

function readFileChecked(path: string): Uint8Array {
  if (!existsSync(path)) throw new SeedFileError(path, ['no such file']);
  const size = statSync(path).size;
  if (size > MAX_SEED_FILE_BYTES) throw new SeedFileError(path, [`the file is ${size} bytes, more than the ${MAX_SEED_FILE_BYTES} an import reads`]);
  // A write-ahead log or hot journal beside the file holds changes the file alone does not show.
  for (const [suffix, what] of [
    ['-wal', 'changes the seed has not yet written into the file'],
    ['-journal', 'a transaction the seed did not finish'],
  ] as const) {
    if (existsSync(path + suffix) && statSync(path + suffix).size > 0) {
      throw new SeedFileError(path, [
        `${path}${suffix} holds ${what}: stop the seed sidecar, then run \`sqlite3 ${path} 'PRAGMA wal_checkpoint(TRUNCATE)'\` (or open and close it once with sqlite3) and import again`,
      ]);
    }
  }
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000') {
    throw new SeedFileError(path, ['it is not a SQLite database (it does not start with "SQLite format 3")']);
  }
  // A file left in WAL mode (header bytes 18-19 = 2) reads as a rollback-journal file once those
  // say 1: with the log checked empty above, the file holds everything.
  if (bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  return bytes;
}

const show = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

class StoreReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly path: string,
    private readonly db: Database,
    private readonly opts: ReadOptions,
  ) {}

  read(): SeedAgent[] {
    this.checkSchema();
    const agents = new Map<string, SeedAgent>();
    const agentFor = (agentId: string) => {
      let agent = agents.get(agentId);
      if (!agent) agents.set(agentId, (agent = { agent_id: agentId, name: null, created_at: null, budget: null, calls: [] }));
      return agent;
    };
    for (const row of this.rows('cap_agents')) {
      const where = `cap_agents row agent_id=${show(row.agent_id.text ?? '')}`;
      const id = this.agentId(row.agent_id, where);
      const createdAt = this.timestamp(row.created_at, 'created_at', where);
      if (id === undefined || createdAt === undefined) continue;
      const agent = agentFor(id);
      agent.name = displayName(row.name.text);
      agent.created_at = createdAt;
    }
    for (const row of this.rows('cap_budgets')) {
      const where = `cap_budgets row agent_id=${show(row.agent_id.text ?? '')}`;
      const id = this.agentId(row.agent_id, where);
      const budget = this.budget(row, where);
      if (id !== undefined && budget) agentFor(id).budget = budget;
    }
    const calls: { agentId: string; call: SeedCall; order: number }[] = [];
    for (const row of this.rows('cap_usage_ledger')) {
      const where = `cap_usage_ledger row id=${show(row.id.text ?? '')}`;
      const id = this.agentId(row.agent_id, where);
      const call = this.call(row, where);
      if (id !== undefined && call) calls.push({ agentId: id, call, order: calls.length });
    }
    // Oldest first; rows of the same instant in the order the seed wrote them.
    calls.sort((a, b) => Date.parse(a.call.created_at) - Date.parse(b.call.created_at) || a.order - b.order);
    for (const { agentId, call } of calls) agentFor(agentId).calls.push(call);
    for (const agent of agents.values()) {
      if (totalCreditCents(agent) > MAX_CENTS) {
        this.problem(`agent ${show(agent.agent_id)}: remaining_cents plus its calls' realized_cents come to more than ${MAX_CENTS} cents`);
      }
    }
    if (this.problems.length) throw new SeedFileError(this.path, this.problems);
    return [...agents.values()];
  }

  private checkSchema(): void {
    const missing: string[] = [];
    for (const [table, columns] of Object.entries(COLUMNS)) {
      const present = new Set(this.db.exec(`SELECT name FROM pragma_table_info('${table}')`)[0]?.values.map((v) => String(v[0])) ?? []);
      if (present.size === 0) missing.push(`table ${table} is missing`);
      else for (const c of columns) if (!present.has(c)) missing.push(`table ${table} has no column ${c}`);
    }
    if (missing.length) throw new SeedFileError(this.path, [`it is not a seed store (SQLITE.md): ${missing.join(', ')}`]);
  }

  /** Every row of a table, in the order SQLite holds them, each column as a Cell. */
  private *rows(table: Table): Generator<Row> {
    const columns = COLUMNS[table];
    const select = columns.map((c, i) => `typeof("${c}") AS t${i}, CAST("${c}" AS TEXT) AS v${i}`).join(', ');
    const stmt = this.db.prepare(`SELECT ${select} FROM ${table}`);
    try {
      while (stmt.step()) {
        if (this.problems.length >= PROBLEMS_COLLECTED) break;
        const values = stmt.get();
        const row: Row = {};
        columns.forEach((c, i) => {
          row[c] = { type: values[2 * i] as Cell['type'], text: values[2 * i + 1] === null ? null : String(values[2 * i + 1]) };
        });
        yield row;
      }
    } finally {
      stmt.free();
    }
  }

  private budget(row: Row, where: string): SeedBudget | undefined {
    const hard = this.cents(row.hard_limit_cents, 'hard_limit_cents', where);
    const remaining = this.cents(row.remaining_cents, 'remaining_cents', where);
    // A NULL lock amount is no lock (the column defaults to 0); anything else must be an amount.
    const locked = row.locked_cents.type === 'null' ? 0 : this.cents(row.locked_cents, 'locked_cents', where);
    if (hard === undefined || remaining === undefined || locked === undefined) return undefined;
    return {
      hard_limit_cents: hard,
      remaining_cents: remaining,
      locked_run_id: row.locked_run_id.text ? row.locked_run_id.text.slice(0, 1024) : null,
      locked_cents: locked,
      locked_expires_at: row.locked_expires_at.text ? row.locked_expires_at.text.slice(0, 64) : null,
    };
  }

  private call(row: Row, where: string): SeedCall | undefined {
    const rowId = this.text(row.id, 'id', where, 256);
    const provider = this.text(row.provider, 'provider', where, 64);
    const model = this.text(row.model, 'model', where, 256);
    const wcec = this.cents(row.wcec_cents, 'wcec_cents', where);
    const realized = this.cents(row.realized_cents, 'realized_cents', where);
    const input = this.tokens(row.input_tokens, 'input_tokens', where);
    const output = this.tokens(row.output_tokens, 'output_tokens', where);
    const createdAt = this.timestamp(row.created_at, 'created_at', where);
    const reason = row.termination_reason.text ? this.text(row.termination_reason, 'termination_reason', where, 64) : null;
    const runId = row.run_id.text || null;
    if (runId !== null && runId.length > 1024) this.problem(`${where}: run_id is ${runId.length} characters, more than 1024`);
    if (
      rowId === undefined || provider === undefined || model === undefined || wcec === undefined || realized === undefined ||
      input === undefined || output === undefined || createdAt === undefined || reason === undefined
    ) {
      return undefined;
    }
    const metaJson = row.meta_json.text;
    const keepRaw = this.opts.withMetaJson && metaJson !== null && Buffer.byteLength(metaJson, 'utf8') <= MAX_META_JSON_BYTES;
    return {
      seed_row_id: rowId,
      run_id: runId,
      provider,
      model,
      input_tokens: input,
      output_tokens: output,
      wcec_cents: wcec,
      realized_cents: realized,
      termination_reason: reason,
      created_at: createdAt,
      meta: metaJson === null ? null : seedMetaDigest(metaJson),
      ...(keepRaw ? { meta_json: metaJson } : {}),
    };
  }

  private agentId(cell: Cell, where: string): string | undefined {
    if (cell.type !== 'text' || cell.text === null) {
      this.problem(`${where}: agent_id is ${cell.type === 'null' ? 'empty' : `a ${cell.type}`}; every row must name its agent`);
      return undefined;
    }
    if (!AGENT_ID_RE.test(cell.text)) {
      this.problem(`${where}: agent id ${show(cell.text)} cannot be kept here (ids are 1-128 characters of A-Z a-z 0-9 . _ : -)`);
      return undefined;
    }
    return cell.text;
  }

  private cents(cell: Cell, column: string, where: string): number | undefined {
    const n = this.integer(cell, column, where, 'a whole number of cents');
    if (n !== undefined && n > BigInt(MAX_CENTS)) {
      this.problem(`${where}: ${column} is ${n}, more than the ${MAX_CENTS} cents an amount may be`);
      return undefined;
    }
    return n === undefined ? undefined : Number(n);
  }

  private tokens(cell: Cell, column: string, where: string): number | null | undefined {
    if (cell.type === 'null') return null;
    const n = this.integer(cell, column, where, 'a whole number of tokens');
    if (n !== undefined && n > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.problem(`${where}: ${column} is ${n}, too large`);
      return undefined;
    }
    return n === undefined ? undefined : Number(n);
  }

  private integer(cell: Cell, column: string, where: string, what: string): bigint | undefined {
    if (cell.type !== 'integer' || cell.text === null) {
      const shown = cell.type === 'null' ? 'empty' : cell.type === 'blob' ? 'a blob' : show(cell.text ?? '');
      this.problem(`${where}: ${column} is ${shown}, not ${what}`);
      return undefined;
    }
    const n = BigInt(cell.text);
    if (n < 0n) {
      this.problem(`${where}: ${column} is ${n}; amounts are 0 or more`);
      return undefined;
    }
    return n;
  }

  private text(cell: Cell, column: string, where: string, max: number): string | undefined {
    if (cell.type !== 'text' || !cell.text) {
      this.problem(`${where}: ${column} is ${cell.type === 'null' || !cell.text ? 'empty' : `a ${cell.type}`}`);
      return undefined;
    }
    if (cell.text.length > max || CONTROL.test(cell.text)) {
      this.problem(`${where}: ${column} ${show(cell.text)} is longer than ${max} characters or holds control characters`);
      return undefined;
    }
    return cell.text;
  }

  private timestamp(cell: Cell, column: string, where: string): string | undefined {
    const parsed = cell.type === 'text' && cell.text ? parseSeedTimestamp(cell.text) : undefined;
    if (!parsed) this.problem(`${where}: ${column} ${show(cell.text ?? '')} is not a date and time (the seed wrote ISO 8601, e.g. 2026-02-18T00:00:00.123456+00:00)`);
    return parsed;
  }

  private problem(message: string): void {
    if (this.problems.length < PROBLEMS_COLLECTED) this.problems.push(message);
  }
}

/** A seed name as our agents hold names: no control characters, trimmed, at most 200 characters. */
function displayName(name: string | null): string | null {
  const cleaned = (name ?? '').replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim().slice(0, 200).trim();
  return cleaned || null;
}
