// The hostile-input corpus: malformed or abusive requests across every route, metered and admin.
// test/admin/malformed-requests.spec.ts covers the admin bodies field by field; this corpus adds
// the metered routes, header abuse, path tricks and the same generic attacks on every route.
// Placeholders: {agent} (tenant A's agent, with a budget), {run} (one of its runs), {key} (an API
// key id), {admin} (tenant A's admin secret).

export interface HostileCase {
  route: string;
  name: string;
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** Leave out the tenant key (the default sends {admin} in x-api-key). */
  noKey?: boolean;
  /**
   * A body the service forwards unchanged by design (SPEC §4 rule 1: it prices the call, it does
   * not validate the provider's schema), so the provider answers it: the call must still be
   * settled or released, never a 5xx, and the invariant exact.
   */
  forwarded?: true;
}

const AGENT = { 'x-cynsta-agent-id': '{agent}' };
const chat = { model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };
const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Every route that takes a body, with what a well-formed call there needs besides the body. */
const BODY_ROUTES: { route: string; method: string; path: string; headers?: Record<string, string> }[] = [
  { route: 'POST /v1/agents', method: 'POST', path: '/v1/agents' },
  { route: 'PATCH /v1/agents/{id}', method: 'PATCH', path: '/v1/agents/{agent}' },
  { route: 'POST /v1/agents/{id}/budget', method: 'POST', path: '/v1/agents/{agent}/budget' },
  { route: 'POST /v1/agents/{id}/budget/topup', method: 'POST', path: '/v1/agents/{agent}/budget/topup' },
  { route: 'POST /v1/agents/{id}/runs', method: 'POST', path: '/v1/agents/{agent}/runs' },
  { route: 'POST /v1/api-keys', method: 'POST', path: '/v1/api-keys' },
  { route: 'PUT /v1/provider-keys/{p}', method: 'PUT', path: '/v1/provider-keys/openai' },
  { route: 'POST /v1/chat/completions', method: 'POST', path: '/v1/chat/completions', headers: AGENT },
  { route: 'POST /v1/responses', method: 'POST', path: '/v1/responses', headers: AGENT },
  { route: 'POST /v1/embeddings', method: 'POST', path: '/v1/embeddings', headers: AGENT },
  { route: 'POST /v1/messages', method: 'POST', path: '/v1/messages', headers: AGENT },
  { route: 'POST /v1beta/models/{m}:generateContent', method: 'POST', path: '/v1beta/models/gemini-3-pro-preview:generateContent', headers: AGENT },
  { route: 'POST /v1beta/models/{m}:streamGenerateContent', method: 'POST', path: '/v1beta/models/gemini-3-pro-preview:streamGenerateContent', headers: AGENT },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', method: 'POST', path: '/v1/agents/{agent}/runs/{run}/openai/chat/completions' },
];

