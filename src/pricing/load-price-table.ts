// One call from raw document text to a usable price table or a reason it is refused: signature
// first (when verification is on), then the document rules. Fail closed on anything else.

import {
  parsePriceDocument,
  type DroppedCard,
  type PriceDocumentContext,
  type PriceDocumentRejection,
} from './price-document';
import type { PriceTable } from './price-table';
import { verifyPriceDocument } from './signature';

export interface LoadPriceTableOptions extends PriceDocumentContext {
  verifySignature: boolean;
  publicKeysB64: string[];
}

export type PriceTableRejection = PriceDocumentRejection | 'missing_signature' | 'bad_signature';

export type LoadPriceTableResult =
  | { ok: true; table: PriceTable; verified: boolean; keyIndex?: number; droppedCards: DroppedCard[] }
  | { ok: false; reason: PriceTableRejection; detail: string };

export function loadPriceTable(rawText: string, options: LoadPriceTableOptions): LoadPriceTableResult {
  let keyIndex: number | undefined;
  if (options.verifySignature) {
    const signature = verifyPriceDocument(rawText, options.publicKeysB64);
    if (!signature.ok) {
      return { ok: false, reason: signature.reason, detail: `signature check failed: ${signature.reason}` };
    }
    keyIndex = signature.keyIndex;
  }
  const verdict = parsePriceDocument(rawText, options);
  if (!verdict.ok) return verdict;
  return { ok: true, table: verdict.table, verified: options.verifySignature, keyIndex, droppedCards: verdict.droppedCards };
}
