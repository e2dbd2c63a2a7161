// SPEC §8: "No request, however malformed, gets a 500 or a stack trace: bad JSON, wrong types,
// oversize bodies (413 past CAP_MAX_BODY_BYTES), unknown routes, huge numbers, negative amounts and
// unknown fields each get a clear 4xx and change nothing."
//
// One table per app. Each row is sent over real HTTP; the answer must have the exact status (and
// code, when given), the SPEC §8 error body, no internals, and every ledger table must hash the
// same before and after.
//
// Placeholders, filled in once the fixtures exist: {agent} (an agent with a budget), {bare} (an
// agent without a budget), {deleted} (a deleted agent), {run} (a run of {agent}), {key} (an API
// key id), {none} (a well-formed UUID of nothing), and groups: {group} (with a budget, a member
// agent and a child group {childGroup}), {bareGroup} (no budget), {deepest} (the 8th of a chain)
// and {deletedGroup}; hosted mode adds {admin}, {read}, {capuse} (secrets of tenant A's keys),
// {otherAgent}, {otherKey}, {otherGroup} (tenant B's) and {operator}.
// A row with rawBody and no content-type is sent as application/json.
import { randomUUID } from 'node:crypto';
import { expectErrorBody, snapshotDatabase } from '../support/admin-assertions';
import { startTestApp, TestApp } from '../support/test-app';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