/** Generic body attacks, each applied to every body route. */
const BODY_ATTACKS: Omit<HostileCase, 'route' | 'method' | 'path'>[] = [
  { name: 'truncated JSON', rawBody: '{"model":' },
  { name: 'trailing garbage', rawBody: '{} garbage' },
  { name: 'JSON null', rawBody: 'null' },
  { name: 'JSON array', rawBody: '[{"model":"gpt-4o-mini"}]' },
  { name: 'JSON number', rawBody: '1e999' },
  { name: 'text/plain content type', rawBody: '{}', headers: { 'content-type': 'text/plain' } },
  { name: 'no content type', rawBody: '{}', headers: { 'content-type': '' } },
  { name: '__proto__ pollution', rawBody: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
  { name: 'nesting 10,000 deep', rawBody: deep(10_000) },
  { name: 'body past CAP_MAX_BODY_BYTES', rawBody: JSON.stringify({ model: 'gpt-4o-mini', pad: 'x'.repeat(300_000) }) },
  { name: 'invalid UTF-8 escape (lone surrogate)', rawBody: '{"name":"\\ud800","model":"\\udfff"}' },
];

const METERED: HostileCase[] = [
  // Models and pricing
  { route: 'POST /v1/chat/completions', name: 'unknown model', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: 'gpt-unknown' } },
  { route: 'POST /v1/chat/completions', name: 'SQL in the model', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: "gpt-4o-mini'; DROP TABLE budgets;--" } },
  { route: 'POST /v1/chat/completions', name: 'model is a number', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: 4 } },
  { route: 'POST /v1/chat/completions', name: 'model is an object', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: { $ne: null } } },
  { route: 'POST /v1/chat/completions', name: 'model missing', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { messages: chat.messages } },
  { route: 'POST /v1/chat/completions', name: 'model with a NUL', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: 'gpt-4o-mini\u0000' } },
  { route: 'POST /v1/chat/completions', name: 'model of 100,000 characters', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: 'm'.repeat(100_000) } },
  { route: 'POST /v1/chat/completions', name: 'model with RTL override and emoji', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, model: 'gpt\u202e-4o-mini💸' } },
  // Output caps
  { route: 'POST /v1/chat/completions', name: 'max_tokens negative', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, max_tokens: -1 } },
  { route: 'POST /v1/chat/completions', name: 'max_tokens zero', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, max_tokens: 0 } },
  { route: 'POST /v1/chat/completions', name: 'max_tokens a string', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, max_tokens: '5' } },
  { route: 'POST /v1/chat/completions', name: 'max_tokens fractional', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, max_tokens: 2.5 } },
  { route: 'POST /v1/chat/completions', name: 'max_tokens past 2^53', method: 'POST', path: '/v1/chat/completions', headers: AGENT, rawBody: '{"model":"gpt-4o-mini","max_tokens":9007199254740993000,"messages":[{"role":"user","content":"hi"}]}' },
  { route: 'POST /v1/chat/completions', name: 'max_tokens 1e309 (infinite)', method: 'POST', path: '/v1/chat/completions', headers: AGENT, rawBody: '{"model":"gpt-4o-mini","max_tokens":1e309,"messages":[{"role":"user","content":"hi"}]}' },
  { route: 'POST /v1/chat/completions', name: 'max_completion_tokens an array', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, max_tokens: undefined, max_completion_tokens: [5] } },
  { route: 'POST /v1/responses', name: 'max_output_tokens negative', method: 'POST', path: '/v1/responses', headers: AGENT, body: { model: 'gpt-4o-mini', input: 'hi', max_output_tokens: -5 } },
  { route: 'POST /v1/messages', name: 'max_tokens huge', method: 'POST', path: '/v1/messages', headers: AGENT, body: { model: 'claude-opus-4-6', max_tokens: 1e300, messages: chat.messages } },
  { route: 'POST /v1beta/models/{m}:generateContent', name: 'maxOutputTokens a string', method: 'POST', path: '/v1beta/models/gemini-3-pro-preview:generateContent', headers: AGENT, body: { contents: [{ parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 'lots' } } },
  // Messages
  { route: 'POST /v1/chat/completions', name: 'messages a string', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, messages: 'hi' }, forwarded: true },
  { route: 'POST /v1/chat/completions', name: 'messages null', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, messages: null }, forwarded: true },
  { route: 'POST /v1/chat/completions', name: 'a message content an object', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, messages: [{ role: 'user', content: { evil: true } }] }, forwarded: true },
  { route: 'POST /v1/chat/completions', name: 'stream a string', method: 'POST', path: '/v1/chat/completions', headers: AGENT, body: { ...chat, stream: 'yes' }, forwarded: true },
  { route: 'POST /v1/messages', name: 'anthropic without messages', method: 'POST', path: '/v1/messages', headers: AGENT, body: { model: 'claude-opus-4-6', max_tokens: 5 }, forwarded: true },
  { route: 'POST /v1beta/models/{m}:generateContent', name: 'gemini contents a number', method: 'POST', path: '/v1beta/models/gemini-3-pro-preview:generateContent', headers: AGENT, body: { contents: 7 }, forwarded: true },
  { route: 'POST /v1beta/models/{m}:generateContent', name: 'unknown gemini model', method: 'POST', path: '/v1beta/models/gemini-unknown:generateContent', headers: AGENT, body: { contents: [{ parts: [{ text: 'hi' }] }] } },
  { route: 'POST /v1beta/models/{m}:generateContent', name: 'gemini model with path traversal', method: 'POST', path: '/v1beta/models/..%2F..%2Fv1%2Fagents:generateContent', headers: AGENT, body: { contents: [{ parts: [{ text: 'hi' }] }] } },
  { route: 'POST /v1beta/models/{m}:generateContent', name: 'unknown gemini action', method: 'POST', path: '/v1beta/models/gemini-3-pro-preview:deleteEverything', headers: AGENT, body: { contents: [{ parts: [{ text: 'hi' }] }] } },
  { route: 'POST /v1/embeddings', name: 'embeddings input an object', method: 'POST', path: '/v1/embeddings', headers: AGENT, body: { model: 'text-embedding-3-small', input: { a: 1 } }, forwarded: true },
  // The agent header
  { route: 'POST /v1/chat/completions', name: 'agent header missing', method: 'POST', path: '/v1/chat/completions', body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header empty', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': '' }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header not a UUID', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': 'not-a-uuid' }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header SQL', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': "' OR 1=1 --" }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header of an unknown UUID', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': '00000000-0000-4000-8000-000000000000' }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header 8 KB long', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': 'a'.repeat(8_000) }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'agent header duplicated', method: 'POST', path: '/v1/chat/completions', headers: { 'x-cynsta-agent-id': '{agent}, {agent}' }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'run header 10 KB long', method: 'POST', path: '/v1/chat/completions', headers: { ...AGENT, 'x-cynsta-run-id': 'r'.repeat(10_000) }, body: chat },
  { route: 'POST /v1/chat/completions', name: 'unknown provider header', method: 'POST', path: '/v1/chat/completions', headers: { ...AGENT, 'x-cynsta-provider': 'evilcorp' }, body: chat },
  // (On OpenAI chat CAP_OPENAI_MAX_COMPLETION_TOKENS would cap it first: the Anthropic route has no such cap.)
  { route: 'POST /v1/messages', name: 'clamp off with no budget to spare', method: 'POST', path: '/v1/messages', headers: { ...AGENT, 'x-cynsta-clamp': 'off' }, body: { model: 'claude-opus-4-6', max_tokens: 100_000_000, messages: [{ role: 'user', content: 'hi' }] } },
  // Explicit run routes
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'unknown provider', method: 'POST', path: '/v1/agents/{agent}/runs/{run}/evilcorp/chat/completions', body: chat },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'provider and op mismatch', method: 'POST', path: '/v1/agents/{agent}/runs/{run}/anthropic/chat/completions', body: chat },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'agent id SQL', method: 'POST', path: "/v1/agents/'%20OR%201=1--/runs/{run}/openai/chat/completions", body: chat },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'run id 2,000 characters', method: 'POST', path: `/v1/agents/{agent}/runs/${'r'.repeat(2_000)}/openai/chat/completions`, body: chat },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'encoded traversal in the run id', method: 'POST', path: '/v1/agents/{agent}/runs/..%2F..%2Ftenants/openai/chat/completions', body: chat },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'seed gemini body with a negative max_tokens', method: 'POST', path: '/v1/agents/{agent}/runs/{run}/gemini/generateContent', body: { model: 'gemini-3-pro-preview', prompt: 'hi', max_tokens: -10 } },
  { route: 'POST /v1/agents/{id}/runs/{run}/{provider}/{op}', name: 'seed gemini body with a prompt object', method: 'POST', path: '/v1/agents/{agent}/runs/{run}/gemini/generateContent', body: { model: 'gemini-3-pro-preview', prompt: { $gt: '' }, max_tokens: 10 }, forwarded: true },
];

