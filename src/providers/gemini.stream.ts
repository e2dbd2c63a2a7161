// Usage of a streamed Gemini answer (`streamGenerateContent?alt=sse`): every `data:` is a whole
// GenerateContentResponse holding the next piece of each candidate, and there is no end marker.
// `usageMetadata` is cumulative (running totals on each chunk that has it), so the field-wise
// maximum over the chunks is the last report; it is final once every candidate seen has a
// `finishReason` and nothing was streamed after. Grounding metadata
// (`candidates[].groundingMetadata.webSearchQueries`) may come on any chunk and is kept per
// candidate. Streamed output counted: text parts (thought summaries too), function calls (name
// and arguments), code and its results, and inline binary output.

import { geminiUsage } from './gemini.usage';
import { asArray, asObject, maxUsage, StreamTrackerBase, type Json } from './stream-usage';

// The REST API answers in camelCase; some serialisations use snake_case. Accept both.
const field = (obj: Json | undefined, camel: string, snake: string): unknown => obj?.[camel] ?? obj?.[snake];

export class GeminiStreamTracker extends StreamTrackerBase {
  private readonly candidatesSeen = new Set<number>();
  private readonly candidatesFinished = new Set<number>();
  private readonly groundingByCandidate = new Map<number, number>();

  protected handle(response: Json): void {
    asArray(response.candidates).forEach((entry, position) => {
      const candidate = asObject(entry);
      if (candidate) this.candidate(candidate, position);
    });
    this.observedCalls.groundingQueries = [...this.groundingByCandidate.values()].reduce((a, b) => a + b, 0);
    const usage = geminiUsage(response);
    if (usage) {
      const merged = maxUsage(this.reported, usage);
      merged.groundingQueries = Math.max(merged.groundingQueries, this.observedCalls.groundingQueries);
      const everyCandidateFinished = [...this.candidatesSeen].every((index) => this.candidatesFinished.has(index));
      this.report(merged, everyCandidateFinished);
    } else if (this.reported) {
      // Grounding that arrives after the last usage report still counts.
      this.reported.groundingQueries = Math.max(this.reported.groundingQueries, this.observedCalls.groundingQueries);
    }
  }

  private candidate(candidate: Json, position: number): void {
    const index = typeof candidate.index === 'number' ? candidate.index : position;
    const parts = asArray(asObject(candidate.content)?.parts);
    const finishReason = field(candidate, 'finishReason', 'finish_reason');
    if (!this.candidatesSeen.has(index) && (parts.length > 0 || finishReason !== undefined)) {
      this.candidatesSeen.add(index);
      this.block();
    }
    for (const entry of parts) this.part(asObject(entry));
    if (typeof finishReason === 'string' && finishReason.length > 0) this.candidatesFinished.add(index);
    const grounding = asObject(field(candidate, 'groundingMetadata', 'grounding_metadata'));
    const queries = field(grounding, 'webSearchQueries', 'web_search_queries');
    if (Array.isArray(queries) && queries.length > 0) {
      this.groundingByCandidate.set(index, Math.max(this.groundingByCandidate.get(index) ?? 0, queries.length));
      this.serverToolRan = true; // search results are input that a running report may not hold yet
    }
  }

  private part(part: Json | undefined): void {
    if (!part) return;
    const call = asObject(field(part, 'functionCall', 'function_call'));
    const code = asObject(field(part, 'executableCode', 'executable_code'));
    const result = asObject(field(part, 'codeExecutionResult', 'code_execution_result'));
    const inline = asObject(field(part, 'inlineData', 'inline_data'));
    if (typeof part.text === 'string') {
      // Thought summaries (includeThoughts) stand for thinking billed in full.
      if (part.thought === true) this.hiddenReasoningSeen = true;
      this.text(part.text);
    } else if (call) {
      this.toolCall();
      this.text(call.name);
      if (call.args !== undefined) this.text(JSON.stringify(call.args));
    } else if (code) {
      this.text(code.code);
    } else if (result) {
      this.text(result.output);
    } else if (inline) {
      this.base64(inline.data);
    } else {
      return; // a thought signature alone, or an unknown part: nothing generated to count
    }
    this.delta();
  }
}
