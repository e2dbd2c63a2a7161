// Token allowances the input estimate adds for what text counting cannot see: chat templates,
// tool-use system prompts, images, files, and context that lives on the provider's side. Each
// is chosen to be at or above the largest figure the providers document (see docs/pricing.md); a
// call that still exceeds its hold is charged in full as an overrun, never dropped.

import type { Provider } from './price-card';

export interface EstimateAllowances {
  /** Reply priming and request framing (OpenAI documents 3). */
  perRequestTokens: number;
  /** Role markers and separators around each message (OpenAI documents 3-4). */
  perMessageTokens: number;
  /** The system prompt a provider adds when tools are present (Anthropic: up to ~350). */
  toolsPreambleTokens: number;
  /** Framing per declared tool, on top of its JSON text. */
  perToolTokens: number;
  /** Provider-defined tools whose definitions we cannot see (computer use ~735, editor ~700). */
  builtInToolTokens: number;
  /** Remote MCP servers: their tool lists are fetched by the provider. */
  mcpServerTokens: number;
  /** One image, by provider; `openaiTiledMini` is gpt-4o-mini's 2833 + 8 × 5667 tokens. */
  imageTokens: Record<Provider, number> & { openaiTiledMini: number };
  /** One PDF page (its text plus its page image). */
  pdfPageTokens: number;
  /** Pages assumed for a PDF whose page count cannot be read (the providers' 100-page limit). */
  pdfPagesWhenUnknown: number;
  /** Audio, video and other binary media: one token per this many bytes (safe above ~40 kbit/s). */
  mediaBytesPerToken: number;
  /** Files, conversation state or cached content referenced by id: their size is unknown to us. */
  referencedContentTokens: number;
  /** Hosted search results fed back as input, per search call. */
  searchResultTokensPerCall: number;
  /** Hosted tool calls assumed when a request enables a priced tool but does not cap its uses. */
  toolCallsWhenUnbounded: number;
}

export const DEFAULT_ESTIMATE_ALLOWANCES: EstimateAllowances = {
  perRequestTokens: 32,
  perMessageTokens: 8,
  toolsPreambleTokens: 1_024,
  perToolTokens: 32,
  builtInToolTokens: 2_048,
  mcpServerTokens: 20_000,
  imageTokens: { openai: 25_000, openaiTiledMini: 48_200, grok: 25_000, anthropic: 6_000, gemini: 20_000 },
  pdfPageTokens: 8_000,
  pdfPagesWhenUnknown: 100,
  mediaBytesPerToken: 16,
  referencedContentTokens: 1_000_000,
  searchResultTokensPerCall: 16_000,
  toolCallsWhenUnbounded: 10,
};