const cursor = (parts: unknown[]) => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const TEXT = { 'content-type': 'text/plain' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const XML = { 'content-type': 'application/xml' };
const LONG_NAME = 'n'.repeat(201);
const SQLI = "'%20OR%20'1'%3D'1";
const TRAVERSAL = '..%2F..%2F..%2Fetc%2Fpasswd';
const YEAR_ZERO = cursor(['0000-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000']);
const YEAR_ZERO_RUN = cursor(['0000-01-01T00:00:00Z', 'run-1']);
const SEQ_PAST_BIGINT = cursor(['9999999999999999999']);
const WRONG_SHAPE = cursor(['not-a-date']);

// prettier-ignore
const SIDECAR_CASES: Case[] = [
  // POST /v1/agents
  { name: 'truncated JSON', method: 'POST', path: '/v1/agents', rawBody: '{"name":', status: 400, code: 'invalid_json' },
  { name: 'trailing garbage after JSON', method: 'POST', path: '/v1/agents', rawBody: '{"name":"a"} x', status: 400, code: 'invalid_json' },
  { name: 'bare JSON string', method: 'POST', path: '/v1/agents', rawBody: '"agent"', status: 400, code: 'validation_failed' },
  { name: 'JSON array', method: 'POST', path: '/v1/agents', rawBody: '[]', status: 400, code: 'validation_failed' },
  { name: 'JSON null', method: 'POST', path: '/v1/agents', rawBody: 'null', status: 400, code: 'validation_failed' },
  // (An empty body with a JSON content-type is `{}`, as the seed CLI sends it: test/seed/seed-clients.spec.ts.)
  { name: 'text/plain body', method: 'POST', path: '/v1/agents', rawBody: '{}', headers: TEXT, status: 415, code: 'unsupported_media_type' },
  { name: 'form-urlencoded body', method: 'POST', path: '/v1/agents', rawBody: 'name=a', headers: FORM, status: 415, code: 'unsupported_media_type' },
  { name: 'XML body', method: 'POST', path: '/v1/agents', rawBody: '<agent/>', headers: XML, status: 415, code: 'unsupported_media_type' },
  { name: 'name is a number', method: 'POST', path: '/v1/agents', body: { name: 42 }, status: 400, code: 'validation_failed' },
  { name: 'name is a boolean', method: 'POST', path: '/v1/agents', body: { name: true }, status: 400, code: 'validation_failed' },
  { name: 'name is an object', method: 'POST', path: '/v1/agents', body: { name: { first: 'a' } }, status: 400, code: 'validation_failed' },
  { name: 'name is an array', method: 'POST', path: '/v1/agents', body: { name: ['a'] }, status: 400, code: 'validation_failed' },
  { name: 'name with a NUL byte', method: 'POST', path: '/v1/agents', body: { name: 'a\u0000b' }, status: 400, code: 'validation_failed' },
  { name: 'name with a newline', method: 'POST', path: '/v1/agents', body: { name: 'a\nb' }, status: 400, code: 'validation_failed' },
  { name: 'name with BEL and DEL', method: 'POST', path: '/v1/agents', body: { name: 'a\u0007\u007fb' }, status: 400, code: 'validation_failed' },
  { name: 'name with a C1 control character (U+0085)', method: 'POST', path: '/v1/agents', body: { name: 'a\u0085b' }, status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'POST', path: '/v1/agents', body: { name: LONG_NAME }, status: 400, code: 'validation_failed' },
  { name: 'name of spaces only', method: 'POST', path: '/v1/agents', body: { name: '   ' }, status: 400, code: 'validation_failed' },
  { name: 'empty name', method: 'POST', path: '/v1/agents', body: { name: '' }, status: 400, code: 'validation_failed' },
  { name: 'unknown concurrency', method: 'POST', path: '/v1/agents', body: { concurrency: 'both' }, status: 400, code: 'validation_failed' },
  { name: 'concurrency null', method: 'POST', path: '/v1/agents', body: { concurrency: null }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/agents', body: { name: 'a', owner: 'me' }, status: 400, code: 'validation_failed' },
  { name: '__proto__ key', method: 'POST', path: '/v1/agents', rawBody: '{"__proto__":{"admin":true}}', status: 400 },
  { name: 'Idempotency-Key with a space', method: 'POST', path: '/v1/agents', body: {}, headers: { 'idempotency-key': 'two words' }, status: 400, code: 'validation_failed' },
  { name: 'invalid body under an Idempotency-Key keeps no key', method: 'POST', path: '/v1/agents', body: { name: 7 }, headers: { 'idempotency-key': 'malformed-1' }, status: 400, code: 'validation_failed' },
  { name: 'deeply nested JSON under an Idempotency-Key', method: 'POST', path: '/v1/agents', rawBody: `{"name":${deepJson(20000)}}`, headers: { 'idempotency-key': 'malformed-deep' }, status: 400, code: 'validation_failed' },

  // GET /v1/agents
  { name: 'limit=0', method: 'GET', path: '/v1/agents?limit=0', status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/agents?limit=501', status: 400, code: 'validation_failed' },
  { name: 'limit=abc', method: 'GET', path: '/v1/agents?limit=abc', status: 400, code: 'validation_failed' },
  { name: 'limit=0x10 (hex)', method: 'GET', path: '/v1/agents?limit=0x10', status: 400, code: 'validation_failed' },
  { name: 'limit=1e1 (exponent)', method: 'GET', path: '/v1/agents?limit=1e1', status: 400, code: 'validation_failed' },
  { name: 'limit=007 (leading zeros)', method: 'GET', path: '/v1/agents?limit=007', status: 400, code: 'validation_failed' },
  { name: 'limit=-1', method: 'GET', path: '/v1/agents?limit=-1', status: 400, code: 'validation_failed' },
  { name: 'limit=1.5', method: 'GET', path: '/v1/agents?limit=1.5', status: 400, code: 'validation_failed' },
  { name: 'limit given twice', method: 'GET', path: '/v1/agents?limit=1&limit=2', status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/agents?cursor=garbage', status: 400, code: 'invalid_cursor' },
  { name: 'empty cursor', method: 'GET', path: '/v1/agents?cursor=', status: 400, code: 'validation_failed' },
  { name: 'cursor of the wrong shape', method: 'GET', path: `/v1/agents?cursor=${WRONG_SHAPE}`, status: 400, code: 'invalid_cursor' },
  { name: 'cursor dated year 0000', method: 'GET', path: `/v1/agents?cursor=${YEAR_ZERO}`, status: 400, code: 'invalid_cursor' },
  { name: 'cursor over 512 characters', method: 'GET', path: `/v1/agents?cursor=${'a'.repeat(600)}`, status: 400, code: 'validation_failed' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/agents?owner=me', status: 400, code: 'validation_failed' },
  { name: 'include_deleted=maybe', method: 'GET', path: '/v1/agents?include_deleted=maybe', status: 400, code: 'validation_failed' },

  // GET /v1/agents/{id}
  { name: 'id of no agent (not a UUID)', method: 'GET', path: '/v1/agents/not-a-uuid', status: 404, code: 'agent_not_found' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/agents/{none}', status: 404, code: 'agent_not_found' },
  { name: 'SQL-injection-like id', method: 'GET', path: `/v1/agents/${SQLI}`, status: 404, code: 'agent_not_found' },
  { name: 'path traversal id', method: 'GET', path: `/v1/agents/${TRAVERSAL}`, status: 404, code: 'agent_not_found' },
  { name: 'NUL byte id', method: 'GET', path: '/v1/agents/abc%00def', status: 404, code: 'agent_not_found' },
  { name: 'id of 150 characters', method: 'GET', path: `/v1/agents/${'a'.repeat(150)}`, status: 404, code: 'agent_not_found' },
  { name: 'invalid percent-encoding in the id', method: 'GET', path: '/v1/agents/%E0%A4%A', status: 400 },

  // PATCH /v1/agents/{id}
  { name: 'empty object', method: 'PATCH', path: '/v1/agents/{agent}', body: {}, status: 400, code: 'validation_failed' },
  { name: 'truncated JSON', method: 'PATCH', path: '/v1/agents/{agent}', rawBody: '{"name": "x"', status: 400, code: 'invalid_json' },
  { name: 'JSON array', method: 'PATCH', path: '/v1/agents/{agent}', rawBody: '[{"name":"x"}]', status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'PATCH', path: '/v1/agents/{agent}', body: { name: LONG_NAME }, status: 400, code: 'validation_failed' },
  { name: 'concurrency is a number', method: 'PATCH', path: '/v1/agents/{agent}', body: { concurrency: 5 }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'PATCH', path: '/v1/agents/{agent}', body: { name: 'x', deleted_at: null }, status: 400, code: 'validation_failed' },
  { name: 'text/plain body', method: 'PATCH', path: '/v1/agents/{agent}', rawBody: '{"name":"x"}', headers: TEXT, status: 415, code: 'unsupported_media_type' },
  { name: 'UUID of nothing', method: 'PATCH', path: '/v1/agents/{none}', body: { name: 'x' }, status: 404, code: 'agent_not_found' },
  { name: 'deleted agent', method: 'PATCH', path: '/v1/agents/{deleted}', body: { name: 'x' }, status: 404, code: 'agent_not_found' },

  // DELETE /v1/agents/{id}
  { name: 'id of no agent (not a UUID)', method: 'DELETE', path: '/v1/agents/not-a-uuid', status: 404, code: 'agent_not_found' },
  { name: 'UUID of nothing', method: 'DELETE', path: '/v1/agents/{none}', status: 404, code: 'agent_not_found' },
  { name: 'agent already deleted', method: 'DELETE', path: '/v1/agents/{deleted}', status: 404, code: 'agent_not_found' },
  { name: 'SQL-injection-like id', method: 'DELETE', path: `/v1/agents/${SQLI}`, status: 404, code: 'agent_not_found' },

  // POST /v1/agents/{id}/budget
  { name: 'hard_limit_cents as a string', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: '100' }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents as a float', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 10.5 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents as a boolean', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: true }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents as an object', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: { cents: 1 } }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents as an array', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: [100] }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents null', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: null }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents zero', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 0 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents negative', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: -500 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents 1e400', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents": 1e400}', status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents 9007199254740993', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents": 9007199254740993}', status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents 1e12+1', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 1e12 + 1 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents NaN literal', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents": NaN}', status: 400, code: 'invalid_json' },
  { name: 'hard_limit_cents hex literal', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '{"hard_limit_cents": 0x10}', status: 400, code: 'invalid_json' },
  { name: 'missing hard_limit_cents', method: 'POST', path: '/v1/agents/{agent}/budget', body: { topup_cents: 5 }, status: 400, code: 'validation_failed' },
  { name: 'topup_cents negative', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 100, topup_cents: -1 }, status: 400, code: 'validation_failed' },
  { name: 'topup_cents as a float', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 100, topup_cents: 0.5 }, status: 400, code: 'validation_failed' },
  { name: 'topup_cents 1e12+1', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 100, topup_cents: 1e12 + 1 }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 100, remaining_cents: 100 }, status: 400, code: 'validation_failed' },
  { name: 'bare number body', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '100', status: 400, code: 'validation_failed' },
  { name: 'empty body with JSON content-type (read as {})', method: 'POST', path: '/v1/agents/{agent}/budget', rawBody: '', status: 400, code: 'validation_failed' },
  // (A budget set on a well-formed id of nothing makes the agent, as the seed's store did: test/admin/seed-ids.spec.ts.)
  { name: 'id of characters agent ids cannot have', method: 'POST', path: '/v1/agents/no%20pe/budget', body: { hard_limit_cents: 100 }, status: 404, code: 'agent_not_found' },
  { name: 'deleted agent', method: 'POST', path: '/v1/agents/{deleted}/budget', body: { hard_limit_cents: 100 }, status: 404, code: 'agent_not_found' },

  // GET /v1/agents/{id}/budget
  { name: 'agent without a budget', method: 'GET', path: '/v1/agents/{bare}/budget', status: 404, code: 'budget_not_found' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/agents/{none}/budget', status: 404, code: 'agent_not_found' },
  { name: 'path traversal id', method: 'GET', path: `/v1/agents/${TRAVERSAL}/budget`, status: 404, code: 'agent_not_found' },

  // POST /v1/agents/{id}/budget/topup
  { name: 'amount_cents zero', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: 0 }, status: 400, code: 'validation_failed' },
  { name: 'amount_cents negative', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: -100 }, status: 400, code: 'validation_failed' },
  { name: 'amount_cents as a string', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: '5' }, status: 400, code: 'validation_failed' },
  { name: 'amount_cents as a float', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: 0.01 }, status: 400, code: 'validation_failed' },
  { name: 'amount_cents 1e400', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents": 1e400}', status: 400, code: 'validation_failed' },
  { name: 'amount_cents -1e400', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents": -1e400}', status: 400, code: 'validation_failed' },
  { name: 'amount_cents 9007199254740993', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents": 9007199254740993}', status: 400, code: 'validation_failed' },
  { name: 'amount_cents 1e12+1', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: 1e12 + 1 }, status: 400, code: 'validation_failed' },
  { name: 'missing amount_cents', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: {}, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: 1, note: 'x' }, status: 400, code: 'validation_failed' },
  { name: 'duplicate key, the last one a string', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents": 1, "amount_cents": "x"}', status: 400, code: 'validation_failed' },
  { name: 'text/plain body', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents":1}', headers: TEXT, status: 415, code: 'unsupported_media_type' },
  { name: 'agent without a budget', method: 'POST', path: '/v1/agents/{bare}/budget/topup', body: { amount_cents: 1 }, status: 404, code: 'budget_not_found' },
  { name: 'UUID of nothing', method: 'POST', path: '/v1/agents/{none}/budget/topup', body: { amount_cents: 1 }, status: 404, code: 'agent_not_found' },
  { name: 'deleted agent', method: 'POST', path: '/v1/agents/{deleted}/budget/topup', body: { amount_cents: 1 }, status: 404, code: 'agent_not_found' },

  // POST /v1/agents/{id}/runs
  { name: 'unknown field', method: 'POST', path: '/v1/agents/{agent}/runs', body: { run_id: 'mine' }, status: 400, code: 'validation_failed' },
  { name: 'JSON array', method: 'POST', path: '/v1/agents/{agent}/runs', rawBody: '[]', status: 400, code: 'validation_failed' },
  { name: 'JSON null', method: 'POST', path: '/v1/agents/{agent}/runs', rawBody: 'null', status: 400, code: 'validation_failed' },
  { name: 'truncated JSON', method: 'POST', path: '/v1/agents/{agent}/runs', rawBody: '{', status: 400, code: 'invalid_json' },
  { name: 'UUID of nothing', method: 'POST', path: '/v1/agents/{none}/runs', body: {}, status: 404, code: 'agent_not_found' },
  { name: 'deleted agent', method: 'POST', path: '/v1/agents/{deleted}/runs', body: {}, status: 404, code: 'agent_not_found' },

  // GET /v1/agents/{id}/runs
  { name: 'limit=0', method: 'GET', path: '/v1/agents/{agent}/runs?limit=0', status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/agents/{agent}/runs?limit=501', status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/agents/{agent}/runs?cursor=garbage', status: 400, code: 'invalid_cursor' },
  { name: 'cursor dated year 0000', method: 'GET', path: `/v1/agents/{agent}/runs?cursor=${YEAR_ZERO_RUN}`, status: 400, code: 'invalid_cursor' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/agents/{agent}/runs?status=active', status: 400, code: 'validation_failed' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/agents/{none}/runs', status: 404, code: 'agent_not_found' },

  // GET /v1/agents/{id}/runs/{run_id}
  { name: 'run of nothing', method: 'GET', path: '/v1/agents/{agent}/runs/no-such-run', status: 404, code: 'run_not_found' },
  { name: 'SQL-injection-like run id', method: 'GET', path: `/v1/agents/{agent}/runs/${SQLI}`, status: 404, code: 'run_not_found' },
  { name: 'path traversal run id', method: 'GET', path: `/v1/agents/{agent}/runs/${TRAVERSAL}`, status: 404, code: 'run_not_found' },
  { name: 'NUL byte run id', method: 'GET', path: '/v1/agents/{agent}/runs/%00', status: 404, code: 'run_not_found' },
  { name: 'run id of 300 characters', method: 'GET', path: `/v1/agents/{agent}/runs/${'r'.repeat(300)}`, status: 404, code: 'run_not_found' },
  { name: "another agent's run", method: 'GET', path: '/v1/agents/{bare}/runs/{run}', status: 404, code: 'run_not_found' },
  { name: 'UUID of nothing for the agent', method: 'GET', path: '/v1/agents/{none}/runs/{run}', status: 404, code: 'agent_not_found' },

  // GET /v1/agents/{id}/ledger
  { name: 'limit=0', method: 'GET', path: '/v1/agents/{agent}/ledger?limit=0', status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/agents/{agent}/ledger?limit=501', status: 400, code: 'validation_failed' },
  { name: 'limit=abc', method: 'GET', path: '/v1/agents/{agent}/ledger?limit=abc', status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/agents/{agent}/ledger?cursor=garbage', status: 400, code: 'invalid_cursor' },
  { name: 'cursor past the bigint range', method: 'GET', path: `/v1/agents/{agent}/ledger?cursor=${SEQ_PAST_BIGINT}`, status: 400, code: 'invalid_cursor' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/agents/{agent}/ledger?kind=topup', status: 400, code: 'validation_failed' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/agents/{none}/ledger', status: 404, code: 'agent_not_found' },

  // group_id on agents (SPEC §10)
  { name: 'group_id that is not a UUID', method: 'POST', path: '/v1/agents', body: { name: 'a', group_id: 'team-1' }, status: 400, code: 'validation_failed' },
  { name: 'group_id as a number', method: 'POST', path: '/v1/agents', body: { group_id: 7 }, status: 400, code: 'validation_failed' },
  { name: 'group_id of no group', method: 'POST', path: '/v1/agents', body: { name: 'a', group_id: '{none}' }, status: 404, code: 'group_not_found' },
  { name: 'group_id of a deleted group', method: 'POST', path: '/v1/agents', body: { name: 'a', group_id: '{deletedGroup}' }, status: 404, code: 'group_not_found' },
  { name: 'group_id of no group', method: 'PATCH', path: '/v1/agents/{agent}', body: { group_id: '{none}' }, status: 404, code: 'group_not_found' },
  { name: 'group_id of a deleted group', method: 'PATCH', path: '/v1/agents/{agent}', body: { group_id: '{deletedGroup}' }, status: 404, code: 'group_not_found' },
  { name: 'group_id as an array', method: 'PATCH', path: '/v1/agents/{agent}', body: { group_id: ['{group}'] }, status: 400, code: 'validation_failed' },
  { name: 'group_id of no group', method: 'PUT', path: '/v1/agents/{agent}', body: { group_id: '{none}' }, status: 404, code: 'group_not_found' },
  { name: 'group_id of no group, for a new agent', method: 'PUT', path: '/v1/agents/put-into-nothing', body: { group_id: '{none}' }, status: 404, code: 'group_not_found' },

  // POST /v1/groups
  { name: 'missing name', method: 'POST', path: '/v1/groups', body: {}, status: 400, code: 'validation_failed' },
  { name: 'name null', method: 'POST', path: '/v1/groups', body: { name: null }, status: 400, code: 'validation_failed' },
  { name: 'name is a number', method: 'POST', path: '/v1/groups', body: { name: 42 }, status: 400, code: 'validation_failed' },
  { name: 'name with a NUL byte', method: 'POST', path: '/v1/groups', body: { name: 'a\u0000b' }, status: 400, code: 'validation_failed' },
  { name: 'name with a newline', method: 'POST', path: '/v1/groups', body: { name: 'a\nb' }, status: 400, code: 'validation_failed' },
  { name: 'name with a C1 control character (U+0085)', method: 'POST', path: '/v1/groups', body: { name: 'a\u0085b' }, status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'POST', path: '/v1/groups', body: { name: LONG_NAME }, status: 400, code: 'validation_failed' },
  { name: 'name of spaces only', method: 'POST', path: '/v1/groups', body: { name: '   ' }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/groups', body: { name: 'g', budget: 5 }, status: 400, code: 'validation_failed' },
  { name: 'group_id chosen by the client', method: 'POST', path: '/v1/groups', body: { name: 'g', group_id: '{none}' }, status: 400, code: 'validation_failed' },
  { name: 'parent_group_id that is not a UUID', method: 'POST', path: '/v1/groups', body: { name: 'g', parent_group_id: 'root' }, status: 400, code: 'validation_failed' },
  { name: 'parent_group_id of no group', method: 'POST', path: '/v1/groups', body: { name: 'g', parent_group_id: '{none}' }, status: 404, code: 'group_not_found' },
  { name: 'parent_group_id of a deleted group', method: 'POST', path: '/v1/groups', body: { name: 'g', parent_group_id: '{deletedGroup}' }, status: 404, code: 'group_not_found' },
  { name: 'a 9th level under a chain of 8', method: 'POST', path: '/v1/groups', body: { name: 'g', parent_group_id: '{deepest}' }, status: 400, code: 'group_too_deep' },
  { name: 'truncated JSON', method: 'POST', path: '/v1/groups', rawBody: '{"name":', status: 400, code: 'invalid_json' },
  { name: 'JSON array', method: 'POST', path: '/v1/groups', rawBody: '[{"name":"g"}]', status: 400, code: 'validation_failed' },
  { name: 'text/plain body', method: 'POST', path: '/v1/groups', rawBody: '{"name":"g"}', headers: TEXT, status: 415, code: 'unsupported_media_type' },

  // GET /v1/groups
  { name: 'limit=0', method: 'GET', path: '/v1/groups?limit=0', status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/groups?limit=501', status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/groups?cursor=garbage', status: 400, code: 'invalid_cursor' },
  { name: 'cursor dated year 0000', method: 'GET', path: `/v1/groups?cursor=${YEAR_ZERO}`, status: 400, code: 'invalid_cursor' },
  { name: 'cursor of an agent list (a client id, not a UUID)', method: 'GET', path: `/v1/groups?cursor=${cursor(['2026-01-01T00:00:00.000Z', 'my-agent'])}`, status: 400, code: 'invalid_cursor' },
  { name: 'include_deleted=maybe', method: 'GET', path: '/v1/groups?include_deleted=maybe', status: 400, code: 'validation_failed' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/groups?parent=x', status: 400, code: 'validation_failed' },

  // GET, PATCH, DELETE /v1/groups/{id}
  { name: 'id that is not a UUID', method: 'GET', path: '/v1/groups/not-a-uuid', status: 404, code: 'group_not_found' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/groups/{none}', status: 404, code: 'group_not_found' },
  { name: 'SQL-injection-like id', method: 'GET', path: `/v1/groups/${SQLI}`, status: 404, code: 'group_not_found' },
  { name: 'path traversal id', method: 'GET', path: `/v1/groups/${TRAVERSAL}`, status: 404, code: 'group_not_found' },
  { name: 'NUL byte id', method: 'GET', path: '/v1/groups/abc%00def', status: 404, code: 'group_not_found' },
  { name: 'empty object', method: 'PATCH', path: '/v1/groups/{group}', body: {}, status: 400, code: 'validation_failed' },
  { name: 'name null', method: 'PATCH', path: '/v1/groups/{group}', body: { name: null }, status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'PATCH', path: '/v1/groups/{group}', body: { name: LONG_NAME }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'PATCH', path: '/v1/groups/{group}', body: { name: 'x', deleted_at: null }, status: 400, code: 'validation_failed' },
  { name: 'parent_group_id that is not a UUID', method: 'PATCH', path: '/v1/groups/{group}', body: { parent_group_id: 'up' }, status: 400, code: 'validation_failed' },
  { name: 'its own parent', method: 'PATCH', path: '/v1/groups/{group}', body: { parent_group_id: '{group}' }, status: 400, code: 'group_cycle' },
  { name: 'under its own child (a cycle)', method: 'PATCH', path: '/v1/groups/{group}', body: { parent_group_id: '{childGroup}' }, status: 400, code: 'group_cycle' },
  { name: 'a cycle, with a rename', method: 'PATCH', path: '/v1/groups/{group}', body: { name: 'loop', parent_group_id: '{childGroup}' }, status: 400, code: 'group_cycle' },
  { name: 'under a chain of 8', method: 'PATCH', path: '/v1/groups/{bareGroup}', body: { parent_group_id: '{deepest}' }, status: 400, code: 'group_too_deep' },
  { name: 'under a deleted group', method: 'PATCH', path: '/v1/groups/{bareGroup}', body: { parent_group_id: '{deletedGroup}' }, status: 404, code: 'group_not_found' },
  { name: 'under a group of nothing', method: 'PATCH', path: '/v1/groups/{bareGroup}', body: { parent_group_id: '{none}' }, status: 404, code: 'group_not_found' },
  { name: 'deleted group', method: 'PATCH', path: '/v1/groups/{deletedGroup}', body: { name: 'x' }, status: 404, code: 'group_not_found' },
  { name: 'UUID of nothing', method: 'PATCH', path: '/v1/groups/{none}', body: { name: 'x' }, status: 404, code: 'group_not_found' },
  { name: 'text/plain body', method: 'PATCH', path: '/v1/groups/{group}', rawBody: '{"name":"x"}', headers: TEXT, status: 415, code: 'unsupported_media_type' },
  { name: 'a group with a member agent and a child group', method: 'DELETE', path: '/v1/groups/{group}', status: 409, code: 'group_not_empty' },
  { name: 'group already deleted', method: 'DELETE', path: '/v1/groups/{deletedGroup}', status: 404, code: 'group_not_found' },
  { name: 'UUID of nothing', method: 'DELETE', path: '/v1/groups/{none}', status: 404, code: 'group_not_found' },
  { name: 'id that is not a UUID', method: 'DELETE', path: '/v1/groups/not-a-uuid', status: 404, code: 'group_not_found' },

  // /v1/groups/{id}/budget, …/budget/topup, …/ledger
  { name: 'hard_limit_cents as a string', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: '100' }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents zero', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: 0 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents negative', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: -5 }, status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents 1e400', method: 'POST', path: '/v1/groups/{group}/budget', rawBody: '{"hard_limit_cents": 1e400}', status: 400, code: 'validation_failed' },
  { name: 'hard_limit_cents 1e12+1', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: 1e12 + 1 }, status: 400, code: 'validation_failed' },
  { name: 'unknown period', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: 100, period: { every: '2d' } }, status: 400, code: 'validation_failed' },
  { name: 'unknown timezone', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: 100, period: { every: '1d', timezone: 'Mars/Olympus' } }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/groups/{group}/budget', body: { hard_limit_cents: 100, level: 'tenant' }, status: 400, code: 'validation_failed' },
  { name: 'deleted group', method: 'POST', path: '/v1/groups/{deletedGroup}/budget', body: { hard_limit_cents: 100 }, status: 404, code: 'group_not_found' },
  { name: 'UUID of nothing', method: 'POST', path: '/v1/groups/{none}/budget', body: { hard_limit_cents: 100 }, status: 404, code: 'group_not_found' },
  { name: 'id that is not a UUID', method: 'POST', path: '/v1/groups/team-1/budget', body: { hard_limit_cents: 100 }, status: 404, code: 'group_not_found' },
  { name: 'group without a budget', method: 'GET', path: '/v1/groups/{bareGroup}/budget', status: 404, code: 'budget_not_found' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/groups/{none}/budget', status: 404, code: 'group_not_found' },
  { name: 'amount_cents zero', method: 'POST', path: '/v1/groups/{group}/budget/topup', body: { amount_cents: 0 }, status: 400, code: 'validation_failed' },
  { name: 'amount_cents -1e400', method: 'POST', path: '/v1/groups/{group}/budget/topup', rawBody: '{"amount_cents": -1e400}', status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/groups/{group}/budget/topup', body: { amount_cents: 1, note: 'x' }, status: 400, code: 'validation_failed' },
  { name: 'group without a budget', method: 'POST', path: '/v1/groups/{bareGroup}/budget/topup', body: { amount_cents: 1 }, status: 404, code: 'budget_not_found' },
  { name: 'deleted group', method: 'POST', path: '/v1/groups/{deletedGroup}/budget/topup', body: { amount_cents: 1 }, status: 404, code: 'group_not_found' },
  { name: 'limit=0', method: 'GET', path: '/v1/groups/{group}/ledger?limit=0', status: 400, code: 'validation_failed' },
  { name: 'cursor past the bigint range', method: 'GET', path: `/v1/groups/{group}/ledger?cursor=${SEQ_PAST_BIGINT}`, status: 400, code: 'invalid_cursor' },
  { name: 'UUID of nothing', method: 'GET', path: '/v1/groups/{none}/ledger', status: 404, code: 'group_not_found' },
  { name: 'PUT on a group', method: 'PUT', path: '/v1/groups/{group}', body: { name: 'x' }, status: 404, code: 'route_not_found' },
  { name: 'DELETE on a group budget', method: 'DELETE', path: '/v1/groups/{group}/budget', status: 404, code: 'route_not_found' },

  // POST /v1/api-keys
  { name: 'missing name', method: 'POST', path: '/v1/api-keys', body: { scopes: ['read'] }, status: 400, code: 'validation_failed' },
  { name: 'missing scopes', method: 'POST', path: '/v1/api-keys', body: { name: 'k' }, status: 400, code: 'validation_failed' },
  { name: 'empty scopes', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: [] }, status: 400, code: 'validation_failed' },
  { name: 'unknown scope', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['root'] }, status: 400, code: 'validation_failed' },
  { name: 'scopes as a string', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: 'admin' }, status: 400, code: 'validation_failed' },
  { name: 'four scopes', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['read', 'read', 'admin', 'cap:use'] }, status: 400, code: 'validation_failed' },
  { name: 'unknown environment', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['read'], environment: 'prod' }, status: 400, code: 'validation_failed' },
  { name: 'name with a NUL byte', method: 'POST', path: '/v1/api-keys', body: { name: 'k\u0000', scopes: ['read'] }, status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'POST', path: '/v1/api-keys', body: { name: LONG_NAME, scopes: ['read'] }, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['read'], secret: 'mine' }, status: 400, code: 'validation_failed' },
  { name: 'trailing garbage after JSON', method: 'POST', path: '/v1/api-keys', rawBody: '{"name":"k","scopes":["read"]}}', status: 400, code: 'invalid_json' },
  { name: 'text/plain body', method: 'POST', path: '/v1/api-keys', rawBody: '{"name":"k","scopes":["read"]}', headers: TEXT, status: 415, code: 'unsupported_media_type' },

  // GET /v1/api-keys
  { name: 'limit=0', method: 'GET', path: '/v1/api-keys?limit=0', status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/api-keys?limit=501', status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/api-keys?cursor=garbage', status: 400, code: 'invalid_cursor' },
  { name: 'cursor dated year 0000', method: 'GET', path: `/v1/api-keys?cursor=${YEAR_ZERO}`, status: 400, code: 'invalid_cursor' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/api-keys?revoked=true', status: 400, code: 'validation_failed' },

  // DELETE /v1/api-keys/{id}
  { name: 'id that is not a UUID', method: 'DELETE', path: '/v1/api-keys/not-a-uuid', status: 404, code: 'api_key_not_found' },
  { name: 'UUID of nothing', method: 'DELETE', path: '/v1/api-keys/{none}', status: 404, code: 'api_key_not_found' },
  { name: 'SQL-injection-like id', method: 'DELETE', path: `/v1/api-keys/${SQLI}`, status: 404, code: 'api_key_not_found' },
  { name: 'path traversal id', method: 'DELETE', path: `/v1/api-keys/${TRAVERSAL}`, status: 404, code: 'api_key_not_found' },

  // /v1/tenants in a sidecar
  { name: 'tenants do not exist in a sidecar (create)', method: 'POST', path: '/v1/tenants', body: { name: 'acme' }, status: 404, code: 'not_in_sidecar_mode' },
  { name: 'tenants do not exist in a sidecar (list)', method: 'GET', path: '/v1/tenants', status: 404, code: 'not_in_sidecar_mode' },

  // Unknown routes and wrong methods
  { name: 'unknown route', method: 'GET', path: '/v1/nope', status: 404, code: 'route_not_found' },
  { name: 'unknown API version', method: 'GET', path: '/v2/agents', status: 404, code: 'route_not_found' },
  { name: 'wrong method on a collection', method: 'PUT', path: '/v1/agents', body: {}, status: 404, code: 'route_not_found' },
  { name: 'DELETE on a collection', method: 'DELETE', path: '/v1/agents', status: 404, code: 'route_not_found' },
  { name: 'PUT on an agent\'s budget', method: 'PUT', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 1 }, status: 404, code: 'route_not_found' },
  { name: 'POST on an agent', method: 'POST', path: '/v1/agents/{agent}', body: {}, status: 404, code: 'route_not_found' },
  { name: 'GET on topup', method: 'GET', path: '/v1/agents/{agent}/budget/topup', status: 404, code: 'route_not_found' },
  { name: 'DELETE on a budget', method: 'DELETE', path: '/v1/agents/{agent}/budget', status: 404, code: 'route_not_found' },
  { name: 'POST on the ledger', method: 'POST', path: '/v1/agents/{agent}/ledger', body: {}, status: 404, code: 'route_not_found' },
  { name: 'DELETE on the api-keys collection', method: 'DELETE', path: '/v1/api-keys', status: 404, code: 'route_not_found' },
  { name: 'PATCH on an api key', method: 'PATCH', path: '/v1/api-keys/{key}', body: { name: 'x' }, status: 404, code: 'route_not_found' },
  { name: 'POST on /health', method: 'POST', path: '/health', body: {}, status: 404, code: 'route_not_found' },
  { name: 'empty path segment', method: 'GET', path: '/v1/agents//budget', status: 404, code: 'route_not_found' },
];

