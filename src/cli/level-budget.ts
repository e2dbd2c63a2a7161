// What the budget commands of every level share (SPEC §10): `--period EVERY [--tz ZONE]`, and the
// lines of a level's budget — its figures, then its period when it has one.
import { CreditedLevelBudget, LevelBudget } from '../client/spendguard-client';
import { CliIo, UsageError } from './cli-io';
import { Invocation, OptionDef, stringOption } from './command';
import { printFields } from './output';

export const PERIOD_OPTIONS: Record<string, OptionDef> = {
  period: {
    type: 'string',
    value: 'EVERY',
    description: "start afresh every 1h, 1d, 1w, 1mo, <n>s or <n>m; 'none': a lifetime budget (default: unchanged)",
  },
  tz: { type: 'string', value: 'ZONE', description: 'IANA timezone where days, weeks and months start (default UTC)' },
};

/** `--period EVERY [--tz ZONE]`: absent keeps the budget's period; `none` makes it a lifetime budget. */
export function periodOption(inv: Invocation): { every: string; timezone: string } | null | undefined {
  const every = stringOption(inv.values, 'period');
  const timezone = stringOption(inv.values, 'tz');
  if (every === undefined) {
    if (timezone !== undefined) throw new UsageError('argument --tz: only with --period', inv.help);
    return undefined;
  }
  if (every === 'none') {
    if (timezone !== undefined) throw new UsageError('argument --tz: not with --period none', inv.help);
    return null;
  }
  return { every, timezone: timezone ?? 'UTC' };
}

/** A level budget's figures; the exact microcents are in --json. */
const FIGURES = ['hard_limit_cents', 'remaining_cents', 'reserved_cents', 'spent_cents', 'in_flight'] as const;

/** A budget's period lines (None for a lifetime budget). */
const PERIOD_FIELDS = ['period', 'period_timezone', 'period_started_at', 'next_reset_at', 'period_spent_cents'] as const;

type WithPeriod = Pick<LevelBudget, 'period' | 'period_started_at' | 'next_reset_at' | 'period_spent_cents'>;

/** The period lines of a budget. */
export function printPeriod(io: CliIo, budget: Partial<WithPeriod>): void {
  printFields(io, { ...budget, period: budget.period?.every ?? null, period_timezone: budget.period?.timezone ?? null }, PERIOD_FIELDS);
}

/** A group's, a tenant's or a run's budget: its figures and its period (None when lifetime). */
export function printLevelBudget(io: CliIo, budget: LevelBudget | CreditedLevelBudget): void {
  printFields(io, budget, FIGURES);
  printPeriod(io, budget);
}
