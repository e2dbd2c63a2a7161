// The levels a budget may sit on (SPEC §10), outermost first, and how a budget row names its owner
// (`owner_id`): the tenant id, a group id, an agent id, or "<agent id>/<run id>" for a run
// (neither kind of id can hold a "/").

export const BUDGET_LEVELS = ['tenant', 'group', 'agent', 'run'] as const;
export type BudgetLevel = (typeof BUDGET_LEVELS)[number];

/** One budget's place: its level and who owns it. */
export type LevelRef =
  | { level: 'tenant'; tenantId: string }
  | { level: 'group'; groupId: string }
  | { level: 'agent'; agentId: string }
  | { level: 'run'; agentId: string; runId: string };

export function ownerIdOf(ref: LevelRef): string {
  switch (ref.level) {
    case 'tenant':
      return ref.tenantId;
    case 'group':
      return ref.groupId;
    case 'agent':
      return ref.agentId;
    case 'run':
      return `${ref.agentId}/${ref.runId}`;
  }
}

/** What a 402 or a budget answer calls the level's owner: the run id alone for a run. */
export function levelIdOf(level: BudgetLevel, ownerId: string): string {
  return level === 'run' ? ownerId.slice(ownerId.indexOf('/') + 1) : ownerId;
}
