// Token allowances for non-text inputs (images, PDFs, audio, video, files) shared by the provider
// estimators. We never decode images to measure them; sizes we cannot see get the documented
// worst case from EstimateAllowances.

import type { EstimateAllowances } from '../pricing/estimate-allowances';
import type { Provider } from '../pricing/price-card';

export type MediaSource =
  | { kind: 'inline'; mimeType: string | undefined; base64: string }
  | { kind: 'text'; text: string }
  | { kind: 'reference'; mimeType: string | undefined };

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?,/;

/** `data:<mime>;base64,<data>` → inline media; any other URL → a reference. */
export function mediaFromUrl(url: string): MediaSource {
  const match = DATA_URL.exec(url);
  if (!match) return { kind: 'reference', mimeType: undefined };
  return { kind: 'inline', mimeType: match[1] || undefined, base64: url.slice(match[0].length) };
}

export function base64DecodedBytes(base64: string): number {
  const clean = base64.replace(/[^A-Za-z0-9+/_-]/g, '');
  return Math.floor((clean.length * 3) / 4);
}

export function imageAllowance(provider: Provider, model: string, allowances: EstimateAllowances): number {
  // gpt-4o-mini bills images as many (cheap) tokens: up to 2833 + 8 tiles × 5667.
  if (provider === 'openai' && /^(ft:)?gpt-4o-mini/.test(model)) return allowances.imageTokens.openaiTiledMini;
  return allowances.imageTokens[provider];
}

/**
 * Tokens for a non-image medium. PDFs are billed per page, so they are counted by page where the
 * file shows its pages; text files by their bytes; other binaries by bytes per token.
 */
export function mediaAllowance(source: MediaSource, allowances: EstimateAllowances, countText: (t: string) => number): number {
  if (source.kind === 'text') return countText(source.text);
  if (source.kind === 'reference') {
    return source.mimeType === 'application/pdf'
      ? allowances.pdfPagesWhenUnknown * allowances.pdfPageTokens
      : allowances.referencedContentTokens;
  }
  const mime = source.mimeType?.toLowerCase();
  const bytes = base64DecodedBytes(source.base64);
  if (mime === 'application/pdf') {
    const pages = pdfPageCount(Buffer.from(source.base64, 'base64')) ?? allowances.pdfPagesWhenUnknown;
    return pages * allowances.pdfPageTokens;
  }
  // Text is at most one token per byte; JSON, XML, CSV and code files are text too.
  if (mime && /^(text\/|application\/(json|xml|x-yaml|yaml|javascript|x-python|csv))/.test(mime)) return bytes;
  return Math.max(Math.ceil(bytes / allowances.mediaBytesPerToken), 1_000);
}

/**
 * Counts `/Type /Page` objects. Returns undefined when pages may hide in compressed object
 * streams (PDF 1.5+ /ObjStm), or when none are found, so the caller assumes the maximum.
 */
export function pdfPageCount(pdf: Buffer): number | undefined {
  const text = pdf.toString('latin1');
  if (text.includes('/ObjStm')) return undefined;
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  return pages > 0 ? pages : undefined;
}
