// OpenAI-format content (OpenAI and xAI): Chat Completions, Responses and Embeddings.
import { AnswerFacts, asArray, asObject, ContentAdapter, Json, noAnswer, partsText, PromptMessage, str } from './parts';

export const openAiContent: ContentAdapter = {
  prompt(operation, body) {
    switch (operation) {
      case 'chat.completions':
        return { system: [], messages: asArray(body.messages).map((m) => message(asObject(m))) };
      case 'responses':
        return { system: str(body.instructions) ? [body.instructions as string] : [], messages: responsesInput(body.input) };
      case 'embeddings':
        return { system: [], messages: embeddingsInput(body.input) };
      default:
        return { system: [], messages: [] };
    }
  },

  answer(operation, answer) {
    if (operation === 'chat.completions') {
      const choices = asArray(answer.choices).map((c) => asObject(c) ?? {});
      const first = choices.find((c) => c.index === 0) ?? choices[0];
      return {
        text: partsText(asObject(first?.message)?.content, ''),
        finishReasons: choices.map((c) => str(c.finish_reason)).filter(isString),
        responseModel: str(answer.model),
        responseId: str(answer.id),
      };
    }
    if (operation === 'responses') return { text: responsesOutputText(answer), ...responsesFacts(answer) };
    return noAnswer(answer.model);
  },

  streamReader(operation, onText) {
    return operation === 'responses' ? responsesStream(onText) : chatStream(onText);
  },
};

const isString = (v: string | undefined): v is string => v !== undefined;

function message(m: Json | undefined): PromptMessage {
  return { role: str(m?.role) ?? 'user', text: partsText(m?.content, '\n') };
}

function responsesInput(input: unknown): PromptMessage[] {
  if (typeof input === 'string') return [{ role: 'user', text: input }];
  // Items without a role (function call outputs, reasoning) carry no prompt text.
  return asArray(input)
    .map((item) => asObject(item))
    .filter((item) => item !== undefined && typeof item.role === 'string')
    .map((item) => message(item));
}

function embeddingsInput(input: unknown): PromptMessage[] {
  const texts = typeof input === 'string' ? [input] : asArray(input).filter((v): v is string => typeof v === 'string');
  return texts.map((text) => ({ role: 'user', text }));
}

function responsesOutputText(answer: Json): string {
  const items = asArray(answer.output).map((item) => asObject(item));
  const texts = items.filter((item) => item?.type === 'message').map((item) => partsText(item!.content, ''));
  if (texts.length > 0) return texts.join('');
  return str(answer.output_text) ?? '';
}

function responsesFacts(response: Json): AnswerFacts {
  const status = str(response.status);
  const reason = status === 'incomplete' ? (str(asObject(response.incomplete_details)?.reason) ?? status) : status;
  return { finishReasons: reason ? [reason] : [], responseModel: str(response.model), responseId: str(response.id) };
}

function chatStream(onText: (text: string) => void) {
  const finishReasons: string[] = [];
  let responseModel: string | undefined;
  let responseId: string | undefined;
  return {
    onEvent(chunk: Json) {
      responseModel ??= str(chunk.model);
      responseId ??= str(chunk.id);
      for (const c of asArray(chunk.choices)) {
        const choice = asObject(c);
        const index = typeof choice?.index === 'number' ? choice.index : 0;
        const delta = str(asObject(choice?.delta)?.content);
        if (index === 0 && delta) onText(delta);
        const finish = str(choice?.finish_reason);
        if (finish) finishReasons[index] = finish;
      }
    },
    facts: (): AnswerFacts => ({ finishReasons: finishReasons.filter(isString), responseModel, responseId }),
  };
}

const RESPONSE_DONE = new Set(['response.completed', 'response.incomplete', 'response.failed']);

function responsesStream(onText: (text: string) => void) {
  let facts: AnswerFacts = { finishReasons: [] };
  return {
    onEvent(event: Json, eventName: string | undefined) {
      const type = str(event.type) ?? eventName;
      if (type === 'response.output_text.delta') {
        const delta = str(event.delta);
        if (delta) onText(delta);
      } else if (type === 'response.created' || (type && RESPONSE_DONE.has(type))) {
        const response = asObject(event.response);
        if (response) facts = responsesFacts(response);
      }
    },
    facts: () => facts,
  };
}
