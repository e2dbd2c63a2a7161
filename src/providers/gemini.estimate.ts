// Input estimate for a Gemini generateContent / streamGenerateContent request (`contents`,
// `systemInstruction`, `tools`, `cachedContent`) and for the seed's simplified
// `{model, prompt, max_tokens}` body. Gemini's tokenizer is not public: text is bounded by bytes.

import { asArray, asObject, InputTally, type Json } from './input-tally';

// The REST API takes camelCase and also accepts snake_case field names.
const field = (obj: Json | undefined, camel: string, snake: string): unknown => obj?.[camel] ?? obj?.[snake];

export function isSeedGeminiBody(body: Json): boolean {
  return typeof body.prompt === 'string' && body.contents === undefined;
}

export function estimateGeminiGenerate(tally: InputTally, body: Json): void {
  tally.add(tally.allowances.perRequestTokens);
  if (isSeedGeminiBody(body)) {
    tally.add(tally.allowances.perMessageTokens);
    tally.text(body.prompt);
    return;
  }
  const system = field(body, 'systemInstruction', 'system_instruction');
  if (system !== undefined) {
    tally.add(tally.allowances.perMessageTokens);
    content(tally, system);
  }
  const contents = body.contents;
  if (typeof contents === 'string' || asObject(contents)) {
    tally.add(tally.allowances.perMessageTokens);
    content(tally, contents);
  }
  for (const entry of asArray(contents)) {
    tally.add(tally.allowances.perMessageTokens);
    content(tally, entry);
  }
  if (typeof field(body, 'cachedContent', 'cached_content') === 'string') tally.referencedContent();
  tools(tally, asArray(body.tools));
  const config = asObject(field(body, 'generationConfig', 'generation_config'));
  tally.json(field(config, 'responseSchema', 'response_schema'));
  tally.json(field(config, 'responseJsonSchema', 'response_json_schema'));
}

function content(tally: InputTally, value: unknown): void {
  if (typeof value === 'string') {
    tally.text(value);
    return;
  }
  const c = asObject(value);
  if (!c) {
    tally.json(value);
    return;
  }
  tally.text(c.role);
  for (const part of asArray(c.parts)) contentPart(tally, part);
}

function contentPart(tally: InputTally, part: unknown): void {
  const p = asObject(part);
  if (!p) {
    tally.json(part);
    return;
  }
  // Thought signatures are opaque, but counting their bytes can only over-estimate.
  tally.text(field(p, 'thoughtSignature', 'thought_signature'));
  const inline = asObject(field(p, 'inlineData', 'inline_data'));
  const file = asObject(field(p, 'fileData', 'file_data'));
  const call = asObject(field(p, 'functionCall', 'function_call'));
  const response = asObject(field(p, 'functionResponse', 'function_response'));
  const code = asObject(field(p, 'executableCode', 'executable_code'));
  const result = asObject(field(p, 'codeExecutionResult', 'code_execution_result'));
  if (typeof p.text === 'string') tally.text(p.text);
  else if (inline) {
    tally.media({ kind: 'inline', mimeType: String(field(inline, 'mimeType', 'mime_type') ?? ''), base64: String(inline.data ?? '') });
  } else if (file) {
    const mimeType = String(field(file, 'mimeType', 'mime_type') ?? '');
    // An uploaded image is still one image; an uploaded PDF, audio or video is unknown in size.
    tally.media({ kind: 'reference', mimeType });
  } else if (call) {
    tally.text(call.name);
    tally.json(call.args);
  } else if (response) {
    tally.text(response.name);
    tally.json(response.response);
    for (const nested of asArray(response.parts)) contentPart(tally, nested);
  } else if (code) {
    tally.text(code.code);
  } else if (result) {
    tally.text(result.output);
  } else if (!('thoughtSignature' in p || 'thought_signature' in p || 'videoMetadata' in p || 'video_metadata' in p)) {
    tally.json(part);
  }
}

const GROUNDING_TOOLS = ['googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval'];
const FETCHING_TOOLS = ['urlContext', 'url_context'];

/**
 * Function declarations are their JSON plus framing; Google's built-in tools carry prompts we
 * cannot see. Grounding reserves its search queries; fetched URLs come back as input tokens.
 */
function tools(tally: InputTally, declared: unknown[]): void {
  if (declared.length === 0) return;
  tally.add(tally.allowances.toolsPreambleTokens);
  for (const tool of declared) {
    const t = asObject(tool) ?? {};
    const declarations = asArray(field(t, 'functionDeclarations', 'function_declarations'));
    for (const declaration of declarations) {
      tally.add(tally.allowances.perToolTokens);
      tally.json(declaration);
    }
    const builtIns = Object.keys(t).filter((k) => k !== 'functionDeclarations' && k !== 'function_declarations');
    for (const name of builtIns) {
      tally.add(tally.allowances.builtInToolTokens);
      tally.json(t[name]);
      if (GROUNDING_TOOLS.includes(name)) tally.hostedToolCalls('groundingQueries', tally.callsAllowed(undefined));
      if (FETCHING_TOOLS.includes(name)) tally.add(tally.allowances.toolCallsWhenUnbounded * tally.allowances.searchResultTokensPerCall);
    }
  }
}
