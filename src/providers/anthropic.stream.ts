// Usage of a streamed Anthropic Messages answer. The stream is `message_start` (a Message with
// empty content and the input / cache usage, output_tokens a small placeholder), then per content
// block `content_block_start`, `content_block_delta`s and `content_block_stop`, then one or more
// `message_delta` whose `usage` is cumulative (final `output_tokens`; input figures again when
// server tools added input), then `message_stop`; `ping` and `error` events may come between.
//
// Usage is merged with mergeAnthropicStreamUsage (each field's maximum), and is final once a
// `message_delta` has reported it with nothing streamed after. Streamed output counted: text,
// thinking, tool-input JSON deltas, and tool names. Thinking (summarised by Claude 4 models) and
// redacted thinking are billed in full but not shown, so they mark the stream's reasoning hidden.

import { anthropicUsageFromFields, mergeAnthropicStreamUsage } from './anthropic.usage';
import { asObject, StreamTrackerBase, type Json } from './stream-usage';

export class AnthropicStreamTracker extends StreamTrackerBase {
  /** The raw usage fields merged so far (mergeAnthropicStreamUsage form). */
  private merged: Json | undefined;

  protected handle(event: Json, eventName: string | undefined): void {
    const type = typeof event.type === 'string' ? event.type : eventName;
    switch (type) {
      case 'message_start': {
        const usage = asObject(asObject(event.message)?.usage);
        if (usage) this.merge(usage, false);
        break;
      }
      case 'content_block_start':
        this.blockStart(asObject(event.content_block));
        break;
      case 'content_block_delta':
        this.blockDelta(asObject(event.delta));
        break;
      case 'message_delta': {
        const usage = asObject(event.usage);
        if (usage) this.merge(usage, true);
        break;
      }
      default:
      // message_stop, content_block_stop, ping, error and future events carry no usage or output.
    }
  }

  private merge(usage: Json, final: boolean): void {
    this.merged = mergeAnthropicStreamUsage(this.merged ?? {}, usage);
    this.report(anthropicUsageFromFields(this.merged), final);
  }

  private blockStart(block: Json | undefined): void {
    this.block();
    if (!block) return;
    const type = typeof block.type === 'string' ? block.type : '';
    if (type === 'text') this.text(block.text);
    else if (type === 'thinking') {
      this.hiddenReasoningSeen = true;
      this.text(block.thinking);
    } else if (type === 'redacted_thinking') {
      this.hiddenReasoningSeen = true;
    } else if (type.endsWith('tool_use')) {
      // tool_use, server_tool_use (web search, web fetch, code execution), mcp_tool_use.
      this.toolCall();
      this.text(block.name);
      const input = asObject(block.input);
      if (input && Object.keys(input).length > 0) this.text(JSON.stringify(input));
      if (type !== 'tool_use') this.serverToolRan = true;
      if (type === 'server_tool_use' && block.name === 'web_search') this.observedCalls.webSearchCalls += 1;
    }
    // Tool results (web_search_tool_result, …) are input to the next step, not output.
  }

  private blockDelta(delta: Json | undefined): void {
    if (!delta) return;
    switch (delta.type) {
      case 'text_delta':
        this.text(delta.text);
        break;
      case 'thinking_delta':
        this.text(delta.thinking);
        break;
      case 'input_json_delta':
        this.text(delta.partial_json);
        break;
      default:
        // signature_delta and citations_delta carry no generated tokens.
        return;
    }
    this.delta();
  }
}
