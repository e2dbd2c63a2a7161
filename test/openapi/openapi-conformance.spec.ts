// SPEC §3: `GET /openapi.json` is the OpenAPI 3.1 document of every route, `GET /docs` its Swagger
// UI. This spec holds the service to its own document: every admin route is there with the right
// methods and schemas, and every real answer — success and error — validates against the schema
// the document publishes for that path, method and status (ajv, JSON Schema 2020-12). The response
// schemas are closed (additionalProperties: false, every property required), so a field added,
// removed or retyped without the document following fails here.
import { randomUUID } from 'node:crypto';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { LOCAL_TENANT_ID } from '../../src/auth/auth-context';
import { BudgetLedgerRepository } from '../../src/budgets/budget-ledger.repository';
import { expectErrorBody } from '../support/admin-assertions';
import { expectLedgerBalanced, startTestApp, TestApp, TestResponse } from '../support/test-app';

type Json = any;
type Method = 'get' | 'post' | 'patch' | 'delete' | 'put';

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** Every route this spec holds the document to, with exactly these methods. */
const ROUTES: Record<string, Method[]> = {
  '/health': ['get'],
  '/health/ready': ['get'],
  '/metrics': ['get'],
  '/v1/agents': ['get', 'post'],
  '/v1/agents/{agent_id}': ['delete', 'get', 'patch', 'put'],
  '/v1/agents/{agent_id}/budget': ['get', 'post'],
  '/v1/agents/{agent_id}/budget/topup': ['post'],
  '/v1/agents/{agent_id}/runs': ['get', 'post'],
  '/v1/agents/{agent_id}/runs/{run_id}': ['get'],
  '/v1/agents/{agent_id}/runs/{run_id}/ledger': ['get'],
  '/v1/agents/{agent_id}/ledger': ['get'],
  '/v1/agents/{agent_id}/estimate': ['post'],
  '/v1/groups': ['get', 'post'],
  '/v1/groups/{group_id}': ['delete', 'get', 'patch'],
  '/v1/groups/{group_id}/budget': ['get', 'post'],
  '/v1/groups/{group_id}/budget/topup': ['post'],
  '/v1/groups/{group_id}/ledger': ['get'],
  '/v1/api-keys': ['get', 'post'],
  '/v1/api-keys/{id}': ['delete'],
  '/v1/tenants': ['get', 'post'],
  '/v1/tenants/{tenant_id}/budget': ['get', 'post'],
  '/v1/tenants/{tenant_id}/budget/topup': ['post'],
  '/v1/tenants/{tenant_id}/ledger': ['get'],
  '/v1/tenant/budget': ['get', 'post'],
  '/v1/tenant/budget/topup': ['post'],
  '/v1/tenant/ledger': ['get'],
  '/v1/pricing': ['get'],
  '/v1/imports/seed-sqlite': ['post'],
};
const LIST_ROUTES = [
  '/v1/agents',
  '/v1/agents/{agent_id}/runs',
  '/v1/agents/{agent_id}/runs/{run_id}/ledger',
  '/v1/agents/{agent_id}/ledger',
  '/v1/groups',
  '/v1/groups/{group_id}/ledger',
  '/v1/api-keys',
  '/v1/tenants',
  '/v1/tenants/{tenant_id}/ledger',
  '/v1/tenant/ledger',
];

const DOC_ID = 'urn:spendguard:openapi';

/** `#/components/schemas/X` → `urn:spendguard:openapi#/$defs/X`, so ajv resolves the document's refs. */
function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) =>
        k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
          ? [k, `${DOC_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`]
          : [k, rewriteRefs(v)],
      ),
    );
  }
  return node;
}

class Contract {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly doc: Json) {
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOC_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) });
  }

  operation(path: string, method: Method): Json {
    const op = this.doc.paths?.[path]?.[method];
    if (!op) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    return op;
  }

  /** The response the document declares for a status: the exact code, then `4XX`-style, then `default`. */
  declaredResponse(path: string, method: Method, status: number): { key: string; schema?: Json } | undefined {
    const responses = this.operation(path, method).responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (!key) return undefined;
    return { key, schema: responses[key]?.content?.['application/json']?.schema };
  }

  resolve(schema: Json): Json {
    const ref: string | undefined = schema?.$ref;
    if (!ref) return schema;
    return this.resolve(this.doc.components.schemas[ref.replace('#/components/schemas/', '')]);
  }

  validator(cacheKey: string, schema: Json): ValidateFunction {
    let v = this.compiled.get(cacheKey);
    if (!v) {
      v = this.ajv.compile(rewriteRefs(schema));
      this.compiled.set(cacheKey, v);
    }
    return v;
  }

  /** Errors of `value` against `schema`, as readable strings ([] when it conforms). */
  errors(cacheKey: string, schema: Json, value: unknown): string[] {
    const validate = this.validator(cacheKey, schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)} (schema ${e.schemaPath})`);
  }

  /** A real success answer validates against the schema published for its path, method and status. */
  expectResponse(path: string, method: Method, res: TestResponse, status: number): void {
    const route = `${method.toUpperCase()} ${path} → ${status}`;
    if (res.status !== status) throw new Error(`${route}: got ${res.status} ${res.text.slice(0, 500)}`);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
    const declared = this.declaredResponse(path, method, status);
    if (!declared?.schema) throw new Error(`${route}: the document declares no JSON schema for this status`);
    this.expectValid(`${route} (declared as '${declared.key}')`, `res ${method} ${path} ${declared.key}`, declared.schema, res.body);
  }

  /** A request body we send is one the document's request schema accepts. */
  expectRequestBody(path: string, method: Method, body: unknown): void {
    const route = `${method.toUpperCase()} ${path} request body`;
    const schema = this.operation(path, method).requestBody?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${route}: the document declares no JSON schema`);
    this.expectValid(route, `req ${method} ${path}`, schema, body);
  }

  /**
   * An error answer has the SPEC §8 shape; where the document declares a response for its status
   * (exact, `4XX` or `default`), the body validates against that too.
   */
  expectError(path: string, method: Method, res: TestResponse, status: number, code: string): void {
    expectErrorBody(res, status, code);
    const declared = this.declaredResponse(path, method, status);
    if (!declared) return;
    const route = `${method.toUpperCase()} ${path} → ${status} (declared as '${declared.key}')`;
    if (!declared.schema) throw new Error(`${route}: the document declares no JSON schema for it`);
    this.expectValid(route, `res ${method} ${path} ${declared.key}`, declared.schema, res.body);
  }

  private expectValid(route: string, cacheKey: string, schema: Json, value: unknown): void {
    const errors = this.errors(cacheKey, schema, value);
    if (errors.length) {
      problems.push(`${route} does not match the published schema:\n  ${errors.join('\n  ')}\nbody: ${JSON.stringify(value)}`);
    }
  }
}

