// Reads the raw text of the configured price document: over HTTP(S) with If-None-Match and a
// timeout, from a file, or the table bundled with the code. Knows nothing of verification.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PricingConfig } from '../config/config.schema';

export type PriceSourceKind = 'url' | 'file' | 'bundled';

/** Resolved against src/ both from src/ (tests) and from dist/ (the build), so tsc need not copy it. */
export const BUNDLED_PRICING_FILE = path.resolve(__dirname, '../../src/pricing/bundled/default-pricing.json');

/** Refuse documents larger than this: a price table is kilobytes, never megabytes. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export type FetchedDocument =
  | { changed: true; text: string; etag: string | null }
  | { changed: false };

export interface PriceSource {
  kind: PriceSourceKind;
  /** The URL or path, for operators. */
  ref: string;
  fetch(etag: string | null): Promise<FetchedDocument>;
}

export function priceSourceFor(config: PricingConfig): PriceSource {
  if (config.url) return urlSource(config.url, config.fetchTimeoutMs);
  if (config.file) return fileSource('file', path.resolve(config.file));
  return fileSource('bundled', BUNDLED_PRICING_FILE);
}

function fileSource(kind: 'file' | 'bundled', file: string): PriceSource {
  return {
    kind,
    ref: file,
    async fetch() {
      const text = await readFile(file, 'utf8');
      if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) throw new Error(`${file} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
      return { changed: true, text, etag: null };
    },
  };
}

function urlSource(url: string, timeoutMs: number): PriceSource {
  return {
    kind: 'url',
    ref: url,
    async fetch(etag) {
      const res = await fetch(url, {
        headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'follow',
      });
      if (res.status === 304) return { changed: false };
      if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (declared > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url}: document larger than ${MAX_DOCUMENT_BYTES} bytes`);
      const text = await res.text();
      if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url}: document larger than ${MAX_DOCUMENT_BYTES} bytes`);
      return { changed: true, text, etag: res.headers.get('etag') };
    },
  };
}
