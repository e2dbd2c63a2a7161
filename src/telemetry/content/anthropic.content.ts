// Anthropic Messages content: `system` and `messages`; text blocks of the answer (thinking and
// tool use carry no answer text); in a stream, `text_delta`s.
import { AnswerFacts, asArray, asObject, ContentAdapter, partsText, str } from './parts';

export const anthropicContent: ContentAdapter = {
  prompt(_operation, body) {
    const system = partsText(body.system, '\n');
    return {
      system: system ? [system] : [],
      messages: asArray(body.messages).map((m) => {
        const message = asObject(m);
        return { role: str(message?.role) ?? 'user', text: partsText(message?.content, '\n') };
      }),
    };
  },

  answer(_operation, answer) {
    const reason = str(answer.stop_reason);
    return {
      text: partsText(asArray(answer.content).filter((block) => asObject(block)?.type === 'text'), ''),
      finishReasons: reason ? [reason] : [],
      responseModel: str(answer.model),
      responseId: str(answer.id),
    };
  },

  streamReader(_operation, onText) {
    const facts: AnswerFacts = { finishReasons: [] };
    return {
      onEvent(event, eventName) {
        switch (str(event.type) ?? eventName) {
          case 'message_start': {
            const message = asObject(event.message);
            facts.responseModel ??= str(message?.model);
            facts.responseId ??= str(message?.id);
            break;
          }
          case 'content_block_delta': {
            const delta = asObject(event.delta);
            if (delta?.type === 'text_delta' && str(delta.text)) onText(delta.text as string);
            break;
          }
          case 'message_delta': {
            const reason = str(asObject(event.delta)?.stop_reason);
            if (reason) facts.finishReasons = [reason];
            break;
          }
          default:
        }
      },
      facts: () => facts,
    };
  },
};
