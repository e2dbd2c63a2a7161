// The shapes content adapters read into, and the small readers they share.
import type { MeteredOperation } from '../../pricing/estimator';
import { asArray, asObject, type Json } from '../../providers/stream-usage';

export { asArray, asObject, type Json };

export interface PromptMessage {
  role: string;
  text: string;
}

/** System instructions given apart from the messages (Anthropic `system`, Gemini `systemInstruction`, Responses `instructions`). */
export interface PromptContent {
  system: string[];
  messages: PromptMessage[];
}

export interface AnswerFacts {
  /** One per choice / candidate, in the provider's words (`stop`, `end_turn`, `MAX_TOKENS`…). */
  finishReasons: string[];
  responseModel?: string;
  responseId?: string;
}

export interface AnswerContent extends AnswerFacts {
  /** The text of the first choice (candidate), its parts joined as they were generated. */
  text: string;
}

/** Reads a stream's events (parsed JSON data and the SSE `event:` name); first-choice text goes to `onText`. */
export interface StreamContentReader {
  onEvent(data: Json, eventName: string | undefined): void;
  facts(): AnswerFacts;
}

export interface ContentAdapter {
  prompt(operation: MeteredOperation, body: Json): PromptContent;
  answer(operation: MeteredOperation, answer: Json): AnswerContent;
  streamReader(operation: MeteredOperation, onText: (text: string) => void): StreamContentReader;
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const TEXT_PARTS = new Set(['text', 'input_text', 'output_text']);

/**
 * The text of a message's content: a string, or the `text` of its text parts (`text`,
 * `input_text`, `output_text`; images, tool calls and files carry none) joined by `separator`.
 */
export function partsText(content: unknown, separator: string): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((part) => asObject(part))
    .filter((part) => part !== undefined && (part.type === undefined || TEXT_PARTS.has(String(part.type))))
    .map((part) => str(part!.text))
    .filter((text): text is string => text !== undefined)
    .join(separator);
}

export const noAnswer = (model?: unknown): AnswerContent => ({ text: '', finishReasons: [], responseModel: str(model) });
