// A small SSE reader for tests: splits a text/event-stream body into events, accepting the
// `\n\n`, `\r\n\r\n` and `\r\r` separators real providers use (Gemini sends `\r\n`).

export interface SseEvent {
  /** The `event:` field, when the stream names its events (Responses API, Anthropic). */
  event?: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    if (block.trim() === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    if (data.length > 0 || event !== undefined) events.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
  }
  return events;
}

/** The JSON of each event (`[DONE]` and unparsable data left out). */
export function sseJson(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const { data } of parseSse(text)) {
    if (data === '[DONE]') continue;
    try {
      out.push(JSON.parse(data) as Record<string, unknown>);
    } catch {
      // a malformed event: the caller counts it from parseSse
    }
  }
  return out;
}
