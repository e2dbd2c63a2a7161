// Rewriting one SSE event's data while keeping the rest of its bytes (comments, `event:`, `id:`,
// `retry:` lines, line endings, the terminating blank line) exactly as the provider sent them.

import type { SseEvent } from './sse';

const LF = 0x0a;
const CR = 0x0d;

/**
 * The event's bytes with its `data:` lines replaced by `data` (one `data:` line per line of it),
 * written where the first `data:` line was, with that line's ending. An event without data gets
 * the new lines before its terminating blank line.
 */
export function replaceSseData(event: SseEvent, data: string): Buffer {
  const lines = splitLines(event.raw);
  const out: Buffer[] = [];
  let written = false;
  const write = (ending: Buffer) => {
    for (const line of data.split(/\r\n|\r|\n/)) out.push(Buffer.from(`data: ${line}`, 'utf8'), ending);
    written = true;
  };
  for (const { content, ending } of lines) {
    if (isDataLine(content)) {
      if (!written) write(ending.length > 0 ? ending : Buffer.from('\n'));
      continue;
    }
    // The blank line that ends the event: new data must come before it.
    if (content.length === 0 && !written && ending.length > 0 && out.length > 0) write(ending);
    out.push(content, ending);
  }
  if (!written) {
    write(Buffer.from('\n'));
    out.push(Buffer.from('\n'));
  }
  return Buffer.concat(out);
}

interface RawLine {
  content: Buffer;
  ending: Buffer;
}

function splitLines(raw: Buffer): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte !== LF && byte !== CR) continue;
    const end = byte === CR && raw[i + 1] === LF ? i + 2 : i + 1;
    lines.push({ content: raw.subarray(start, i), ending: raw.subarray(i, end) });
    start = end;
    i = end - 1;
  }
  if (start < raw.length) lines.push({ content: raw.subarray(start), ending: Buffer.alloc(0) });
  return lines;
}

const DATA = Buffer.from('data', 'ascii');

function isDataLine(line: Buffer): boolean {
  if (line.length < 4 || !line.subarray(0, 4).equals(DATA)) return false;
  return line.length === 4 || line[4] === 0x3a; // "data" alone, or "data:…"
}
