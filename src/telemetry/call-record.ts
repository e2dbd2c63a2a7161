// What one observed call reported (call-observer.ts), kept until it ends and its spans are made.
// A streamed answer's text is hashed as it passes, so a long stream costs no memory; its text is
// kept (up to the capture limit) only when capture is on.
import { createHash, Hash } from 'node:crypto';
import type { CallObservation, ObservedSettle } from '../proxy/call-observer';
import type { MeteredRequest } from '../proxy/metered-request';
import type { Reserved } from '../proxy/output-reservation';
import type { SseEvent } from '../providers/sse';
import { contentAdapter } from './content/content';
import { asObject, type AnswerFacts, type StreamContentReader } from './content/parts';

/** A captured text is cut here: bounds what one span may hold while the exporter's queue is full. */
export const MAX_CAPTURED_CHARS = 16_384;

export const sha384Hex = (text: string): string => createHash('sha384').update(text, 'utf8').digest('hex');

/** The first choice's text of a stream, as it was relayed. */
export class StreamedCompletion {
  private readonly hash: Hash = createHash('sha384');
  private readonly reader: StreamContentReader;
  /** Present when capture is on: the text up to MAX_CAPTURED_CHARS. */
  private captured?: string;

  constructor(m: MeteredRequest, capture: boolean) {
    if (capture) this.captured = '';
    this.reader = contentAdapter(m.provider).streamReader(m.operation, (text) => {
      this.hash.update(text, 'utf8');
      if (this.captured !== undefined && this.captured.length < MAX_CAPTURED_CHARS) this.captured += text.slice(0, MAX_CAPTURED_CHARS - this.captured.length);
    });
  }

  read(event: SseEvent): void {
    if (!event.hasData) return;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // `[DONE]`, or a broken event: no text in it
    }
    const json = asObject(data);
    if (json) this.reader.onEvent(json, event.event);
  }

  result(): AnswerFacts & { sha384: string; text?: string } {
    return { ...this.reader.facts(), sha384: this.hash.digest('hex'), text: this.captured };
  }
}

export class CallRecord implements CallObservation {
  readonly startedAt = performance.now();
  reserved?: Reserved;
  priceVersion?: string;
  upstreamStatus?: number;
  answer?: Buffer;
  stream?: StreamedCompletion;
  settle?: ObservedSettle & { endedAt: number };
  endedAt = 0;
  error: unknown;
  status = 0;

  constructor(
    readonly m: MeteredRequest,
    readonly tenantId: string,
    readonly requestId: string,
    private readonly capture: boolean,
    private readonly onEnd: (record: CallRecord) => void,
  ) {}

  held(reserved: Reserved, priceVersion: string): void {
    this.reserved = reserved;
    this.priceVersion = priceVersion;
  }

  upstreamAnswered(status: number): void {
    this.upstreamStatus = status;
  }

  answerRead(bytes: Buffer): void {
    this.answer = bytes;
  }

  streamEvent(event: SseEvent): void {
    try {
      (this.stream ??= new StreamedCompletion(this.m, this.capture)).read(event);
    } catch {
      // An event we cannot read only costs the span its completion text, never the call.
    }
  }

  settled(settle: ObservedSettle): void {
    this.settle = { ...settle, endedAt: performance.now() };
  }

  end(error: unknown, status: number): void {
    this.endedAt = performance.now();
    this.error = error;
    this.status = status;
    this.onEnd(this);
  }
}
