import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { SEED_DETAIL } from '../common/errors/seed-details';
import { agentIdSchema } from '../common/http/ids';
import { MAX_CENTS } from '../common/money';
import { pageQuerySchema } from '../common/http/pagination';
import { isoDateTime, stringOrNull } from '../common/http/schemas';

const cents = z.number().int().max(MAX_CENTS);
const microcents = z.string().regex(/^-?\d+$/).describe('exact integer microcents (1 cent = 1,000,000), as a string');

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
  })
  .strict();

export const topupSchema = z.object({ amount_cents: cents.positive() }).strict();

export const budgetSchema = z
  .object({
    agent_id: agentIdSchema,
    hard_limit_cents: z.number().int(),
    remaining_cents: z.number().int().describe('whole cents, rounded down'),
    locked_run_id: stringOrNull.describe('run of the newest in-flight call, if any'),
    locked_cents: z.number().int().describe('held by in-flight calls, rounded up'),
    locked_expires_at: isoDateTime.nullable(),
    reserved_cents: z.number().int().describe('held by in-flight calls, rounded up'),
    spent_cents: z.number().int().describe('lifetime spend, rounded up'),
    remaining_microcents: microcents,
    reserved_microcents: microcents,
    spent_microcents: microcents,
    in_flight: z.number().int().describe('open reservations'),
  });

// What a set or top-up asked to add to remaining and what the ceiling (remaining + reserved ≤
// hard limit, SPEC §3) let through: a top-up on a full budget answers applied 0, not silence.
export const creditedBudgetSchema = budgetSchema.extend({
  requested_cents: z.number().int().describe('what the request asked to add to remaining (seed arithmetic: the first set asks for topup_cents, or the limit)'),
  applied_cents: z.number().int().describe('the change in remaining, rounded toward zero; below requested_cents when the hard limit (a ceiling on remaining + reserved) stopped it'),
  applied_microcents: microcents.describe('the exact change in remaining'),
});

export const ledgerEntrySchema = z
  .object({
    entry_id: z.uuid(),
    kind: z.enum(['limit_set', 'topup', 'reserve', 'settle', 'release', 'expire', 'overrun', 'adjustment']),
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
export class LedgerPageDto extends createZodDto(ledgerPageSchema) {}
export class LedgerQueryDto extends createZodDto(pageQuerySchema) {}