// prettier-ignore
const OVERSIZE_CASES: Case[] = [
  { name: '10 KB agent name', method: 'POST', path: '/v1/agents', body: { name: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB text/plain body (refused for its type first)', method: 'POST', path: '/v1/agents', rawBody: 'x'.repeat(10_240), headers: TEXT, status: 415, code: 'unsupported_media_type' },
  { name: '10 KB PATCH', method: 'PATCH', path: '/v1/agents/{agent}', body: { name: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB budget', method: 'POST', path: '/v1/agents/{agent}/budget', body: { hard_limit_cents: 1, pad: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB top-up', method: 'POST', path: '/v1/agents/{agent}/budget/topup', body: { amount_cents: 1, pad: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB run', method: 'POST', path: '/v1/agents/{agent}/runs', body: { pad: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB api key', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['read'], pad: 'x'.repeat(10_240) }, status: 413, code: 'payload_too_large' },
  { name: '10 KB of truncated JSON', method: 'POST', path: '/v1/agents', rawBody: `{"name":"${'x'.repeat(10_240)}`, status: 413, code: 'payload_too_large' },
];

const op = { 'x-api-key': '{operator}' };
const admin = { 'x-api-key': '{admin}' };

// prettier-ignore
const HOSTED_CASES: Case[] = [
  // Authentication and permissions (SPEC §7)
  { name: 'no API key', method: 'GET', path: '/v1/agents', status: 401, code: 'unauthenticated' },
  { name: 'no API key on a valid create', method: 'POST', path: '/v1/agents', body: { name: 'a' }, status: 401, code: 'unauthenticated' },
  { name: 'a well-formed key that does not exist', method: 'GET', path: '/v1/agents', headers: { 'x-api-key': `sk_cynsta_live_${'A'.repeat(32)}` }, status: 401, code: 'invalid_api_key' },
  { name: 'a garbage bearer token', method: 'GET', path: '/v1/agents', headers: { authorization: 'Bearer not-a-key' }, status: 401, code: 'invalid_api_key' },
  { name: 'the operator key on a tenant route', method: 'POST', path: '/v1/agents', body: {}, headers: op, status: 403, code: 'tenant_key_required' },
  { name: 'a tenant key on an operator route', method: 'POST', path: '/v1/tenants', body: { name: 'mine' }, headers: admin, status: 403, code: 'operator_only' },
  { name: 'a tenant key on /metrics', method: 'GET', path: '/metrics', headers: admin, status: 403, code: 'operator_only' },
  { name: 'no API key on tenants', method: 'GET', path: '/v1/tenants', status: 401, code: 'unauthenticated' },
  { name: 'a read key creating an agent', method: 'POST', path: '/v1/agents', body: { name: 'a' }, headers: { 'x-api-key': '{read}' }, status: 403, code: 'insufficient_scope' },
  { name: 'a read key creating an API key', method: 'POST', path: '/v1/api-keys', body: { name: 'k', scopes: ['admin'] }, headers: { 'x-api-key': '{read}' }, status: 403, code: 'insufficient_scope' },
  { name: 'a cap:use key listing agents', method: 'GET', path: '/v1/agents', headers: { 'x-api-key': '{capuse}' }, status: 403, code: 'insufficient_scope' },
  // Tenancy: another tenant's objects are "not found"
  { name: "another tenant's agent", method: 'GET', path: '/v1/agents/{otherAgent}', headers: admin, status: 404, code: 'agent_not_found' },
  // (A budget set on another tenant's agent id makes the caller's own agent of that id, never
  // touching the other's: agent ids are per tenant. test/admin/seed-ids.spec.ts.)
  { name: "another tenant's ledger", method: 'GET', path: '/v1/agents/{otherAgent}/ledger', headers: admin, status: 404, code: 'agent_not_found' },
  { name: "deleting another tenant's agent", method: 'DELETE', path: '/v1/agents/{otherAgent}', headers: admin, status: 404, code: 'agent_not_found' },
  { name: "revoking another tenant's key", method: 'DELETE', path: '/v1/api-keys/{otherKey}', headers: admin, status: 404, code: 'api_key_not_found' },
  { name: "another tenant's group", method: 'GET', path: '/v1/groups/{otherGroup}', headers: admin, status: 404, code: 'group_not_found' },
  { name: "renaming another tenant's group", method: 'PATCH', path: '/v1/groups/{otherGroup}', body: { name: 'mine' }, headers: admin, status: 404, code: 'group_not_found' },
  { name: "deleting another tenant's group", method: 'DELETE', path: '/v1/groups/{otherGroup}', headers: admin, status: 404, code: 'group_not_found' },
  { name: "another tenant's group budget", method: 'GET', path: '/v1/groups/{otherGroup}/budget', headers: admin, status: 404, code: 'group_not_found' },
  { name: "setting another tenant's group budget", method: 'POST', path: '/v1/groups/{otherGroup}/budget', body: { hard_limit_cents: 1 }, headers: admin, status: 404, code: 'group_not_found' },
  { name: "topping up another tenant's group", method: 'POST', path: '/v1/groups/{otherGroup}/budget/topup', body: { amount_cents: 1 }, headers: admin, status: 404, code: 'group_not_found' },
  { name: "another tenant's group ledger", method: 'GET', path: '/v1/groups/{otherGroup}/ledger', headers: admin, status: 404, code: 'group_not_found' },
  { name: "a group under another tenant's group", method: 'POST', path: '/v1/groups', body: { name: 'g', parent_group_id: '{otherGroup}' }, headers: admin, status: 404, code: 'group_not_found' },
  { name: "an agent in another tenant's group", method: 'POST', path: '/v1/agents', body: { name: 'a', group_id: '{otherGroup}' }, headers: admin, status: 404, code: 'group_not_found' },
  { name: "moving an agent into another tenant's group", method: 'PATCH', path: '/v1/agents/{agent}', body: { group_id: '{otherGroup}' }, headers: admin, status: 404, code: 'group_not_found' },
  { name: 'a read key creating a group', method: 'POST', path: '/v1/groups', body: { name: 'g' }, headers: { 'x-api-key': '{read}' }, status: 403, code: 'insufficient_scope' },
  { name: 'a cap:use key listing groups', method: 'GET', path: '/v1/groups', headers: { 'x-api-key': '{capuse}' }, status: 403, code: 'insufficient_scope' },
  // Malformed tenant requests (operator)
  { name: 'truncated JSON', method: 'POST', path: '/v1/tenants', rawBody: '{"name":"a', headers: op, status: 400, code: 'invalid_json' },
  { name: 'JSON array', method: 'POST', path: '/v1/tenants', rawBody: '["acme"]', headers: op, status: 400, code: 'validation_failed' },
  { name: 'missing name', method: 'POST', path: '/v1/tenants', body: {}, headers: op, status: 400, code: 'validation_failed' },
  { name: 'name is a number', method: 'POST', path: '/v1/tenants', body: { name: 12 }, headers: op, status: 400, code: 'validation_failed' },
  { name: 'name of 201 characters', method: 'POST', path: '/v1/tenants', body: { name: LONG_NAME }, headers: op, status: 400, code: 'validation_failed' },
  { name: 'name with a NUL byte', method: 'POST', path: '/v1/tenants', body: { name: 'ac\u0000me' }, headers: op, status: 400, code: 'validation_failed' },
  { name: 'name with a tab', method: 'POST', path: '/v1/tenants', body: { name: 'ac\tme' }, headers: op, status: 400, code: 'validation_failed' },
  { name: 'unknown extra field', method: 'POST', path: '/v1/tenants', body: { name: 'acme', plan: 'gold' }, headers: op, status: 400, code: 'validation_failed' },
  { name: 'text/plain body', method: 'POST', path: '/v1/tenants', rawBody: '{"name":"acme"}', headers: { ...op, ...TEXT }, status: 415, code: 'unsupported_media_type' },
  { name: 'limit=0', method: 'GET', path: '/v1/tenants?limit=0', headers: op, status: 400, code: 'validation_failed' },
  { name: 'limit=501', method: 'GET', path: '/v1/tenants?limit=501', headers: op, status: 400, code: 'validation_failed' },
  { name: 'cursor=garbage', method: 'GET', path: '/v1/tenants?cursor=garbage', headers: op, status: 400, code: 'invalid_cursor' },
  { name: 'cursor dated year 0000', method: 'GET', path: `/v1/tenants?cursor=${YEAR_ZERO}`, headers: op, status: 400, code: 'invalid_cursor' },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/tenants?name=acme', headers: op, status: 400, code: 'validation_failed' },
  // Malformed tenant-key requests
  { name: 'wrong types with a tenant key', method: 'POST', path: '/v1/agents', body: { name: ['a'] }, headers: admin, status: 400, code: 'validation_failed' },
  { name: 'huge top-up with a tenant key', method: 'POST', path: '/v1/agents/{agent}/budget/topup', rawBody: '{"amount_cents": 1e400}', headers: admin, status: 400, code: 'validation_failed' },
  { name: 'unknown route with a tenant key', method: 'GET', path: '/v1/agents/{agent}/nothing', headers: admin, status: 404, code: 'route_not_found' },
];

type Vars = Record<string, string>;

function fill(text: string, vars: Vars): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`no fixture for placeholder ${whole}`);
    return vars[name];
  });
}