const AUTH: HostileCase[] = [
  { route: 'GET /v1/agents', name: 'no key', method: 'GET', path: '/v1/agents', noKey: true },
  { route: 'GET /v1/agents', name: 'malformed key', method: 'GET', path: '/v1/agents', noKey: true, headers: { 'x-api-key': 'sk_cynsta_live_<script>' } },
  { route: 'GET /v1/agents', name: 'well-formed unknown key', method: 'GET', path: '/v1/agents', noKey: true, headers: { 'x-api-key': 'sk_cynsta_live_' + 'A'.repeat(32) } },
  { route: 'GET /v1/agents', name: 'key 16 KB long', method: 'GET', path: '/v1/agents', noKey: true, headers: { 'x-api-key': 'k'.repeat(16_000) } },
  { route: 'GET /v1/agents', name: 'Bearer with no token', method: 'GET', path: '/v1/agents', noKey: true, headers: { authorization: 'Bearer ' } },
  { route: 'GET /v1/agents', name: 'Basic auth', method: 'GET', path: '/v1/agents', noKey: true, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } },
  { route: 'GET /v1/agents', name: 'two keys in x-api-key', method: 'GET', path: '/v1/agents', noKey: true, headers: { 'x-api-key': '{admin}, {admin}' } },
  { route: 'GET /v1/agents', name: 'key with SQL', method: 'GET', path: '/v1/agents', noKey: true, headers: { 'x-api-key': "' OR '1'='1" } },
  { route: 'GET /v1/agents', name: 'key with a unicode look-alike prefix', method: 'GET', path: '/v1/agents', noKey: true, headers: { authorization: 'Bearer sk_cynsta_l\u00edve_' + 'A'.repeat(32) } },
  { route: 'POST /v1/chat/completions', name: 'metered call with no key', method: 'POST', path: '/v1/chat/completions', noKey: true, headers: AGENT, body: chat },
  { route: 'POST /v1/chat/completions', name: 'metered call with the key in x-goog-api-key, wrong', method: 'POST', path: '/v1/chat/completions', noKey: true, headers: { ...AGENT, 'x-goog-api-key': 'AIza-not-ours' }, body: chat },
  { route: 'POST /v1/messages', name: 'anthropic call with a provider key instead of ours', method: 'POST', path: '/v1/messages', noKey: true, headers: { ...AGENT, 'x-api-key': 'sk-ant-test' }, body: { model: 'claude-opus-4-6', max_tokens: 5, messages: chat.messages } },
  { route: 'POST /v1/tenants', name: 'tenant key on an operator route', method: 'POST', path: '/v1/tenants', body: { name: 'x' } },
  { route: 'GET /metrics', name: 'tenant key on /metrics', method: 'GET', path: '/metrics' },
];

