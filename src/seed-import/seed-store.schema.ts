// The seed's SQLite store (../shared/seed/SQLITE.md) as it travels: what the reader makes of the
// file, what `spendguard import sqlite` sends to POST /v1/imports/seed-sqlite, and what the boot
// import hands the same service. One entry per agent, with its budget row and its usage ledger,
// amounts in the seed's whole cents. Plain zod (no Nest), so the CLI can use it too.
//
// Prompt text never travels by default: each call carries only a digest of its meta_json
// (seed-meta.ts). `meta_json` itself is sent only when asked for (`--with-prompts`), and the
// service keeps it only when CAP_CAPTURE_PROMPT_RESPONSE is on (SPEC §7).
import { z } from 'zod';
import { agentIdSchema } from '../common/http/ids';
import { MAX_CENTS } from '../common/money';

/** Agents in one request; the CLI sends a large store in several. */
export const MAX_AGENTS_PER_REQUEST = 1_000;
/** Seed ledger rows of one agent, which are imported in one transaction. */
export const MAX_CALLS_PER_AGENT = 1_000_000;
/** A call's meta_json larger than this is not kept even with capture on (its digest still is). */
export const MAX_META_JSON_BYTES = 256 * 1024;
/** Leaves of meta_json kept as `fields` (numbers and booleans only: they cannot hold prompt text). */
export const MAX_META_FIELDS = 32;
export const META_FIELD_KEY_RE = /^[A-Za-z0-9_.-]{1,128}$/;

const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
const text = (max: number) => z.string().min(1).max(max).regex(NO_CONTROL, 'must not contain control characters');
const cents = z.number().int().min(0).max(MAX_CENTS).describe("whole cents, as the seed kept them (0 or more)");
const tokens = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable();
/** ISO 8601 with an offset, within what Postgres and JS dates both hold. */
const timestamp = z.iso.datetime({ offset: true }).refine((v) => {
  const ms = Date.parse(v);
  return Number.isFinite(ms) && ms >= 0 && ms < Date.UTC(10000, 0, 1);
}, 'a date from 1970 to 9999');

export const seedMetaSchema = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the seed row\'s meta_json (UTF-8)'),
    bytes: z.number().int().min(0).describe('its length in bytes'),
    fields: z
      .record(z.string().regex(META_FIELD_KEY_RE), z.union([z.number(), z.boolean()]))
      .describe('numeric and boolean leaves of meta_json by dotted path (latencies, token counts, flags): never text'),
  })
  .strict();

export const seedCallSchema = z
  .object({
    seed_row_id: text(256).describe('cap_usage_ledger.id'),
    run_id: z.string().min(1).max(1024).nullable().describe("the seed's run id, as it was (mapped to one of ours on import)"),
    provider: text(64),
    model: text(256),
    input_tokens: tokens,
    output_tokens: tokens,
    wcec_cents: cents.describe('the worst case the seed reserved'),
    realized_cents: cents.describe('what the call cost'),
    termination_reason: text(64).nullable().describe('null on success, provider_error on failure'),
    created_at: timestamp,
    meta: seedMetaSchema.nullable(),
    meta_json: z
      .string()
      .max(MAX_META_JSON_BYTES)
      .optional()
      .describe('the raw meta_json, prompts included: sent only with --with-prompts, kept only when the service has CAP_CAPTURE_PROMPT_RESPONSE=true'),
  })
  .strict();

export const seedBudgetSchema = z
  .object({
    hard_limit_cents: cents,
    remaining_cents: cents,
    locked_run_id: z.string().max(1024).nullable().describe("a lock left in the row by a seed process that no longer runs: imported as released"),
    locked_cents: cents,
    locked_expires_at: z.string().max(64).nullable(),
  })
  .strict();

export const seedAgentSchema = z
  .object({
    agent_id: agentIdSchema,
    name: text(200).nullable(),
    created_at: timestamp.nullable().describe('null when the seed had a budget or calls but no cap_agents row'),
    budget: seedBudgetSchema.nullable(),
    calls: z.array(seedCallSchema).max(MAX_CALLS_PER_AGENT).describe('cap_usage_ledger rows of the agent, oldest first'),
  })
  .strict()
  .refine((a) => totalCreditCents(a) <= MAX_CENTS, {
    message: `remaining_cents plus every realized_cents must stay within ${MAX_CENTS} cents`,
  });

export const seedImportSchema = z
  .object({ agents: z.array(seedAgentSchema).min(1).max(MAX_AGENTS_PER_REQUEST) })
  .strict()
  .refine((b) => new Set(b.agents.map((a) => a.agent_id)).size === b.agents.length, { message: 'each agent_id appears once' });

export const importOutcomeSchema = z.object({
  agent_id: agentIdSchema,
  outcome: z.enum(['imported', 'skipped']),
  reason: z
    .enum(['budget_exists', 'agent_exists', 'agent_deleted'])
    .nullable()
    .describe('why an agent was skipped: it already has a budget here (imported before, or set since), it exists with nothing to add, or it was deleted'),
  budget_imported: z.boolean(),
  calls_imported: z.number().int(),
  lock_released: z.boolean().describe("the seed's budget row held a lock of a process that no longer runs: imported as released"),
});

export const seedImportResultSchema = z.object({
  agents_imported: z.number().int(),
  agents_skipped: z.number().int(),
  budgets_imported: z.number().int(),
  calls_imported: z.number().int(),
  locks_released: z.number().int(),
  agents: z.array(importOutcomeSchema),
});

export type SeedMeta = z.infer<typeof seedMetaSchema>;
export type SeedCall = z.infer<typeof seedCallSchema>;
export type SeedBudget = z.infer<typeof seedBudgetSchema>;
export type SeedAgent = z.infer<typeof seedAgentSchema>;
export type SeedImport = z.infer<typeof seedImportSchema>;
export type ImportOutcome = z.infer<typeof importOutcomeSchema>;
export type SeedImportResult = z.infer<typeof seedImportResultSchema>;

/** What the import credits an agent with: what it has left plus what its calls cost. */
export function totalCreditCents(agent: { budget: { remaining_cents: number } | null; calls: { realized_cents: number }[] }): number {
  return (agent.budget?.remaining_cents ?? 0) + agent.calls.reduce((sum, c) => sum + c.realized_cents, 0);
}

/** A lock the seed left in the budget row (a run id, or cents still held). */
export function hasLeftoverLock(budget: SeedBudget | null): boolean {
  return budget !== null && ((budget.locked_run_id ?? '') !== '' || budget.locked_cents > 0);
}
