import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEED_DETAIL } from '../common/errors/seed-details';
import { agentIdSchema } from '../common/http/ids';
import { MAX_CENTS } from '../common/money';
import { BUDGET_LEVELS } from './levels';
import { isValidTimezone, PERIOD_RE } from './periods';
import { pageQuerySchema } from '../common/http/pagination';
import { isoDateTime, stringOrNull } from '../common/http/schemas';

const cents = z.number().int().max(MAX_CENTS);
const microcents = z.string().regex(/^-?\d+$/).describe('exact integer microcents (1 cent = 1,000,000), as a string');

export const periodSchema = z
  .object({
    every: z
      .string()
      .regex(PERIOD_RE, "one of 1h, 1d, 1w, 1mo, or <n>s / <n>m (n from 1): e.g. '30s', '15m', '1mo'")
      .describe('how often the budget starts afresh: 1h, 1d, 1w, 1mo, <n>s, <n>m'),
    timezone: z
      .string()
      .max(64)
      .refine(isValidTimezone, { message: "an IANA timezone name, e.g. 'Europe/Berlin' or 'UTC'" })
      .default('UTC')
      .describe('where days, weeks (Monday) and months start at midnight; seconds, minutes and hours are aligned to UTC'),
  })
  .strict();

// The seed's messages for a missing or non-integer limit and a bad top-up (its clients match `detail`).
export const setBudgetSchema = z
  .object({
    hard_limit_cents: z
      .number({ error: SEED_DETAIL.limitRequired })
      .int(SEED_DETAIL.limitRequired)
      .gt(0, SEED_DETAIL.limitPositive)
      .max(MAX_CENTS)
      .describe('the cap: remaining + reserved never exceeds it'),
    topup_cents: z
      .number({ error: SEED_DETAIL.topupInt })
      .int(SEED_DETAIL.topupInt)
      .min(0, SEED_DETAIL.topupNonNegative)
      .max(MAX_CENTS)
      .optional()
      .describe('added to remaining, up to the cap (seed arithmetic)'),
    period: periodSchema
      .nullable()
      .optional()
      .describe('start afresh every period (remaining = limit − held); null: a lifetime budget (the default); absent: unchanged'),
  })
  .strict();

export const topupSchema = z.object({ amount_cents: cents.positive() }).strict();

/** The figures of a budget on any level (SPEC §10). */
const budgetFigures = {
  reserved_cents: z.number().int().describe('held by in-flight calls, rounded up'),
  spent_cents: z.number().int().describe('lifetime spend, rounded up'),
  remaining_microcents: microcents,
  reserved_microcents: microcents,
  spent_microcents: microcents,
  in_flight: z.number().int().describe('open reservations'),
  level: z.enum(BUDGET_LEVELS).describe('tenant, group, agent or run'),
  level_id: z.string().describe('the tenant, group, agent or run id'),
  period: z.object({ every: z.string(), timezone: z.string() }).nullable().describe('null: a lifetime budget'),
  period_started_at: isoDateTime.nullable(),
  next_reset_at: isoDateTime.nullable().describe('when the budget starts afresh next'),
  period_spent_cents: z.number().int().describe('spent in the current period (lifetime spend with no period), rounded up'),
  period_spent_microcents: microcents,
};

// The seed's fields first, in the seed's order (its clients print them).
export const budgetSchema = z.object({
  agent_id: agentIdSchema,
  hard_limit_cents: z.number().int(),
  remaining_cents: z.number().int().describe('whole cents, rounded down'),
  locked_run_id: stringOrNull.describe('run of the newest in-flight call, if any'),
  locked_cents: z.number().int().describe('held by in-flight calls, rounded up'),
  locked_expires_at: isoDateTime.nullable(),
  ...budgetFigures,
});

/** A tenant's, group's or run's budget. */
export const levelBudgetSchema = z
  .object({
    hard_limit_cents: z.number().int(),
    remaining_cents: z.number().int().describe('whole cents, rounded down'),
    ...budgetFigures,
  });

// What a set or top-up asked to add to remaining and what the ceiling (remaining + reserved ≤
// hard limit, SPEC §3) let through: a top-up on a full budget answers applied 0, not silence.
const credit = {
  requested_cents: z.number().int().describe('what the request asked to add to remaining (seed arithmetic: the first set asks for topup_cents, or the limit)'),
  applied_cents: z.number().int().describe('the change in remaining, rounded toward zero; below requested_cents when the hard limit (a ceiling on remaining + reserved) stopped it'),
  applied_microcents: microcents.describe('the exact change in remaining'),
};
export const creditedBudgetSchema = budgetSchema.extend(credit);
export const creditedLevelBudgetSchema = levelBudgetSchema.extend(credit);

export const ledgerEntrySchema = z
  .object({
    entry_id: z.uuid(),
    kind: z.enum(['limit_set', 'topup', 'reserve', 'settle', 'release', 'expire', 'overrun', 'adjustment', 'period_reset']),
    agent_id: stringOrNull.describe('the agent whose call caused the entry (none for credits to a tenant or group)'),
    amount_microcents: microcents,
    balance_after_microcents: microcents,
    reservation_id: z.uuid().nullable(),
    run_id: stringOrNull,
    request_id: stringOrNull,
    provider: stringOrNull,
    model: stringOrNull,
    usage: z.unknown().nullable(),
    cost_breakdown: z.unknown().nullable(),
    price_version: stringOrNull,
    details: z.unknown().nullable(),
    created_at: isoDateTime,
  })
  .meta({ id: 'LedgerEntry' });

export const ledgerPageSchema = z.object({ entries: z.array(ledgerEntrySchema), next_cursor: stringOrNull });

export class SetBudgetDto extends createZodDto(setBudgetSchema) {}
export class TopupDto extends createZodDto(topupSchema) {}
export class BudgetDto extends createZodDto(budgetSchema) {}
export class CreditedBudgetDto extends createZodDto(creditedBudgetSchema) {}
export class LevelBudgetDto extends createZodDto(levelBudgetSchema) {}
export class CreditedLevelBudgetDto extends createZodDto(creditedLevelBudgetSchema) {}
export class LedgerPageDto extends createZodDto(ledgerPageSchema) {}
export class LedgerQueryDto extends createZodDto(pageQuerySchema) {}
