// Input estimates for OpenAI-format request bodies (OpenAI and Grok): Chat Completions
// `messages`, Responses `instructions`/`input`, Embeddings `input`. Text goes through the model's
// tokenizer where we have it; everything the tokenizer cannot see gets an allowance.

import { asArray, asObject, InputTally, type Json } from './input-tally';
import { mediaFromUrl, type MediaSource } from './media-allowance';

export function estimateOpenAiChat(tally: InputTally, body: Json): void {
  tally.add(tally.allowances.perRequestTokens);
  for (const message of asArray(body.messages)) {
    const m = asObject(message);
    tally.add(tally.allowances.perMessageTokens);
    if (!m) {
      tally.json(message);
      continue;
    }
    tally.text(m.role);
    tally.text(m.name);
    tally.text(m.tool_call_id);
    tally.text(m.refusal);
    chatContent(tally, m.content);
    for (const call of asArray(m.tool_calls)) tally.json(asObject(call)?.function ?? asObject(call)?.custom ?? call);
    tally.json(m.function_call);
    // An earlier audio answer referenced by id is re-read as audio input of unknown length.
    if (asObject(m.audio)) tally.referencedContent();
  }
  declaredTools(tally, [...asArray(body.tools), ...asArray(body.functions)]);
  if (asObject(body.response_format)?.type === 'json_schema') tally.json(body.response_format);
  if (asObject(body.tool_choice)) tally.json(body.tool_choice);
  // Search-preview chat models search once per request and read the results as input.
  if (body.web_search_options !== undefined) tally.hostedToolCalls('webSearchCalls', 1);
}

export function estimateOpenAiResponses(tally: InputTally, body: Json): void {
  tally.add(tally.allowances.perRequestTokens);
  if (body.instructions !== undefined) {
    tally.add(tally.allowances.perMessageTokens);
    tally.text(body.instructions);
  }
  if (typeof body.input === 'string') {
    tally.add(tally.allowances.perMessageTokens);
    tally.text(body.input);
  }
  for (const item of asArray(body.input)) responsesItem(tally, item);
  // Earlier turns stored by OpenAI are billed as input, at a size we cannot see.
  if (body.previous_response_id || body.conversation) tally.referencedContent();
  const prompt = asObject(body.prompt);
  if (prompt) {
    tally.referencedContent();
    tally.json(prompt.variables);
  }
  declaredTools(tally, asArray(body.tools), body.max_tool_calls);
  const format = asObject(asObject(body.text)?.format);
  if (format?.type === 'json_schema') tally.json(format);
  if (asObject(body.tool_choice)) tally.json(body.tool_choice);
}

/** Embeddings bill exactly the input's tokens, with no chat framing. */
export function estimateOpenAiEmbeddings(tally: InputTally, body: Json): void {
  const input = body.input;
  if (typeof input === 'string') {
    tally.text(input);
    return;
  }
  for (const entry of asArray(input)) {
    if (typeof entry === 'string') tally.text(entry);
    else if (typeof entry === 'number') tally.add(1); // a pre-tokenised input: one token per id
    else if (Array.isArray(entry)) tally.add(entry.length);
    else tally.json(entry);
  }
}

function chatContent(tally: InputTally, content: unknown): void {
  if (typeof content === 'string' || content === null || content === undefined) {
    tally.text(content);
    return;
  }
  for (const part of asArray(content)) {
    const p = asObject(part);
    switch (p?.type) {
      case 'text':
        tally.text(p.text);
        break;
      case 'refusal':
        tally.text(p.refusal);
        break;
      case 'image_url':
        tally.image();
        break;
      case 'input_audio': {
        const audio = asObject(p.input_audio);
        tally.media({ kind: 'inline', mimeType: `audio/${String(audio?.format ?? '')}`, base64: String(audio?.data ?? '') });
        break;
      }
      case 'file': {
        const file = asObject(p.file);
        tally.media(fileSource(file?.file_data, file?.filename));
        break;
      }
      default:
        tally.json(part);
    }
  }
}

