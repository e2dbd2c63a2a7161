// What a call said and what it was answered, as text, read from each provider's wire format:
// the prompt's messages, the first choice's text, finish reasons, the model and id that answered.
// Telemetry hashes these texts (and exports them only when capture is on). One adapter per
// provider wire format (`<provider>.content.ts`), chosen here; nothing in this folder runs for a
// call nobody observes.
import type { Provider } from '../../pricing/price-card';
import { anthropicContent } from './anthropic.content';
import { geminiContent } from './gemini.content';
import { openAiContent } from './openai.content';
import type { ContentAdapter, PromptContent } from './parts';

const ADAPTERS: Record<Provider, ContentAdapter> = {
  openai: openAiContent,
  grok: openAiContent,
  anthropic: anthropicContent,
  gemini: geminiContent,
};

export const contentAdapter = (provider: Provider): ContentAdapter => ADAPTERS[provider];

/** The text the prompt hash covers: system instructions, then each message's text, one per line. */
export function promptText(prompt: PromptContent): string {
  return [...prompt.system, ...prompt.messages.map((m) => m.text)].join('\n');
}

