// Counting the tokens of a piece of text without ever counting fewer than the model will bill.
// OpenAI-family models get their real BPE tokenizer; every other model gets the UTF-8 byte
// length, a bound that cannot undershoot because every token of a byte-level BPE or
// byte-fallback SentencePiece vocabulary covers at least one byte of input.

import type { Provider } from './price-card';

export type OpenAiEncoding = 'o200k_base' | 'cl100k_base';
export type CountingMethod = `tokenizer:${OpenAiEncoding}` | 'utf8_bytes';

export interface TextCounter {
  readonly method: CountingMethod;
  count(text: string): number;
}

/**
 * BPE cost grows with the square of a single pre-token's length (200k letters without a space
 * take ~30 s), so whitespace-free runs longer than this are counted by their bytes instead, plus
 * two tokens for the boundaries the cut may have changed.
 */
export const LONG_RUN_CHARS = 1_000;
const LONG_RUN = new RegExp(`\\S{${LONG_RUN_CHARS + 1},}`, 'gu');
const BOUNDARY_TOKENS_PER_CUT = 2;
/** Past this many characters per request, text is counted by bytes: tokenizing is ~1 µs/char of CPU. */
export const DEFAULT_MAX_TOKENIZED_CHARS = 2_000_000;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function utf8ByteCounter(): TextCounter {
  return { method: 'utf8_bytes', count: utf8Bytes };
}

/**
 * Which tiktoken encoding an OpenAI model uses, or undefined when we do not know the family (the
 * caller then falls back to bytes). Fine-tuned ids (`ft:gpt-4o-mini:org::id`) use their base's.
 */
export function openAiEncodingFor(model: string): OpenAiEncoding | undefined {
  const base = model.replace(/^ft:/, '').toLowerCase();
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|gpt-oss|codex|computer-use|gpt-realtime|gpt-audio|omni-moderation)/.test(base)) {
    return 'o200k_base';
  }
  if (/^(gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/.test(base)) return 'cl100k_base';
  return undefined;
}

/** A fresh counter for one request (it carries that request's tokenizing budget). */
export function textCounterFor(provider: Provider, model: string, maxTokenizedChars = DEFAULT_MAX_TOKENIZED_CHARS): TextCounter {
  // Grok speaks OpenAI's wire format but has its own tokenizer, which we do not have.
  const encoding = provider === 'openai' ? openAiEncodingFor(model) : undefined;
  return encoding ? tokenizerCounter(encoding, maxTokenizedChars) : utf8ByteCounter();
}

type Encode = (text: string) => number;
const encoders = new Map<OpenAiEncoding, Encode>();

/**
 * Counts already made, per encoding: system prompts and tool schemas come back call after call,
 * and counting is deterministic. Bounded by the characters kept; the oldest go first.
 */
const MEMO_MAX_CHARS = 8_000_000;
const MEMO_MAX_TEXT_CHARS = 64_000;

export function memoized(encode: Encode, maxChars = MEMO_MAX_CHARS): Encode {
  const counts = new Map<string, number>();
  let chars = 0;
  return (text) => {
    if (text.length > MEMO_MAX_TEXT_CHARS) return encode(text);
    const known = counts.get(text);
    if (known !== undefined) return known;
    const n = encode(text);
    counts.set(text, n);
    chars += text.length;
    for (const old of counts.keys()) {
      if (chars <= maxChars) break;
      counts.delete(old);
      chars -= old.length;
    }
    return n;
  };
}

// The vocabularies are megabytes of JavaScript: loading one takes ~150 ms of blocked event loop,
// so the service loads both at boot (preloadTokenizers) rather than on its first call.
function encoderFor(encoding: OpenAiEncoding): Encode {
  let encode = encoders.get(encoding);
  if (!encode) {
    const api: typeof import('gpt-tokenizer/cjs/encoding/o200k_base') =
      encoding === 'o200k_base'
        ? require('gpt-tokenizer/cjs/encoding/o200k_base')
        : require('gpt-tokenizer/cjs/encoding/cl100k_base');
    // User text that spells a special token (`<|endoftext|>`) is plain text to the API too.
    const plain = { disallowedSpecial: new Set<string>() };
    encode = memoized((text) => api.countTokens(text, plain));
    encoders.set(encoding, encode);
  }
  return encode;
}

/** Loads (and warms) every vocabulary, so that no metered call pays for it. */
export function preloadTokenizers(): void {
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) encoderFor(encoding)('warm up the tokenizer');
}

function tokenizerCounter(encoding: OpenAiEncoding, maxTokenizedChars: number): TextCounter {
  const encode = encoderFor(encoding);
  let charsLeft = maxTokenizedChars;
  return {
    method: `tokenizer:${encoding}`,
    count(text: string): number {
      if (text.length === 0) return 0;
      let tokens = 0;
      const rest = text.length > LONG_RUN_CHARS
        ? text.replace(LONG_RUN, (run) => {
            tokens += utf8Bytes(run) + BOUNDARY_TOKENS_PER_CUT;
            return ' ';
          })
        : text;
      if (rest.length > charsLeft) return tokens + utf8Bytes(rest);
      charsLeft -= rest.length;
      return tokens + encode(rest);
    },
  };
}