const PATHS: HostileCase[] = [
  { route: 'GET /v1/agents/{id}', name: 'dot-dot segments', method: 'GET', path: '/v1/agents/../tenants' },
  { route: 'GET /v1/agents/{id}', name: 'encoded dot-dot', method: 'GET', path: '/v1/agents/%2e%2e%2f%2e%2e%2ftenants' },
  { route: 'GET /v1/agents/{id}', name: 'bad percent-encoding', method: 'GET', path: '/v1/agents/%zz' },
  { route: 'GET /v1/agents/{id}', name: 'NUL in the id', method: 'GET', path: '/v1/agents/%00' },
  { route: 'GET /v1/agents/{id}', name: 'id 5,000 characters', method: 'GET', path: `/v1/agents/${'a'.repeat(5_000)}` },
  { route: 'GET /v1/agents/{id}', name: 'unicode id', method: 'GET', path: '/v1/agents/%F0%9F%92%B8' },
  { route: 'GET /v1/agents/{id}', name: 'SQL id', method: 'GET', path: "/v1/agents/1'%20OR%20'1'='1" },
  { route: 'GET /v1/agents', name: 'limit negative', method: 'GET', path: '/v1/agents?limit=-1' },
  { route: 'GET /v1/agents', name: 'limit 1e309', method: 'GET', path: '/v1/agents?limit=1e309' },
  { route: 'GET /v1/agents', name: 'limit past the maximum', method: 'GET', path: '/v1/agents?limit=100000' },
  { route: 'GET /v1/agents', name: 'limit twice', method: 'GET', path: '/v1/agents?limit=1&limit=2' },
  { route: 'GET /v1/agents', name: 'cursor garbage', method: 'GET', path: '/v1/agents?cursor=%00%01garbage' },
  { route: 'GET /v1/agents', name: 'cursor of 10 KB', method: 'GET', path: `/v1/agents?cursor=${'Q'.repeat(10_000)}` },
  { route: 'GET /v1/agents/{id}/ledger', name: 'ledger limit not a number', method: 'GET', path: '/v1/agents/{agent}/ledger?limit=abc' },
  { route: 'GET /v1/agents/{id}/runs/{run}', name: 'run id with traversal', method: 'GET', path: '/v1/agents/{agent}/runs/..%2F..%2F' },
  { route: 'DELETE /v1/api-keys/{id}', name: 'key id not a UUID', method: 'DELETE', path: '/v1/api-keys/everything' },
  { route: 'DELETE /v1/api-keys/{id}', name: 'key id a wildcard', method: 'DELETE', path: '/v1/api-keys/*' },
  { route: 'PUT /v1/provider-keys/{p}', name: 'unknown provider', method: 'PUT', path: '/v1/provider-keys/evilcorp', body: { api_key: 'sk-x' } },
  { route: 'PUT /v1/provider-keys/{p}', name: 'provider with traversal', method: 'PUT', path: '/v1/provider-keys/..%2Fopenai', body: { api_key: 'sk-x' } },
  { route: 'DELETE /v1/agents', name: 'method the path does not have', method: 'DELETE', path: '/v1/agents' },
  { route: 'PUT /v1/chat/completions', name: 'PUT on a metered route', method: 'PUT', path: '/v1/chat/completions', headers: AGENT, body: chat },
  { route: 'GET /v1/chat/completions', name: 'GET on a metered route', method: 'GET', path: '/v1/chat/completions', headers: AGENT },
  { route: 'unknown', name: 'unknown route', method: 'POST', path: '/v2/chat/completions', headers: AGENT, body: chat },
  { route: 'unknown', name: 'double slashes', method: 'POST', path: '//v1//agents', body: {} },
];