/** Mismatches found by the current test: every answer of a test is checked before it fails. */
let problems: string[] = [];

/** A test that checks all its answers against the document and fails with every mismatch at once. */
function conforms(name: string, fn: () => Promise<void>): void {
  it(name, async () => {
    problems = [];
    await fn();
    if (problems.length) throw new Error(problems.join('\n\n'));
  });
}

/** Every JSON object schema reachable from `schema`, with a path for messages. */
function objectSchemas(contract: Contract, schema: Json, where: string, seen = new Set<Json>()): { where: string; schema: Json }[] {
  const s = contract.resolve(schema);
  if (!s || typeof s !== 'object' || seen.has(s)) return [];
  seen.add(s);
  const out: { where: string; schema: Json }[] = [];
  if (s.type === 'object' || s.properties) out.push({ where, schema: s });
  for (const [k, v] of Object.entries<Json>(s.properties ?? {})) out.push(...objectSchemas(contract, v, `${where}.${k}`, seen));
  if (s.items) out.push(...objectSchemas(contract, s.items, `${where}[]`, seen));
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, v] of (s[key] ?? []).entries()) out.push(...objectSchemas(contract, v, `${where}<${key}${i}>`, seen));
  }
  return out;
}

function successResponses(contract: Contract): { route: string; schema: Json }[] {
  const out: { route: string; schema: Json }[] = [];
  for (const [path, methods] of Object.entries(ROUTES)) {
    for (const method of methods) {
      for (const [key, r] of Object.entries<Json>(contract.operation(path, method).responses ?? {})) {
        if (!/^2/.test(key) && key !== 'default') continue;
        const schema = r?.content?.['application/json']?.schema;
        if (schema) out.push({ route: `${method.toUpperCase()} ${path} ${key}`, schema });
      }
    }
  }
  return out;
}

