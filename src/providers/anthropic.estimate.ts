// Input estimate for an Anthropic Messages request: `system`, `messages`, `tools` and remote
// MCP servers. No public tokenizer exists for Claude, so text is bounded by its UTF-8 bytes.

import { asArray, asObject, InputTally, type Json } from './input-tally';

export function estimateAnthropicMessages(tally: InputTally, body: Json): void {
  tally.add(tally.allowances.perRequestTokens);
  if (body.system !== undefined) {
    tally.add(tally.allowances.perMessageTokens);
    contentBlocks(tally, body.system);
  }
  for (const message of asArray(body.messages)) {
    tally.add(tally.allowances.perMessageTokens);
    const m = asObject(message);
    if (!m) {
      tally.json(message);
      continue;
    }
    tally.text(m.role);
    contentBlocks(tally, m.content);
  }
  tools(tally, asArray(body.tools));
  for (const _server of asArray(body.mcp_servers)) tally.add(tally.allowances.mcpServerTokens);
  if (asObject(body.tool_choice)) tally.json(body.tool_choice);
  // Structured outputs put the schema in the prompt.
  tally.json(asObject(body.output_format) ?? asObject(asObject(body.output_config)?.format));
}

function contentBlocks(tally: InputTally, content: unknown): void {
  if (typeof content === 'string') {
    tally.text(content);
    return;
  }
  for (const block of asArray(content)) contentBlock(tally, block);
}

function contentBlock(tally: InputTally, block: unknown): void {
  const b = asObject(block);
  switch (b?.type) {
    case 'text':
      tally.text(b.text);
      break;
    case 'image':
      tally.image();
      break;
    case 'document':
      tally.text(b.title);
      tally.text(b.context);
      documentSource(tally, asObject(b.source));
      break;
    case 'tool_use':
    case 'server_tool_use':
    case 'mcp_tool_use':
      tally.text(b.name);
      tally.json(b.input);
      break;
    case 'tool_result':
    case 'mcp_tool_result':
      contentBlocks(tally, b.content);
      break;
    case 'thinking':
      tally.text(b.thinking);
      break;
    case 'redacted_thinking':
      tally.text(b.data);
      break;
    case 'search_result':
      tally.text(b.source);
      tally.text(b.title);
      contentBlocks(tally, b.content);
      break;
    case 'container_upload':
      tally.referencedContent();
      break;
    default:
      // Web search/fetch results, code execution results and future block types: their JSON
      // (encrypted content included) is at least as long as what the model reads.
      tally.json(block);
  }
}

function documentSource(tally: InputTally, source: Json | undefined): void {
  switch (source?.type) {
    case 'base64':
      tally.media({ kind: 'inline', mimeType: String(source.media_type ?? ''), base64: String(source.data ?? '') });
      break;
    case 'text':
      tally.media({ kind: 'text', text: String(source.data ?? '') });
      break;
    case 'content':
      contentBlocks(tally, source.content);
      break;
    case 'url':
      // URL documents are PDFs.
      tally.media({ kind: 'reference', mimeType: 'application/pdf' });
      break;
    default:
      tally.referencedContent();
  }
}

/**
 * Custom tools are their JSON plus framing. Anthropic-defined tools (`type` like
 * `computer_20250124`, `web_search_20250305`) carry system prompts we cannot see; web search also
 * reserves its searches (max_uses, when given) and the results they feed back as input.
 */
function tools(tally: InputTally, declared: unknown[]): void {
  if (declared.length === 0) return;
  tally.add(tally.allowances.toolsPreambleTokens);
  for (const tool of declared) {
    const t = asObject(tool);
    tally.add(tally.allowances.perToolTokens);
    tally.json(tool);
    const type = typeof t?.type === 'string' ? t.type : 'custom';
    if (type === 'custom') continue;
    tally.add(tally.allowances.builtInToolTokens);
    if (type.startsWith('web_search_')) tally.hostedToolCalls('webSearchCalls', tally.callsAllowed(t?.max_uses));
    if (type.startsWith('web_fetch_')) {
      const perFetch = typeof t?.max_content_tokens === 'number' ? t.max_content_tokens : tally.allowances.searchResultTokensPerCall;
      tally.add(tally.callsAllowed(t?.max_uses) * perFetch);
    }
  }
}