async function expectRefusedAndUnchanged(t: TestApp, c: Case, vars: Vars): Promise<void> {
  const headers = Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [k, fill(v, vars)]));
  if (c.rawBody !== undefined) headers['content-type'] ??= 'application/json';
  const before = await snapshotDatabase(t.pool);
  const body = c.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(c.body), vars));
  const res = await t.http.request(c.method, fill(c.path, vars), { body, rawBody: c.rawBody, headers });
  expectErrorBody(res, c.status, c.code);
  expect(await snapshotDatabase(t.pool)).toEqual(before);
}

const title = (c: Case) => `${c.method} ${c.path.length > 70 ? `${c.path.slice(0, 67)}...` : c.path} — ${c.name} → ${c.status}`;

// The apps run one after the other: several in one process would share passport's strategy
// registry (see app-isolation.spec.ts).
describe('sidecar without auth', () => {
  let t: TestApp;
  const vars: Vars = {};

  beforeAll(async () => {
    t = await startTestApp();
    const agent = await t.http.post('/v1/agents', { name: 'malformed-agent' });
    vars.agent = agent.body.agent_id;
    await t.http.post(`/v1/agents/${vars.agent}/budget`, { hard_limit_cents: 1_000 });
    vars.run = (await t.http.post(`/v1/agents/${vars.agent}/runs`, {})).body.run_id;
    vars.bare = (await t.http.post('/v1/agents', { name: 'no-budget' })).body.agent_id;
    vars.deleted = (await t.http.post('/v1/agents', { name: 'gone' })).body.agent_id;
    await t.http.post(`/v1/agents/${vars.deleted}/budget`, { hard_limit_cents: 10 });
    await t.http.delete(`/v1/agents/${vars.deleted}`);
    vars.key = (await t.http.post('/v1/api-keys', { name: 'k', scopes: ['read'] })).body.id;
    vars.none = randomUUID();
    // Groups: {group} has a budget, a member agent and a child group ({childGroup}); {bareGroup}
    // has no budget; {deepest} ends a chain of 8; {deletedGroup} was deleted.
    const group = async (name: string, parent?: string) =>
      (await t.http.post('/v1/groups', { name, ...(parent ? { parent_group_id: parent } : {}) })).body.group_id as string;
    vars.group = await group('malformed-group');
    await t.http.post(`/v1/groups/${vars.group}/budget`, { hard_limit_cents: 1_000 });
    vars.childGroup = await group('malformed-child', vars.group);
    await t.http.post('/v1/agents', { name: 'member', group_id: vars.group });
    vars.bareGroup = await group('no-budget-group');
    let parent: string | undefined;
    for (let depth = 1; depth <= 8; depth++) parent = await group(`depth-${depth}`, parent);
    vars.deepest = parent!;
    vars.deletedGroup = await group('gone-group');
    await t.http.post(`/v1/groups/${vars.deletedGroup}/budget`, { hard_limit_cents: 10 });
    await t.http.delete(`/v1/groups/${vars.deletedGroup}`);
    expect(Object.values(vars).every((v) => typeof v === 'string')).toBe(true);
  });
  afterAll(() => t.close());

  it.each(SIDECAR_CASES.map((c) => [title(c), c] as const))('%s', (_title, c) => expectRefusedAndUnchanged(t, c, vars));

  // Not malformed: the boundary of the cases above. Run ids are the client's (x-cynsta-run-id,
  // RUN_ID_RE: up to 128 characters), so the longest legal one must be readable.
  it('finds a run whose id is the longest RUN_ID_RE allows (128 characters)', async () => {
    const runId = `r${'x'.repeat(127)}`;
    await t.pool.query('INSERT INTO runs (agent_id, id, tenant_id) SELECT id, $2, tenant_id FROM agents WHERE id = $1', [vars.agent, runId]);
    const res = await t.http.get(`/v1/agents/${vars.agent}/runs/${runId}`);
    expect({ status: res.status, run_id: res.body?.run_id }).toEqual({ status: 200, run_id: runId });
  });
});