const NUMBERS: HostileCase[] = [
  { route: 'POST /v1/agents/{id}/budget', name: 'hard limit 1e309', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents":1e309}' },
  { route: 'POST /v1/agents/{id}/budget', name: 'hard limit past bigint', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents":99999999999999999999999999}' },
  { route: 'POST /v1/agents/{id}/budget', name: 'hard limit NaN as a string', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 'NaN' } },
  { route: 'POST /v1/agents/{id}/budget', name: 'hard limit -0.5', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: -0.5 } },
  { route: 'POST /v1/agents/{id}/budget/topup', name: 'top-up of 2^63', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents":9223372036854775808}' },
  { route: 'POST /v1/agents/{id}/budget/topup', name: 'top-up in hex', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents":0x10}' },
  { route: 'POST /v1/agents/{id}/budget/topup', name: 'top-up duplicated key', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents":5,"amount_cents":-500}' },
  { route: 'POST /v1/api-keys', name: 'scopes with an unknown scope', method: 'POST', path: '/v1/api-keys', body: { name: 'x', scopes: ['root'] } },
  { route: 'POST /v1/api-keys', name: 'scopes 10,000 long', method: 'POST', path: '/v1/api-keys', body: { name: 'x', scopes: Array(10_000).fill('read').concat(['root']) } },
  { route: 'PUT /v1/provider-keys/{p}', name: 'provider key a number', method: 'PUT', path: '/v1/provider-keys/openai', body: { api_key: 12345 } },
  { route: 'PUT /v1/provider-keys/{p}', name: 'provider key with a newline (header injection)', method: 'PUT', path: '/v1/provider-keys/openai', body: { api_key: 'sk-x\r\nX-Evil: 1' } },
];

export function hostileCorpus(): HostileCase[] {
  const generic = BODY_ROUTES.flatMap((r) =>
    BODY_ATTACKS.map((a) => ({ ...a, route: r.route, method: r.method, path: r.path, headers: { ...r.headers, ...a.headers } })),
  );
  // Gemini names its model in the path: a body with a bad `model` field but no `contents` is a
  // well-priced call the provider refuses.
  for (const c of generic) if (c.route.includes(':') && c.name.startsWith('invalid UTF-8')) c.forwarded = true;
  return [...generic, ...METERED, ...AUTH, ...PATHS, ...NUMBERS];
}
