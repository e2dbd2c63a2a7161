// What a streamed answer cost (SPEC §4 rules 7-8), shared by every provider's stream tracker.
//
// A tracker reads the relayed SSE events and keeps two things:
// - the usage the provider reported (final, or only partial when the stream stopped early), and
// - a count of the output it streamed that cannot be below the tokens the provider produced:
//   every streamed text, tool argument and reasoning fragment counts its UTF-8 bytes (each token
//   of a byte-level BPE or byte-fallback vocabulary covers at least one byte), inline binary
//   output counts bytes ÷ 16 as the input estimate does, and every delta, output block and tool
//   call adds an allowance for tokens that render as no text (stop and framing tokens, a token
//   whose bytes end mid-character).
//
// Settlement rule (settle / finalUsageOrEstimate):
// 1. Final reported usage, i.e. a report that nothing was streamed after → exactly that.
// 2. Partial reported usage (Anthropic's message_start, Gemini's running usageMetadata when the
//    stream stopped before its end) → its input figures, and output = the larger of the
//    reported output and the streamed-output count. When a server-side tool ran (its results are
//    input the report may not include yet), input is raised to at least the request's estimate.
// 3. No usage at all → input = the request's input estimate (uncached), output = the count.
// With `outputCapTokens` (the cap sent upstream × choices) the count is bounded by the cap, so
// bulky binary output cannot be charged past the hold; and when reasoning the stream does not
// show was seen (or `hiddenReasoning` says the model reasons unseen), the count is the cap,
// because summarised or hidden reasoning is billed in full and cannot be counted from the
// stream. A stream that produced anything is never charged zero output.

import { countOf, emptyUsage, totalInputTokens, type NormalizedUsage } from '../pricing/usage';
import type { SseEvent } from './sse';

export type Json = Record<string, unknown>;

export const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export interface StreamEstimateAllowances {
  /** Every content delta: a token whose text is empty (partial UTF-8, a special token). */
  perDeltaTokens: number;
  /** Every output block (choice, content block, output item, candidate): role, framing, stop. */
  perBlockTokens: number;
  /** Every tool call: the call's framing beyond its name and arguments. */
  perToolCallTokens: number;
  /** Inline binary output (audio, images) as base64 text: this many characters per token. */
  base64CharsPerToken: number;
}

export const DEFAULT_STREAM_ESTIMATE_ALLOWANCES: StreamEstimateAllowances = {
  perDeltaTokens: 1,
  perBlockTokens: 8,
  perToolCallTokens: 32,
  base64CharsPerToken: 16,
};

export interface FinalUsageOptions {
  /** The output cap sent upstream × the number of choices: the most the provider can produce. */
  outputCapTokens?: number;
  /** The model reasons without streaming its reasoning (e.g. OpenAI o-series on chat). */
  hiddenReasoning?: boolean;
}

/** `reported`: the provider's final usage; `partial`: rule 2; `estimated`: rule 3. */
export type UsageBasis = 'reported' | 'partial' | 'estimated';

export interface StreamSettlement {
  usage: NormalizedUsage;
  basis: UsageBasis;
}

export interface StreamUsageTracker {
  /**
   * Feed every upstream event, including any the relay filter drops (events without data are
   * ignored).
   */
  onEvent(event: SseEvent): void;
  /** The same for one JSON payload read some other way (Gemini's JSON-array stream elements). */
  onData(data: string, eventName?: string): void;
  /** The usage the provider reported so far (final or partial), converted; undefined if none. */
  usage(): NormalizedUsage | undefined;
  /** True when the reported usage is final: nothing was streamed after the last report. */
  usageComplete(): boolean;
  /** True once the provider opened an output block or streamed any output. */
  producedAnything(): boolean;
  /** Tokens of output streamed so far, counted so as never to be below the real number. */
  producedOutputEstimate(): number;
  /** The usage to settle with (see the rule at the top of stream-usage.ts). */
  finalUsageOrEstimate(inputEstimateTokens: number, options?: FinalUsageOptions): NormalizedUsage;
  /** finalUsageOrEstimate with the rule that produced it, for the ledger. */
  settle(inputEstimateTokens: number, options?: FinalUsageOptions): StreamSettlement;
}

export abstract class StreamTrackerBase implements StreamUsageTracker {
  /** The last usage the provider reported, already converted. */
  protected reported: NormalizedUsage | undefined;
  /** The reported usage covers everything streamed (reset by any output after it). */
  private complete = false;
  private outputTextBytes = 0;
  private base64Chars = 0;
  private allowanceTokens = 0;
  private anything = false;
  /** Reasoning was produced that the stream shows only in part (summaries) or not at all. */
  protected hiddenReasoningSeen = false;
  /** A server-side tool ran: its results are input a partial report may not include yet. */
  protected serverToolRan = false;
  /** Hosted tool calls seen in the stream, for when no final report counts them. */
  protected readonly observedCalls = { webSearchCalls: 0, fileSearchCalls: 0, groundingQueries: 0 };
  /** Events whose data was not JSON (other than `[DONE]`): ignored, counted for diagnostics. */
  unparsedEvents = 0;