describe('sidecar with CAP_MAX_BODY_BYTES=4096', () => {
  let t: TestApp;
  const vars: Vars = {};

  beforeAll(async () => {
    t = await startTestApp({ env: { CAP_MAX_BODY_BYTES: '4096' } });
    vars.agent = (await t.http.post('/v1/agents', { name: 'small-bodies' })).body.agent_id;
    await t.http.post(`/v1/agents/${vars.agent}/budget`, { hard_limit_cents: 100 });
  });
  afterAll(() => t.close());

  it.each(OVERSIZE_CASES.map((c) => [title(c), c] as const))('%s', (_title, c) => expectRefusedAndUnchanged(t, c, vars));

  it('still accepts a body just under the limit', async () => {
    const res = await t.http.patch(`/v1/agents/${vars.agent}`, { name: 'y'.repeat(200) });
    expect(res.status).toBe(200);
  });
});

describe('hosted with auth', () => {
  const OPERATOR_KEY = 'operator-key-malformed-0123456789';
  let t: TestApp;
  const vars: Vars = { operator: OPERATOR_KEY };

  beforeAll(async () => {
    t = await startTestApp({ env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY, REDIS_URL: 'redis://127.0.0.1:6379' } });
    const asOperator = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
    const a = await asOperator.post('/v1/tenants', { name: 'tenant-a' });
    const b = await asOperator.post('/v1/tenants', { name: 'tenant-b' });
    expect([a.status, b.status]).toEqual([201, 201]);
    vars.admin = a.body.api_key.secret;
    const asA = t.http.withHeaders({ 'x-api-key': vars.admin });
    const asB = t.http.withHeaders({ authorization: `Bearer ${b.body.api_key.secret}` });
    vars.read = (await asA.post('/v1/api-keys', { name: 'reader', scopes: ['read'] })).body.secret;
    vars.capuse = (await asA.post('/v1/api-keys', { name: 'proxy', scopes: ['cap:use'] })).body.secret;
    vars.agent = (await asA.post('/v1/agents', { name: 'a-agent' })).body.agent_id;
    await asA.post(`/v1/agents/${vars.agent}/budget`, { hard_limit_cents: 100 });
    vars.otherAgent = (await asB.post('/v1/agents', { name: 'b-agent' })).body.agent_id;
    await asB.post(`/v1/agents/${vars.otherAgent}/budget`, { hard_limit_cents: 100 });
    vars.otherKey = (await asB.post('/v1/api-keys', { name: 'b-reader', scopes: ['read'] })).body.id;
    vars.otherGroup = (await asB.post('/v1/groups', { name: 'b-group' })).body.group_id;
    await asB.post(`/v1/groups/${vars.otherGroup}/budget`, { hard_limit_cents: 100 });
    expect(Object.values(vars).every((v) => typeof v === 'string')).toBe(true);
  });
  afterAll(() => t.close());

  it.each(HOSTED_CASES.map((c) => [title(c), c] as const))('%s', (_title, c) => expectRefusedAndUnchanged(t, c, vars));
});

it('has a readable table of at least 80 cases', () => {
  const all = [...SIDECAR_CASES, ...OVERSIZE_CASES, ...HOSTED_CASES];
  expect(all.length).toBeGreaterThanOrEqual(80);
  expect(new Set(all.map(title)).size).toBe(all.length);
  for (const c of all) expect(c.status >= 400 && c.status < 500).toBe(true);
});
