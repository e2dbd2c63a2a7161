// Gemini generateContent content: `systemInstruction` and `contents` (or the seed's `prompt`);
// the first candidate's text parts (thought summaries excluded). A stream is a series of
// GenerateContentResponse chunks, each with the next piece of every candidate.
import { AnswerFacts, asArray, asObject, ContentAdapter, Json, PromptMessage, str } from './parts';

export const geminiContent: ContentAdapter = {
  prompt(_operation, body) {
    // The seed's simplified body: {model, prompt, …}.
    if (typeof body.prompt === 'string' && body.contents === undefined) return { system: [], messages: [{ role: 'user', text: body.prompt }] };
    const system = contentText(body.systemInstruction, '\n');
    const contents = Array.isArray(body.contents) ? body.contents : body.contents === undefined ? [] : [body.contents];
    return { system: system ? [system] : [], messages: contents.map(turn) };
  },

  answer(_operation, answer) {
    const candidates = asArray(answer.candidates).map((c) => asObject(c) ?? {});
    return { text: contentText(firstCandidate(candidates)?.content, ''), ...facts(answer, candidates) };
  },

  streamReader(_operation, onText) {
    let last: AnswerFacts = { finishReasons: [] };
    return {
      onEvent(chunk) {
        const candidates = asArray(chunk.candidates).map((c) => asObject(c) ?? {});
        const text = contentText(firstCandidate(candidates)?.content, '');
        if (text) onText(text);
        const now = facts(chunk, candidates);
        last = {
          finishReasons: now.finishReasons.length > 0 ? now.finishReasons : last.finishReasons,
          responseModel: now.responseModel ?? last.responseModel,
          responseId: now.responseId ?? last.responseId,
        };
      },
      facts: () => last,
    };
  },
};

function turn(value: unknown): PromptMessage {
  if (typeof value === 'string') return { role: 'user', text: value };
  const content = asObject(value);
  const role = str(content?.role);
  return { role: role === 'model' ? 'assistant' : (role ?? 'user'), text: contentText(content, '\n') };
}

/** The text parts of a Content (`{parts: [{text}]}`, or a bare string), thoughts left out. */
function contentText(content: unknown, separator: string): string {
  if (typeof content === 'string') return content;
  return asArray(asObject(content)?.parts)
    .map((p) => asObject(p))
    .filter((part) => part !== undefined && part.thought !== true && typeof part.text === 'string')
    .map((part) => part!.text as string)
    .join(separator);
}

/** Candidates carry an `index` when there are several; the one with index 0 (or the first) is read. */
function firstCandidate(candidates: Json[]): Json | undefined {
  return candidates.find((c) => (c.index ?? 0) === 0);
}

function facts(response: Json, candidates: Json[]): AnswerFacts {
  return {
    finishReasons: candidates.map((c) => str(c.finishReason)).filter((r): r is string => r !== undefined),
    responseModel: str(response.modelVersion),
    responseId: str(response.responseId),
  };
}