  constructor(protected readonly allowances: StreamEstimateAllowances = DEFAULT_STREAM_ESTIMATE_ALLOWANCES) {}

  onEvent(event: SseEvent): void {
    if (event.hasData) this.onData(event.data, event.event);
  }

  onData(text: string, eventName?: string): void {
    const data = text.trim();
    if (data === '' || data === '[DONE]') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.unparsedEvents += 1;
      return;
    }
    const json = asObject(parsed);
    if (json) this.handle(json, eventName);
    else this.unparsedEvents += 1;
  }

  protected abstract handle(json: Json, eventName: string | undefined): void;

  usage(): NormalizedUsage | undefined {
    return this.reported ? { ...this.reported } : undefined;
  }

  usageComplete(): boolean {
    return this.reported !== undefined && this.complete;
  }

  producedAnything(): boolean {
    return this.anything;
  }

  producedOutputEstimate(): number {
    return this.outputTextBytes + this.allowanceTokens + Math.ceil(this.base64Chars / this.allowances.base64CharsPerToken);
  }

  finalUsageOrEstimate(inputEstimateTokens: number, options: FinalUsageOptions = {}): NormalizedUsage {
    return this.settle(inputEstimateTokens, options).usage;
  }

  settle(inputEstimateTokens: number, options: FinalUsageOptions = {}): StreamSettlement {
    const inputEstimate = wholeTokens(inputEstimateTokens, 'inputEstimateTokens');
    const cap = options.outputCapTokens === undefined ? undefined : wholeTokens(options.outputCapTokens, 'outputCapTokens');
    const reported = this.usage();
    if (reported && this.complete) return { usage: reported, basis: 'reported' };

    let streamed = this.producedOutputEstimate();
    if (cap !== undefined) streamed = this.hiddenReasoningSeen || options.hiddenReasoning ? cap : Math.min(streamed, cap);

    if (reported) {
      const usage = { ...reported };
      let visible = Math.max(usage.outputTokens, streamed);
      // Reported reasoning is real output too; with a cap, output + reasoning need not pass it.
      if (cap !== undefined) visible = Math.min(visible, Math.max(usage.outputTokens, cap - usage.reasoningTokens));
      usage.outputTokens = visible;
      if (this.serverToolRan) usage.inputTokens += Math.max(inputEstimate - totalInputTokens(usage), 0);
      this.foldObservedCalls(usage);
      return { usage, basis: 'partial' };
    }

    const usage = { ...emptyUsage(), inputTokens: inputEstimate, outputTokens: streamed };
    this.foldObservedCalls(usage);
    return { usage, basis: 'estimated' };
  }

  // ---- for the provider trackers ----

  /** Streamed model text (content, reasoning, tool arguments): its UTF-8 bytes. */
  protected text(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    this.textBytes(Buffer.byteLength(value, 'utf8'));
  }

  /** Streamed model text already measured in UTF-8 bytes. */
  protected textBytes(bytes: number): void {
    if (bytes <= 0) return;
    this.outputTextBytes += bytes;
    this.produced();
  }

  /** Streamed base64 binary output (audio, images). */
  protected base64(value: unknown): void {
    if (typeof value !== 'string' || value.length === 0) return;
    this.base64Chars += value.length;
    this.produced();
  }

  protected delta(): void {
    this.allowanceTokens += this.allowances.perDeltaTokens;
    this.produced();
  }

  protected block(): void {
    this.allowanceTokens += this.allowances.perBlockTokens;
    this.produced();
  }

  protected toolCall(): void {
    this.allowanceTokens += this.allowances.perToolCallTokens;
    this.produced();
  }

  /** A usage report; `complete` when it covers everything streamed so far. */
  protected report(usage: NormalizedUsage, complete: boolean): void {
    this.reported = usage;
    this.complete = complete;
  }

  private produced(): void {
    this.anything = true;
    this.complete = false;
  }

  private foldObservedCalls(usage: NormalizedUsage): void {
    usage.webSearchCalls = Math.max(usage.webSearchCalls, this.observedCalls.webSearchCalls);
    usage.fileSearchCalls = Math.max(usage.fileSearchCalls, this.observedCalls.fileSearchCalls);
    usage.groundingQueries = Math.max(usage.groundingQueries, this.observedCalls.groundingQueries);
  }
}

/** Field-wise maximum: cumulative reports only grow, so this never loses a count. */
export function maxUsage(a: NormalizedUsage | undefined, b: NormalizedUsage): NormalizedUsage {
  if (!a) return { ...b };
  const out = { ...b };
  for (const key of Object.keys(out) as (keyof NormalizedUsage)[]) out[key] = Math.max(a[key], b[key]);
  return out;
}

function wholeTokens(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${String(value)}`);
  return countOf(value);
}
