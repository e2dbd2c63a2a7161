import { DEFAULT_ESTIMATE_ALLOWANCES as A } from '../pricing/estimate-allowances';
import { base64DecodedBytes, imageAllowance, mediaAllowance, mediaFromUrl, pdfPageCount } from './media-allowance';

const countBytes = (t: string) => Buffer.byteLength(t);

describe('media allowances', () => {
  it('parses data URLs and treats other URLs as references', () => {
    expect(mediaFromUrl('data:application/pdf;base64,QUJD')).toEqual({ kind: 'inline', mimeType: 'application/pdf', base64: 'QUJD' });
    expect(mediaFromUrl('https://example.com/x.png')).toEqual({ kind: 'reference', mimeType: undefined });
    expect(base64DecodedBytes('QUJD')).toBe(3);
    expect(base64DecodedBytes('QUI=')).toBe(2);
  });

  it('counts PDF pages only where they are visible', () => {
    expect(pdfPageCount(Buffer.from('<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>'))).toBe(2);
    expect(pdfPageCount(Buffer.from('<< /Type /ObjStm >> << /Type /Page >>'))).toBeUndefined();
    expect(pdfPageCount(Buffer.from('not a pdf'))).toBeUndefined();
  });

  it('sizes each kind of medium', () => {
    const inline = (mimeType: string, bytes: number) => ({ kind: 'inline' as const, mimeType, base64: Buffer.alloc(bytes).toString('base64') });
    expect(mediaAllowance(inline('text/csv', 5000), A, countBytes)).toBe(5000);
    expect(mediaAllowance(inline('audio/wav', 160_000), A, countBytes)).toBe(10_000);
    expect(mediaAllowance(inline('audio/wav', 10), A, countBytes)).toBe(1_000);
    expect(mediaAllowance(inline('application/pdf', 100), A, countBytes)).toBe(A.pdfPagesWhenUnknown * A.pdfPageTokens);
    expect(mediaAllowance({ kind: 'reference', mimeType: 'video/mp4' }, A, countBytes)).toBe(A.referencedContentTokens);
    expect(mediaAllowance({ kind: 'text', text: 'héllo' }, A, countBytes)).toBe(6);
  });

  it('gives gpt-4o-mini its tiled image price', () => {
    expect(imageAllowance('openai', 'gpt-4o-mini-2024-07-18', A)).toBe(48_200);
    expect(imageAllowance('openai', 'gpt-4o', A)).toBe(A.imageTokens.openai);
    expect(imageAllowance('anthropic', 'claude-opus-4-6', A)).toBe(A.imageTokens.anthropic);
  });
});
