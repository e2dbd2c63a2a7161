// Test support: the seed's valid-basic.json rates as a PriceTable, and a card builder for cases
// the seed document does not cover.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PriceCard, Provider } from '../price-card';
import { parsePriceDocument } from '../price-document';
import { findCard, type PriceTable } from '../price-table';

export function seedTable(): PriceTable {
  const text = readFileSync(path.join(__dirname, 'vectors', 'valid-basic.json'), 'utf8');
  const verdict = parsePriceDocument(text, {
    engineName: 'spendguard-engine',
    engineVersion: '0.1.0',
    now: new Date('2027-01-01T00:00:00Z'),
  });
  if (!verdict.ok) throw new Error(verdict.detail);
  return verdict.table;
}

export function seedCard(provider: Provider, model: string): PriceCard {
  const card = findCard(seedTable(), provider, model);
  if (!card) throw new Error(`no seed card ${provider}/${model}`);
  return card;
}

/** A card from document-style fields, e.g. cardFrom('gemini', { input_cents_per_1m: '7.5', ... }). */
export function cardFrom(provider: Provider, fields: Record<string, string | number | string[]>): PriceCard {
  const card = Object.entries(fields)
    .map(([k, v]) => `"${k}":${Array.isArray(v) ? JSON.stringify(v) : String(v)}`)
    .join(',');
  const text = `{"schema_version":"1","engine":{"name":"e","min_version":"0.0.0","max_version":"9.9.9"},
    "generated_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z",
    "rates":{"${provider}":{"m":{${card}}}}}`;
  const verdict = parsePriceDocument(text, { engineName: 'e', engineVersion: '1.0.0', now: new Date('2027-01-01T00:00:00Z') });
  if (!verdict.ok) throw new Error(verdict.detail);
  const built = findCard(verdict.table, provider, 'm');
  if (!built) throw new Error(`card rejected: ${JSON.stringify(verdict.droppedCards)}`);
  return built;
}