describe('the OpenAPI document, against a sidecar', () => {
  let t: TestApp;
  let contract: Contract;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
    contract = new Contract(res.body);
  });
  afterAll(() => t.close());

  describe('structure', () => {
    it('is OpenAPI 3.1.x', () => {
      expect(contract.doc.openapi).toMatch(/^3\.1\.\d+$/);
      expect(contract.doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
    });

    it('lists every route with exactly its methods', () => {
      const listed = Object.fromEntries(
        Object.keys(ROUTES).map((path) => [path, Object.keys(contract.doc.paths?.[path] ?? {}).filter((k) => HTTP_METHODS.has(k)).sort()]),
      );
      expect(listed).toEqual(ROUTES);
    });

    it('declares every path parameter, and limit/cursor on every collection', () => {
      const missing: string[] = [];
      for (const [path, methods] of Object.entries(ROUTES)) {
        for (const method of methods) {
          const params: Json[] = contract.operation(path, method).parameters ?? [];
          for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
            if (!params.some((p) => p.in === 'path' && p.name === name && p.required === true)) missing.push(`${method} ${path}: path ${name}`);
          }
          if (method === 'get' && LIST_ROUTES.includes(path)) {
            for (const name of ['limit', 'cursor']) {
              if (!params.some((p) => p.in === 'query' && p.name === name)) missing.push(`${method} ${path}: query ${name}`);
            }
          }
        }
      }
      expect(missing).toEqual([]);
    });

    it('gives every JSON request body and every success response a schema', () => {
      const missing: string[] = [];
      for (const [path, methods] of Object.entries(ROUTES)) {
        for (const method of methods) {
          const op = contract.operation(path, method);
          const rb = op.requestBody;
          if (rb && !rb.content?.['application/json']?.schema) missing.push(`${method} ${path}: request body`);
          if (['post', 'patch', 'put'].includes(method) && path !== '/metrics' && !rb) missing.push(`${method} ${path}: no request body`);
          const successes = Object.entries<Json>(op.responses ?? {}).filter(([k]) => /^2/.test(k) || k === 'default');
          if (successes.length === 0) missing.push(`${method} ${path}: no success response`);
          for (const [key, r] of successes) {
            const content = r?.content ?? {};
            if (path === '/metrics') {
              if (!content['text/plain']?.schema) missing.push(`${method} ${path} ${key}: text/plain schema`);
            } else if (!content['application/json']?.schema) {
              missing.push(`${method} ${path} ${key}: application/json schema`);
            }
          }
        }
      }
      expect(missing).toEqual([]);
    });

    // `default` means "every status not declared", errors included (OpenAPI 3.1 §4.8.16.1): a
    // success documented only as `default` claims that a 404 looks like the resource.
    it('declares the success status of every operation explicitly, not only as `default`', () => {
      const onlyDefault = Object.entries(ROUTES).flatMap(([path, methods]) =>
        methods
          .filter((m) => !Object.keys(contract.operation(path, m).responses ?? {}).some((k) => /^2\d\d$/.test(k)))
          .map((m) => `${m.toUpperCase()} ${path}`),
      );
      expect(onlyDefault).toEqual([]);
    });

    it('compiles every schema it publishes (JSON Schema 2020-12, strict)', () => {
      const failures: string[] = [];
      for (const name of Object.keys(contract.doc.components?.schemas ?? {})) {
        try {
          contract.validator(`component ${name}`, { $ref: `#/components/schemas/${name}` });
        } catch (err) {
          failures.push(`${name}: ${(err as Error).message}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('closes every response object: additionalProperties false and every property required', () => {
      const open: string[] = [];
      for (const { route, schema } of successResponses(contract)) {
        for (const { where, schema: s } of objectSchemas(contract, schema, route)) {
          // A map keyed by name (`rates`: provider → model → card) has no fixed properties; its
          // values carry the schema instead.
          const isMap = !s.properties && typeof s.additionalProperties === 'object';
          if (s.additionalProperties !== false && !isMap) open.push(`${where}: additionalProperties is ${JSON.stringify(s.additionalProperties)}`);
          const required = new Set<string>(s.required ?? []);
          const optional = Object.keys(s.properties ?? {}).filter((k) => !required.has(k));
          if (optional.length) open.push(`${where}: not required: ${optional.join(', ')}`);
        }
      }
      expect(open).toEqual([]);
    });

    // What the document says a field is must be what the server sends; this pins the types of the
    // fields whose real values are null or a string, so a mangled schema shows up by name.
    it('publishes nullable strings as string-or-null, not as arrays', () => {
      const wrong: string[] = [];
      const nullableStrings: [string, string[]][] = [
        ['AgentDto_Output', ['name']],
        ['BudgetDto_Output', ['locked_run_id']],
        ['AgentListDto_Output', ['next_cursor']],
        ['GroupListDto_Output', ['next_cursor']],
        ['RunListDto_Output', ['next_cursor']],
        ['LedgerPageDto_Output', ['next_cursor']],
        ['ApiKeyListDto_Output', ['next_cursor']],
        ['TenantListDto_Output', ['next_cursor']],
      ];
      for (const [component, fields] of nullableStrings) {
        const props = contract.doc.components.schemas[component]?.properties ?? {};
        for (const field of fields) {
          const errs = [
            contract.errors(`nullable ${component}.${field} s`, props[field] ?? false, 'text'),
            contract.errors(`nullable ${component}.${field} s`, props[field] ?? false, null),
          ].flat();
          const rejectsArray = contract.errors(`nullable ${component}.${field} s`, props[field] ?? false, ['text']).length > 0;
          if (errs.length || !rejectsArray) wrong.push(`${component}.${field} is published as ${JSON.stringify(props[field])}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  });

  describe('real answers validate against the published schemas', () => {
    let agentId: string;
    let runId: string;
    let groupId: string;

    conforms('GET /health', async () => {
      contract.expectResponse('/health', 'get', await t.http.get('/health'), 200);
    });

    conforms('GET /v1/pricing', async () => {
      contract.expectResponse('/v1/pricing', 'get', await t.http.get('/v1/pricing'), 200);
    });

    conforms('GET /health/ready', async () => {
      contract.expectResponse('/health/ready', 'get', await t.http.get('/health/ready'), 200);
    });

    it('GET /metrics answers Prometheus text, as documented', async () => {
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain\b/);
      expect(Object.keys(contract.operation('/metrics', 'get').responses?.['200']?.content ?? {})).toEqual(['text/plain']);
      expect(res.text).toMatch(/^# (HELP|TYPE) /m);
    });

    conforms('POST /v1/agents (named, and without a name)', async () => {
      const named = { name: 'conformance', concurrency: 'parallel' };
      contract.expectRequestBody('/v1/agents', 'post', named);
      const res = await t.http.post('/v1/agents', named);
      agentId = res.body.agent_id;
      contract.expectResponse('/v1/agents', 'post', res, 201);

      contract.expectRequestBody('/v1/agents', 'post', {});
      contract.expectResponse('/v1/agents', 'post', await t.http.post('/v1/agents', {}), 201);
    });

    conforms('GET /v1/agents (a page with a next cursor, and the last page)', async () => {
      const first = await t.http.get('/v1/agents?limit=1');
      contract.expectResponse('/v1/agents', 'get', first, 200);
      expect(typeof first.body.next_cursor).toBe('string');
      const rest = await t.http.get(`/v1/agents?limit=500&cursor=${first.body.next_cursor}`);
      contract.expectResponse('/v1/agents', 'get', rest, 200);
      expect(rest.body.next_cursor).toBeNull();
    });

    conforms('GET and PATCH /v1/agents/{agent_id}', async () => {
      contract.expectResponse('/v1/agents/{agent_id}', 'get', await t.http.get(`/v1/agents/${agentId}`), 200);
      contract.expectRequestBody('/v1/agents/{agent_id}', 'patch', { name: 'renamed' });
      contract.expectResponse('/v1/agents/{agent_id}', 'patch', await t.http.patch(`/v1/agents/${agentId}`, { name: 'renamed' }), 200);
      contract.expectRequestBody('/v1/agents/{agent_id}', 'patch', { name: null, concurrency: 'exclusive' });
      const cleared = await t.http.patch(`/v1/agents/${agentId}`, { name: null, concurrency: 'exclusive' });
      contract.expectResponse('/v1/agents/{agent_id}', 'patch', cleared, 200);
      expect(cleared.body.name).toBeNull();
    });

    conforms('POST and GET /v1/agents/{agent_id}/budget, POST …/budget/topup', async () => {
      const set = { hard_limit_cents: 500, topup_cents: 100 };
      contract.expectRequestBody('/v1/agents/{agent_id}/budget', 'post', set);
      contract.expectResponse('/v1/agents/{agent_id}/budget', 'post', await t.http.post(`/v1/agents/${agentId}/budget`, set), 200);
      contract.expectResponse('/v1/agents/{agent_id}/budget', 'get', await t.http.get(`/v1/agents/${agentId}/budget`), 200);
      contract.expectRequestBody('/v1/agents/{agent_id}/budget/topup', 'post', { amount_cents: 50 });
      const topped = await t.http.post(`/v1/agents/${agentId}/budget/topup`, { amount_cents: 50 });
      contract.expectResponse('/v1/agents/{agent_id}/budget/topup', 'post', topped, 200);
      expect(topped.body.remaining_cents).toBe(150);
    });

    conforms('POST /v1/agents/{agent_id}/runs', async () => {
      contract.expectRequestBody('/v1/agents/{agent_id}/runs', 'post', {});
      const res = await t.http.post(`/v1/agents/${agentId}/runs`, {});
      runId = res.body.run_id;
      await t.http.post(`/v1/agents/${agentId}/runs`, {});
      contract.expectResponse('/v1/agents/{agent_id}/runs', 'post', res, 201);
    });

    conforms('budget, runs and ledger while a call holds budget (locked fields set)', async () => {
      const ledger = t.app.get(BudgetLedgerRepository);
      const hold = await ledger.hold({
        tenantId: LOCAL_TENANT_ID,
        agentId,
        runId,
        requestId: randomUUID(),
        amountMicrocents: 2_500_000n,
        ttlSeconds: 60,
        provider: 'openai',
        model: 'gpt-4o-mini',
      });
      if (!hold.ok) throw new Error(`hold failed: ${JSON.stringify(hold)}`);

      const budget = await t.http.get(`/v1/agents/${agentId}/budget`);
      contract.expectResponse('/v1/agents/{agent_id}/budget', 'get', budget, 200);
      expect(budget.body.in_flight).toBe(1);
      const run = await t.http.get(`/v1/agents/${agentId}/runs/${runId}`);
      contract.expectResponse('/v1/agents/{agent_id}/runs/{run_id}', 'get', run, 200);
      expect(run.body.status).toBe('active');

      await ledger.settle(LOCAL_TENANT_ID, hold.reservationId, 1_234_567n, {
        usage: { input_tokens: 12, output_tokens: 34 },
        costBreakdown: { input: '100', output: '1234467' },
        priceVersion: 'conformance-v1',
      });
      const settled = await t.http.get(`/v1/agents/${agentId}/runs/${runId}`);
      contract.expectResponse('/v1/agents/{agent_id}/runs/{run_id}', 'get', settled, 200);
      expect(settled.body).toEqual(expect.objectContaining({ status: 'idle', call_count: 1, spent_microcents: '1234567' }));
      contract.expectResponse('/v1/agents/{agent_id}/budget', 'get', await t.http.get(`/v1/agents/${agentId}/budget`), 200);
    });

    conforms('GET /v1/agents/{agent_id}/runs (paged)', async () => {
      const first = await t.http.get(`/v1/agents/${agentId}/runs?limit=1`);
      contract.expectResponse('/v1/agents/{agent_id}/runs', 'get', first, 200);
      expect(typeof first.body.next_cursor).toBe('string');
      contract.expectResponse('/v1/agents/{agent_id}/runs', 'get', await t.http.get(`/v1/agents/${agentId}/runs?cursor=${first.body.next_cursor}`), 200);
    });

    conforms('GET /v1/agents/{agent_id}/ledger (paged, every kind written so far)', async () => {
      const first = await t.http.get(`/v1/agents/${agentId}/ledger?limit=2`);
      contract.expectResponse('/v1/agents/{agent_id}/ledger', 'get', first, 200);
      expect(typeof first.body.next_cursor).toBe('string');
      const all = await t.http.get(`/v1/agents/${agentId}/ledger?limit=500`);
      contract.expectResponse('/v1/agents/{agent_id}/ledger', 'get', all, 200);
      expect(new Set(all.body.entries.map((e: Json) => e.kind))).toEqual(new Set(['limit_set', 'topup', 'reserve', 'settle', 'release']));
    });

    conforms('POST, GET, PATCH and DELETE /v1/groups, and a group in an agent', async () => {
      contract.expectRequestBody('/v1/groups', 'post', { name: 'org' });
      const parent = await t.http.post('/v1/groups', { name: 'org' });
      contract.expectResponse('/v1/groups', 'post', parent, 201);
      const body = { name: 'team', parent_group_id: parent.body.group_id };
      contract.expectRequestBody('/v1/groups', 'post', body);
      const child = await t.http.post('/v1/groups', body);
      contract.expectResponse('/v1/groups', 'post', child, 201);
      groupId = child.body.group_id;
      const first = await t.http.get('/v1/groups?limit=1');
      contract.expectResponse('/v1/groups', 'get', first, 200);
      expect(typeof first.body.next_cursor).toBe('string');
      contract.expectResponse('/v1/groups', 'get', await t.http.get(`/v1/groups?cursor=${first.body.next_cursor}&include_deleted=true`), 200);
      contract.expectResponse('/v1/groups/{group_id}', 'get', await t.http.get(`/v1/groups/${groupId}`), 200);
      for (const patch of [{ name: 'renamed' }, { parent_group_id: null }, { name: 'team', parent_group_id: parent.body.group_id }]) {
        contract.expectRequestBody('/v1/groups/{group_id}', 'patch', patch);
        contract.expectResponse('/v1/groups/{group_id}', 'patch', await t.http.patch(`/v1/groups/${groupId}`, patch), 200);
      }
      const grouped = { name: 'grouped', group_id: groupId };
      contract.expectRequestBody('/v1/agents', 'post', grouped);
      const agent = await t.http.post('/v1/agents', grouped);
      contract.expectResponse('/v1/agents', 'post', agent, 201);
      contract.expectRequestBody('/v1/agents/{agent_id}', 'patch', { group_id: null });
      contract.expectResponse('/v1/agents/{agent_id}', 'patch', await t.http.patch(`/v1/agents/${agent.body.agent_id}`, { group_id: null }), 200);
      contract.expectRequestBody('/v1/agents/{agent_id}', 'put', { group_id: groupId });
      contract.expectResponse('/v1/agents/{agent_id}', 'put', await t.http.request('PUT', `/v1/agents/${agent.body.agent_id}`, { body: { group_id: groupId } }), 200);
      await t.http.patch(`/v1/agents/${agent.body.agent_id}`, { group_id: null });
      const doomed = await t.http.post('/v1/groups', { name: 'doomed' });
      contract.expectResponse('/v1/groups/{group_id}', 'delete', await t.http.delete(`/v1/groups/${doomed.body.group_id}`), 200);
      contract.expectResponse('/v1/groups/{group_id}', 'get', await t.http.get(`/v1/groups/${doomed.body.group_id}`), 200);
    });

    conforms('POST and GET /v1/groups/{group_id}/budget, POST …/budget/topup, GET …/ledger', async () => {
      const set = { hard_limit_cents: 500, topup_cents: 100, period: { every: '1d', timezone: 'Europe/Berlin' } };
      contract.expectRequestBody('/v1/groups/{group_id}/budget', 'post', set);
      contract.expectResponse('/v1/groups/{group_id}/budget', 'post', await t.http.post(`/v1/groups/${groupId}/budget`, set), 200);
      contract.expectResponse('/v1/groups/{group_id}/budget', 'get', await t.http.get(`/v1/groups/${groupId}/budget`), 200);
      contract.expectRequestBody('/v1/groups/{group_id}/budget/topup', 'post', { amount_cents: 50 });
      const topped = await t.http.post(`/v1/groups/${groupId}/budget/topup`, { amount_cents: 50 });
      contract.expectResponse('/v1/groups/{group_id}/budget/topup', 'post', topped, 200);
      expect(topped.body).toMatchObject({ level: 'group', level_id: groupId, remaining_cents: 150 });
      const first = await t.http.get(`/v1/groups/${groupId}/ledger?limit=1`);
      contract.expectResponse('/v1/groups/{group_id}/ledger', 'get', first, 200);
      expect(typeof first.body.next_cursor).toBe('string');
      contract.expectResponse('/v1/groups/{group_id}/ledger', 'get', await t.http.get(`/v1/groups/${groupId}/ledger?cursor=${first.body.next_cursor}`), 200);
    });

    conforms('POST and GET /v1/tenant/budget, POST …/budget/topup, GET /v1/tenant/ledger (a sidecar sets its own)', async () => {
      const set = { hard_limit_cents: 1_000_000, topup_cents: 1_000_000, period: { every: '1mo', timezone: 'Europe/Berlin' } };
      contract.expectRequestBody('/v1/tenant/budget', 'post', set);
      contract.expectResponse('/v1/tenant/budget', 'post', await t.http.post('/v1/tenant/budget', set), 200);
      contract.expectResponse('/v1/tenant/budget', 'get', await t.http.get('/v1/tenant/budget'), 200);
      contract.expectRequestBody('/v1/tenant/budget/topup', 'post', { amount_cents: 1 });
      const topped = await t.http.post('/v1/tenant/budget/topup', { amount_cents: 1 });
      contract.expectResponse('/v1/tenant/budget/topup', 'post', topped, 200);
      expect(topped.body).toMatchObject({ level: 'tenant', level_id: LOCAL_TENANT_ID, applied_cents: 0 });
      const first = await t.http.get('/v1/tenant/ledger?limit=1');
      contract.expectResponse('/v1/tenant/ledger', 'get', first, 200);
      contract.expectResponse('/v1/tenant/ledger', 'get', await t.http.get(`/v1/tenant/ledger?cursor=${first.body.next_cursor}`), 200);
      // A lifetime budget again, so that the rest of this file is not affected by a period.
      await t.http.post('/v1/tenant/budget', { hard_limit_cents: 1_000_000, period: null });
    });

    conforms('a run with a budget of its own, and GET …/runs/{run_id}/ledger', async () => {
      contract.expectRequestBody('/v1/agents/{agent_id}/runs', 'post', { budget_cents: 300 });
      const created = await t.http.post(`/v1/agents/${agentId}/runs`, { budget_cents: 300 });
      contract.expectResponse('/v1/agents/{agent_id}/runs', 'post', created, 201);
      expect(created.body.budget).toMatchObject({ level: 'run', hard_limit_cents: 300 });
      const path = `/v1/agents/${agentId}/runs/${created.body.run_id}`;
      contract.expectResponse('/v1/agents/{agent_id}/runs/{run_id}', 'get', await t.http.get(path), 200);
      const ledger = await t.http.get(`${path}/ledger?limit=1`);
      contract.expectResponse('/v1/agents/{agent_id}/runs/{run_id}/ledger', 'get', ledger, 200);
      expect(ledger.body.entries[0].kind).toBe('limit_set');
    });

    conforms('POST /v1/agents/{agent_id}/estimate', async () => {
      const body = { provider: 'openai', operation: 'chat.completions', model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
      contract.expectRequestBody('/v1/agents/{agent_id}/estimate', 'post', body);
      const res = await t.http.post(`/v1/agents/${agentId}/estimate`, body);
      contract.expectResponse('/v1/agents/{agent_id}/estimate', 'post', res, 200);
      expect(res.body.levels.map((l: Json) => l.level)).toEqual(['tenant', 'agent']);
    });

    conforms('POST, GET and DELETE /v1/api-keys', async () => {
      const body = { name: 'conformance key', scopes: ['read', 'cap:use'], environment: 'test' };
      contract.expectRequestBody('/v1/api-keys', 'post', body);
      const created = await t.http.post('/v1/api-keys', body);
      contract.expectResponse('/v1/api-keys', 'post', created, 201);
      await t.http.post('/v1/api-keys', { name: 'second', scopes: ['admin'] });
      const page = await t.http.get('/v1/api-keys?limit=1');
      contract.expectResponse('/v1/api-keys', 'get', page, 200);
      contract.expectResponse('/v1/api-keys', 'get', await t.http.get(`/v1/api-keys?cursor=${page.body.next_cursor}`), 200);
      const revoked = await t.http.delete(`/v1/api-keys/${created.body.id}`);
      contract.expectResponse('/v1/api-keys/{id}', 'delete', revoked, 200);
      expect(typeof revoked.body.revoked_at).toBe('string');
    });

    conforms('POST /v1/imports/seed-sqlite (imported, then skipped)', async () => {
      const body = {
        agents: [
          {
            agent_id: `seed-${randomUUID()}`,
            name: 'from the seed',
            created_at: '2026-01-05T09:00:00.123Z',
            budget: { hard_limit_cents: 500, remaining_cents: 480, locked_run_id: 'dead-run', locked_cents: 5, locked_expires_at: '1767700000' },
            calls: [
              {
                seed_row_id: randomUUID(), run_id: 'seed-run', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 10, output_tokens: null,
                wcec_cents: 25, realized_cents: 20, termination_reason: null, created_at: '2026-01-05T09:01:00.000Z',
                meta: { sha256: 'a'.repeat(64), bytes: 120, fields: { latency_ms: 640, 'request.stream': false } },
              },
            ],
          },
        ],
      };
      contract.expectRequestBody('/v1/imports/seed-sqlite', 'post', body);
      const first = await t.http.post('/v1/imports/seed-sqlite', body);
      contract.expectResponse('/v1/imports/seed-sqlite', 'post', first, 200);
      expect(first.body).toMatchObject({ agents_imported: 1, calls_imported: 1, locks_released: 1 });
      const again = await t.http.post('/v1/imports/seed-sqlite', body);
      contract.expectResponse('/v1/imports/seed-sqlite', 'post', again, 200);
      expect(again.body.agents[0]).toMatchObject({ outcome: 'skipped', reason: 'budget_exists' });
      contract.expectError('/v1/imports/seed-sqlite', 'post', await t.http.post('/v1/imports/seed-sqlite', { agents: [] }), 400, 'validation_failed');
    });

    conforms('DELETE /v1/agents/{agent_id}, then read the deleted agent', async () => {
      contract.expectResponse('/v1/agents/{agent_id}', 'delete', await t.http.delete(`/v1/agents/${agentId}`), 200);
      const gone = await t.http.get(`/v1/agents/${agentId}`);
      contract.expectResponse('/v1/agents/{agent_id}', 'get', gone, 200);
      expect(typeof gone.body.deleted_at).toBe('string');
      contract.expectResponse('/v1/agents', 'get', await t.http.get('/v1/agents?include_deleted=true'), 200);
      contract.expectResponse('/v1/agents/{agent_id}/ledger', 'get', await t.http.get(`/v1/agents/${agentId}/ledger`), 200);
    });

    it('keeps the ledger balanced throughout', () => expectLedgerBalanced(t.pool));
  });

  describe('error answers: SPEC §8 shape, and the documented schema where there is one', () => {
    const none = randomUUID();
    let bare: string;

    beforeAll(async () => {
      bare = (await t.http.post('/v1/agents', { name: 'no budget' })).body.agent_id;
    });

    conforms('404 for an unknown agent on GET /v1/agents/{agent_id}', async () => {
      contract.expectError('/v1/agents/{agent_id}', 'get', await t.http.get(`/v1/agents/${none}`), 404, 'agent_not_found');
    });

    conforms('404 for an unknown agent on PATCH and DELETE /v1/agents/{agent_id}', async () => {
      contract.expectError('/v1/agents/{agent_id}', 'patch', await t.http.patch(`/v1/agents/${none}`, { name: 'x' }), 404, 'agent_not_found');
      contract.expectError('/v1/agents/{agent_id}', 'delete', await t.http.delete(`/v1/agents/${none}`), 404, 'agent_not_found');
    });

    conforms('404 for a missing budget on GET /v1/agents/{agent_id}/budget', async () => {
      contract.expectError('/v1/agents/{agent_id}/budget', 'get', await t.http.get(`/v1/agents/${bare}/budget`), 404, 'budget_not_found');
    });

    conforms('404 for an unknown run on GET …/runs/{run_id}', async () => {
      contract.expectError('/v1/agents/{agent_id}/runs/{run_id}', 'get', await t.http.get(`/v1/agents/${bare}/runs/nope`), 404, 'run_not_found');
    });

    conforms('404, 400 and 409 on the group routes', async () => {
      contract.expectError('/v1/groups/{group_id}', 'get', await t.http.get(`/v1/groups/${none}`), 404, 'group_not_found');
      contract.expectError('/v1/groups/{group_id}', 'get', await t.http.get('/v1/groups/not-a-uuid'), 404, 'group_not_found');
      contract.expectError('/v1/groups/{group_id}/budget', 'post', await t.http.post(`/v1/groups/${none}/budget`, { hard_limit_cents: 1 }), 404, 'group_not_found');
      const parent = (await t.http.post('/v1/groups', { name: 'errors' })).body.group_id;
      const child = (await t.http.post('/v1/groups', { name: 'errors-child', parent_group_id: parent })).body.group_id;
      contract.expectError('/v1/groups/{group_id}', 'patch', await t.http.patch(`/v1/groups/${parent}`, { parent_group_id: child }), 400, 'group_cycle');
      contract.expectError('/v1/groups/{group_id}', 'delete', await t.http.delete(`/v1/groups/${parent}`), 409, 'group_not_empty');
      contract.expectError('/v1/groups/{group_id}/budget', 'get', await t.http.get(`/v1/groups/${parent}/budget`), 404, 'budget_not_found');
      contract.expectError('/v1/agents', 'post', await t.http.post('/v1/agents', { group_id: none }), 404, 'group_not_found');
    });

    conforms('404 for an unknown key on DELETE /v1/api-keys/{id}', async () => {
      contract.expectError('/v1/api-keys/{id}', 'delete', await t.http.delete(`/v1/api-keys/${none}`), 404, 'api_key_not_found');
    });

    conforms('400 for a bad limit on the collections', async () => {
      contract.expectError('/v1/agents', 'get', await t.http.get('/v1/agents?limit=0'), 400, 'validation_failed');
      contract.expectError('/v1/agents/{agent_id}/ledger', 'get', await t.http.get(`/v1/agents/${bare}/ledger?limit=501`), 400, 'validation_failed');
      contract.expectError('/v1/api-keys', 'get', await t.http.get('/v1/api-keys?cursor=garbage'), 400, 'invalid_cursor');
    });

    conforms('400 for invalid bodies on the POSTs', async () => {
      contract.expectError('/v1/agents', 'post', await t.http.post('/v1/agents', { name: 5 }), 400, 'validation_failed');
      contract.expectError('/v1/agents/{agent_id}/budget', 'post', await t.http.post(`/v1/agents/${bare}/budget`, { hard_limit_cents: -1 }), 400, 'validation_failed');
      contract.expectError('/v1/agents/{agent_id}/budget/topup', 'post', await t.http.post(`/v1/agents/${bare}/budget/topup`, { amount_cents: 1 }), 404, 'budget_not_found');
      contract.expectError('/v1/api-keys', 'post', await t.http.post('/v1/api-keys', { name: 'k', scopes: [] }), 400, 'validation_failed');
    });

    it('the published request schemas refuse what the server refuses', () => {
      const refused: [string, Method, unknown][] = [
        ['/v1/agents', 'post', { name: 5 }],
        ['/v1/agents', 'post', { name: 'a', extra: true }],
        ['/v1/agents/{agent_id}/budget', 'post', { hard_limit_cents: 0 }],
        ['/v1/agents/{agent_id}/budget', 'post', { hard_limit_cents: 1e12 + 1 }],
        ['/v1/agents/{agent_id}/budget', 'post', { hard_limit_cents: 1.5 }],
        ['/v1/agents/{agent_id}/budget/topup', 'post', { amount_cents: -1 }],
        ['/v1/agents/{agent_id}/runs', 'post', { run_id: 'x' }],
        ['/v1/api-keys', 'post', { name: 'k', scopes: [] }],
        ['/v1/api-keys', 'post', { name: 'k\u0000', scopes: ['read'] }],
        ['/v1/tenants', 'post', { name: 'n'.repeat(201) }],
        ['/v1/imports/seed-sqlite', 'post', { agents: [] }],
        ['/v1/imports/seed-sqlite', 'post', { agents: [{ agent_id: 'a b', name: null, created_at: null, budget: null, calls: [] }] }],
      ];
      const accepted = refused.filter(([path, method, body]) => {
        const schema = contract.operation(path, method).requestBody.content['application/json'].schema;
        return contract.errors(`req ${method} ${path}`, schema, body).length === 0;
      });
      expect(accepted).toEqual([]);
    });
  });

  it('serves the Swagger UI at GET /docs', async () => {
    const res = await t.http.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toMatch(/^text\/html\b/);
    expect(res.text).toMatch(/<html/i);
    expect(res.text).toMatch(/swagger-ui/i);
  });
});

// Run after the sidecar closes: two apps in one process share passport's strategies.
describe('the OpenAPI document, against a hosted instance', () => {
  const OPERATOR_KEY = 'operator-key-openapi-0123456789';
  let t: TestApp;
  let contract: Contract;

  beforeAll(async () => {
    t = await startTestApp({ env: { CAP_MODE: 'hosted', CAP_API_KEY: OPERATOR_KEY, REDIS_URL: 'redis://127.0.0.1:6379' } });
    contract = new Contract((await t.http.get('/openapi.json', { headers: { 'x-api-key': OPERATOR_KEY } })).body);
  });
  afterAll(() => t.close());

  conforms('POST and GET /v1/tenants', async () => {
    const op = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
    contract.expectRequestBody('/v1/tenants', 'post', { name: 'acme' });
    const created = await op.post('/v1/tenants', { name: 'acme' });
    contract.expectResponse('/v1/tenants', 'post', created, 201);
    expect(created.body.api_key.secret).toMatch(/^sk_cynsta_live_[0-9A-Za-z]{32}$/);
    await op.post('/v1/tenants', { name: 'globex' });
    const page = await op.get('/v1/tenants?limit=1');
    contract.expectResponse('/v1/tenants', 'get', page, 200);
    contract.expectResponse('/v1/tenants', 'get', await op.get(`/v1/tenants?cursor=${page.body.next_cursor}`), 200);

    const asTenant = t.http.withHeaders({ 'x-api-key': created.body.api_key.secret });
    contract.expectResponse('/v1/agents', 'post', await asTenant.post('/v1/agents', { name: 'hosted agent' }), 201);
  });

  conforms("the operator's /v1/tenants/{tenant_id}/budget, …/budget/topup and …/ledger; the tenant reads its own", async () => {
    const op = t.http.withHeaders({ 'x-api-key': OPERATOR_KEY });
    const tenant = await op.post('/v1/tenants', { name: 'credit' });
    const id = tenant.body.tenant_id;
    const set = { hard_limit_cents: 5_000, topup_cents: 2_000 };
    contract.expectRequestBody('/v1/tenants/{tenant_id}/budget', 'post', set);
    contract.expectResponse('/v1/tenants/{tenant_id}/budget', 'post', await op.post(`/v1/tenants/${id}/budget`, set), 200);
    contract.expectResponse('/v1/tenants/{tenant_id}/budget', 'get', await op.get(`/v1/tenants/${id}/budget`), 200);
    contract.expectResponse('/v1/tenants/{tenant_id}/budget/topup', 'post', await op.post(`/v1/tenants/${id}/budget/topup`, { amount_cents: 1_000 }), 200);
    const first = await op.get(`/v1/tenants/${id}/ledger?limit=1`);
    contract.expectResponse('/v1/tenants/{tenant_id}/ledger', 'get', first, 200);
    expect(typeof first.body.next_cursor).toBe('string');
    const asTenant = t.http.withHeaders({ 'x-api-key': tenant.body.api_key.secret });
    const own = await asTenant.get('/v1/tenant/budget');
    contract.expectResponse('/v1/tenant/budget', 'get', own, 200);
    expect(own.body).toMatchObject({ level: 'tenant', level_id: id, remaining_cents: 3_000 });
    contract.expectError('/v1/tenant/budget', 'post', await asTenant.post('/v1/tenant/budget', set), 403, 'tenant_budget_operator_only');
    contract.expectError('/v1/tenants/{tenant_id}/budget', 'get', await op.get(`/v1/tenants/${randomUUID()}/budget`), 404, 'tenant_not_found');
  });

  conforms('GET /health/ready with Redis', async () => {
    const res = await t.http.get('/health/ready');
    contract.expectResponse('/health/ready', 'get', res, 200);
    expect(res.body.checks.redis).toBe('ok');
  });

  conforms('401 and 403 bodies have the SPEC §8 shape (and the documented schema where declared)', async () => {
    contract.expectError('/v1/tenants', 'get', await t.http.get('/v1/tenants'), 401, 'unauthenticated');
    contract.expectError('/v1/agents', 'get', await t.http.get('/v1/agents', { headers: { 'x-api-key': OPERATOR_KEY } }), 403, 'tenant_key_required');
  });
});
