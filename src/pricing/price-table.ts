// A verified, validated price document in the form the proxy prices calls with.

import type { PriceCard, Provider } from './price-card';

export interface PriceTable {
  /** sha256 (hex, first 16 chars) of the canonical JSON without `signature`: see docs/pricing.md. */
  version: string;
  generatedAt: Date;
  expiresAt: Date;
  engine: { name: string; minVersion: string; maxVersion: string };
  /** Keyed `${provider}/${model}`; each alias is a further key for the same card. */
  cards: ReadonlyMap<string, PriceCard>;
}

export function cardKey(provider: Provider, model: string): string {
  return `${provider}/${model}`;
}

/**
 * The card for a model as a client names it. Gemini clients may send `models/<id>` (the REST
 * resource name); that prefix is not part of the price key.
 */
export function findCard(table: PriceTable, provider: Provider, model: string): PriceCard | undefined {
  const direct = table.cards.get(cardKey(provider, model));
  if (direct || provider !== 'gemini' || !model.startsWith('models/')) return direct;
  return table.cards.get(cardKey(provider, model.slice('models/'.length)));
}

/** Whether the table may still price calls at `now` (the same skew rule as loading). */
export function isPriceTableCurrent(table: PriceTable, now: Date, clockSkewSeconds = 300): boolean {
  return table.expiresAt.getTime() > now.getTime() - clockSkewSeconds * 1000;
}

/** `{provider: {model: fields as the document wrote them, plus aliases}}` for GET /v1/pricing. */
export function describeRates(table: PriceTable): Record<string, Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const [key, card] of table.cards) {
    if (key !== cardKey(card.provider, card.model)) continue;
    (out[card.provider] ??= {})[card.model] = { ...card.documentFields };
  }
  return out;
}
