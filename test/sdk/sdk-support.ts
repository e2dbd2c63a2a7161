// Shared pieces of the official-SDK specs: the agent's ledger for one call, checked to the
// microcent against a cost computed by hand from the fake provider's usage and the price card
// (valid-basic.json: a token costs exactly `cents per 1M` microcents).
import type { ProxyStack } from '../support/proxy-stack';

/** Rates of src/pricing/testdata/vectors/valid-basic.json, in µ¢ per token. */
export const RATES = {
  'gpt-4o-mini': { input: 15n, output: 60n, cachedInput: 8n },
  'gpt-5.2': { input: 175n, output: 1400n, cachedInput: 18n, reasoning: 1400n },
  'text-embedding-3-small': { input: 2n, output: 0n },
  'grok-3': { input: 300n, output: 1500n, cachedInput: 75n },
  'claude-opus-4-6': { input: 500n, output: 2500n, cacheWrite: 625n, cacheRead: 50n },
  'gemini-3-pro-preview': { input: 200n, output: 1200n, cachedInput: 20n },
} as const;

export interface LedgerEntry {
  entry_id: string;
  kind: string;
  amount_microcents: string;
  balance_after_microcents: string;
  reservation_id: string | null;
  run_id: string | null;
  request_id: string | null;
  provider: string | null;
  model: string | null;
  usage: unknown;
  cost_breakdown: unknown;
  price_version: string | null;
  details: any;
}

export async function ledgerOf(s: ProxyStack, agentId: string): Promise<LedgerEntry[]> {
  const res = await s.http.get(`/v1/agents/${agentId}/ledger?limit=100`);
  if (res.status !== 200) throw new Error(`ledger of ${agentId}: ${res.status} ${res.text}`);
  return res.body.entries as LedgerEntry[];
}

export async function budgetOf(s: ProxyStack, agentId: string): Promise<any> {
  const res = await s.http.get(`/v1/agents/${agentId}/budget`);
  if (res.status !== 200) throw new Error(`budget of ${agentId}: ${res.status} ${res.text}`);
  return res.body;
}

/** A stream is settled after its last byte reached the client: wait until nothing is in flight. */
export async function waitSettled(s: ProxyStack, agentId: string, timeoutMs = 5_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await budgetOf(s, agentId);
    if (b.in_flight === 0 && b.reserved_microcents === '0') return b;
    if (Date.now() > deadline) throw new Error(`agent ${agentId} still has a call in flight: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ExpectedCall {
  costMicrocents: bigint;
  runId?: string;
  provider: string;
  model: string;
  /** The x-cynsta-request-id the SDK saw. */
  requestId?: string | null;
}

/**
 * The agent made exactly one metered call: reserve −hold, settle −cost, release +(hold − cost),
 * priced from the reported usage with the table's version, and the budget says the same.
 * Returns the hold in µ¢.
 */
export async function expectOneSettledCall(s: ProxyStack, agentId: string, limitCents: number, e: ExpectedCall): Promise<bigint> {
  const budget = await waitSettled(s, agentId);
  const entries = (await ledgerOf(s, agentId)).filter((x) => x.kind !== 'limit_set' && x.kind !== 'topup');
  const byKind = (k: string) => entries.filter((x) => x.kind === k);
  expect(entries.map((x) => x.kind).sort()).toEqual(['release', 'reserve', 'settle']);
  const [reserve] = byKind('reserve');
  const [settle] = byKind('settle');
  const [release] = byKind('release');
  const hold = -BigInt(reserve.amount_microcents);
  expect(hold).toBeGreaterThan(e.costMicrocents);
  expect(BigInt(settle.amount_microcents)).toBe(-e.costMicrocents);
  expect(BigInt(release.amount_microcents)).toBe(hold - e.costMicrocents);
  for (const entry of entries) {
    expect(entry.reservation_id).toBe(reserve.reservation_id);
    expect(entry.provider).toBe(e.provider);
    expect(entry.model).toBe(e.model);
    if (e.runId) expect(entry.run_id).toBe(e.runId);
    if (e.requestId) expect(entry.request_id).toBe(e.requestId);
  }
  expect(settle.details).toMatchObject({ basis: 'reported' });
  expect(settle.price_version).toEqual(expect.any(String));
  const limit = BigInt(limitCents) * 1_000_000n;
  expect(budget.spent_microcents).toBe(e.costMicrocents.toString());
  expect(budget.remaining_microcents).toBe((limit - e.costMicrocents).toString());
  return hold;
}

/** Whole cents, rounded up, as x-cynsta-cost-cents carries them. */
export const centsCeil = (microcents: bigint): string => ((microcents + 999_999n) / 1_000_000n).toString();
export const centsFloor = (microcents: bigint): string => (microcents / 1_000_000n).toString();

/** Nothing was reserved or charged for this agent beyond its credit. */
export async function expectNothingCharged(s: ProxyStack, agentId: string): Promise<void> {
  const entries = (await ledgerOf(s, agentId)).filter((x) => x.kind !== 'limit_set' && x.kind !== 'topup');
  expect(entries).toEqual([]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
