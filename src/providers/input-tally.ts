// The running input-token estimate of one request, with the primitives every provider's
// estimator is written in: text, structured JSON, images, other media and fixed allowances.

import type { EstimateAllowances } from '../pricing/estimate-allowances';
import type { Provider } from '../pricing/price-card';
import type { TextCounter } from '../pricing/token-counter';
import type { ToolCallAllowance } from '../pricing/worst-case-hold';
import { imageAllowance, mediaAllowance, type MediaSource } from './media-allowance';

export type Json = Record<string, unknown>;

export const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export class InputTally {
  tokens = 0;
  readonly toolCalls: ToolCallAllowance = { webSearchCalls: 0, fileSearchCalls: 0, groundingQueries: 0 };

  constructor(
    readonly provider: Provider,
    readonly model: string,
    readonly counter: TextCounter,
    readonly allowances: EstimateAllowances,
  ) {}

  add(tokens: number): void {
    this.tokens += tokens;
  }

  /** Model-visible text; numbers and booleans count as their text; anything else as JSON. */
  text(value: unknown): void {
    if (value === undefined || value === null) return;
    if (typeof value === 'string') this.tokens += this.counter.count(value);
    else if (typeof value === 'number' || typeof value === 'boolean') this.tokens += this.counter.count(String(value));
    else this.json(value);
  }

  /** Structured data the provider renders into the prompt (schemas, tool arguments). */
  json(value: unknown): void {
    if (value === undefined) return;
    this.tokens += this.counter.count(JSON.stringify(value) ?? '');
  }

  image(): void {
    this.tokens += imageAllowance(this.provider, this.model, this.allowances);
  }

  media(source: MediaSource): void {
    if (source.kind !== 'text' && source.mimeType?.toLowerCase().startsWith('image/')) {
      this.image();
      return;
    }
    this.tokens += mediaAllowance(source, this.allowances, (t) => this.counter.count(t));
  }

  /** Context held by the provider (stored responses, cached content, files by id). */
  referencedContent(): void {
    this.tokens += this.allowances.referencedContentTokens;
  }

  /** A priced hosted tool: its calls for the hold, and its results as extra input. */
  hostedToolCalls(kind: keyof ToolCallAllowance, calls: number, resultTokensPerCall = this.allowances.searchResultTokensPerCall): void {
    this.toolCalls[kind] += calls;
    this.tokens += calls * resultTokensPerCall;
  }

  /** A request-stated cap on tool uses, or the unbounded default. */
  callsAllowed(maxUses: unknown): number {
    return typeof maxUses === 'number' && Number.isSafeInteger(maxUses) && maxUses >= 0 ? maxUses : this.allowances.toolCallsWhenUnbounded;
  }
}