function responsesItem(tally: InputTally, item: unknown): void {
  const i = asObject(item);
  tally.add(tally.allowances.perMessageTokens);
  if (!i) {
    tally.json(item);
    return;
  }
  const type = i.type ?? (i.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message':
      tally.text(i.role);
      if (typeof i.content === 'string') tally.text(i.content);
      else for (const part of asArray(i.content)) responsesContentPart(tally, part);
      break;
    case 'function_call':
    case 'custom_tool_call':
      tally.text(i.name);
      tally.text(i.arguments ?? i.input);
      break;
    case 'function_call_output':
    case 'custom_tool_call_output':
      if (typeof i.output === 'string') tally.text(i.output);
      else for (const part of asArray(i.output)) responsesContentPart(tally, part);
      break;
    case 'reasoning':
      // Encrypted reasoning is re-read as input; its ciphertext is longer than its plaintext.
      tally.text(i.encrypted_content);
      for (const s of asArray(i.summary)) tally.text(asObject(s)?.text);
      break;
    case 'item_reference':
      tally.referencedContent();
      break;
    case 'computer_call_output':
      tally.image();
      break;
    default:
      tally.json(item);
  }
}

function responsesContentPart(tally: InputTally, part: unknown): void {
  const p = asObject(part);
  switch (p?.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      tally.text(p.text);
      break;
    case 'refusal':
      tally.text(p.refusal);
      break;
    case 'input_image':
      tally.image();
      break;
    case 'input_file':
      tally.media(p.file_data !== undefined ? fileSource(p.file_data, p.filename) : { kind: 'reference', mimeType: mimeFromName(p.filename ?? p.file_url) });
      break;
    case 'input_audio': {
      const audio = asObject(p.input_audio) ?? p;
      tally.media({ kind: 'inline', mimeType: `audio/${String(audio.format ?? '')}`, base64: String(audio.data ?? '') });
      break;
    }
    default:
      tally.json(part);
  }
}

/** `file_data` is a data URL (or bare base64); without it the file is only referenced by id. */
function fileSource(fileData: unknown, filename: unknown): MediaSource {
  if (typeof fileData !== 'string') return { kind: 'reference', mimeType: mimeFromName(filename) };
  const source = mediaFromUrl(fileData);
  if (source.kind === 'inline') return source;
  return { kind: 'inline', mimeType: mimeFromName(filename), base64: fileData };
}

function mimeFromName(name: unknown): string | undefined {
  return typeof name === 'string' && /\.pdf(\?|$)/i.test(name) ? 'application/pdf' : undefined;
}

const FUNCTION_TOOL_TYPES = new Set(['function', 'custom']);

/**
 * Function tools count as their JSON plus framing. Hosted tools have definitions we cannot see;
 * priced ones (web and file search) also reserve their calls and the results they feed back.
 */
function declaredTools(tally: InputTally, tools: unknown[], maxToolCalls?: unknown): void {
  if (tools.length === 0) return;
  tally.add(tally.allowances.toolsPreambleTokens);
  for (const tool of tools) {
    const t = asObject(tool);
    const type = typeof t?.type === 'string' ? t.type : 'function';
    tally.add(tally.allowances.perToolTokens);
    tally.json(tool);
    if (FUNCTION_TOOL_TYPES.has(type)) continue;
    if (type === 'mcp') {
      tally.add(tally.allowances.mcpServerTokens);
      continue;
    }
    tally.add(tally.allowances.builtInToolTokens);
    if (type.startsWith('web_search')) tally.hostedToolCalls('webSearchCalls', tally.callsAllowed(maxToolCalls));
    if (type === 'file_search') tally.hostedToolCalls('fileSearchCalls', tally.callsAllowed(maxToolCalls));
  }
}
