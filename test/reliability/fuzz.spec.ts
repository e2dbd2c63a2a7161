// Property-based fuzzing (fast-check) of what parses hostile input and what decides money:
// the HTTP request parsers of every route (random JSON bodies and header values, over real HTTP:
// never a 5xx, always the §8 body, the ledger exact), the Python-canonical JSON of signed price
// documents, and the cost engine against the worst-case hold (a hold is never below the cost of
// any answer it allows; the clamp never holds more than the budget has). The unit specs beside
// the code hold their own narrower properties; these are the cap's promise end to end.
import fc from 'fast-check';
import { canonicalJson } from '../../src/pricing/canonical-json';
import { costOf } from '../../src/pricing/cost-engine';
import { PriceCard } from '../../src/pricing/price-card';
import { affordableOutputTokens, worstCaseHoldMicrocents } from '../../src/pricing/worst-case-hold';
import { expectErrorBody } from '../support/admin-assertions';
import { useProxyStack } from '../support/proxy-stack';
import { expectLedgerBalanced } from '../support/test-app';
import { recordFigures } from './support/figures';

const HTTP_RUNS = Number(process.env.SG_FUZZ_HTTP_RUNS ?? 150);
const PURE_RUNS = Number(process.env.SG_FUZZ_RUNS ?? 2_000);
const figures: Record<string, unknown> = {};
afterAll(() => recordFigures('fuzz', figures));

describe('request parsers over HTTP', () => {
  const s = useProxyStack({ env: { CAP_MAX_BODY_BYTES: '65536' } });
  const ROUTES = [
    '/v1/chat/completions',
    '/v1/responses',
    '/v1/embeddings',
    '/v1/messages',
    '/v1beta/models/gemini-3-pro-preview:generateContent',
    '/v1beta/models/gemini-3-pro-preview:streamGenerateContent',
    '/v1/agents',
    '/v1/agents/{agent}/budget',
    '/v1/agents/{agent}/budget/topup',
    '/v1/agents/{agent}/runs',
    '/v1/agents/{agent}/runs/fuzz-run/openai/chat/completions',
    '/v1/agents/{agent}/runs/fuzz-run/gemini/generateContent',
    '/v1/groups',
    '/v1/groups/{group}/budget',
    '/v1/groups/{group}/budget/topup',
  ];
  // Bodies shaped like the real ones, with every field fuzzed, and wholly random JSON.
  const field = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.constant(-1), fc.constant(1e300));
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record(
      {
        model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'claude-opus-4-6', 'grok-3', 'text-embedding-3-small'), field),
        max_tokens: field,
        max_output_tokens: field,
        messages: fc.oneof(field, fc.array(fc.record({ role: field, content: field }), { maxLength: 3 })),
        input: field,
        contents: field,
        stream: field,
        name: field,
        concurrency: field,
        hard_limit_cents: field,
        topup_cents: field,
        amount_cents: field,
        prompt: field,
        group_id: fc.oneof(field, fc.uuid()),
        parent_group_id: fc.oneof(field, fc.uuid()),
        period: fc.oneof(field, fc.record({ every: fc.oneof(field, fc.constantFrom('1d', '1mo', '15m')), timezone: fc.oneof(field, fc.constantFrom('UTC', 'Europe/Berlin')) }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    ),
  );
  const header = fc.oneof(fc.constant('{agent}'), fc.string({ maxLength: 60 }).map((v) => v.replace(/[^\x20-\x7e]/g, '')), fc.uuid());

  it(`answers ${HTTP_RUNS} random requests per route without a 5xx, and the ledger stays exact`, async () => {
    const agent = await s.agent(1_000, { concurrency: 'parallel' });
    const group = (await s.http.post('/v1/groups', { name: 'fuzzed' })).body.group_id;
    await s.http.post(`/v1/groups/${group}/budget`, { hard_limit_cents: 1_000 });
    await s.http.patch(`/v1/agents/${agent}`, { group_id: group });
    const statuses: Record<number, number> = {};
    let requests = 0;
    for (const route of ROUTES) {
      await fc.assert(
        fc.asyncProperty(body, header, fc.option(fc.constantFrom('off', 'on', ''), { nil: undefined }), async (b, agentHeader, clamp) => {
          const headers: Record<string, string> = { 'x-cynsta-agent-id': agentHeader.replace('{agent}', agent) };
          if (clamp !== undefined) headers['x-cynsta-clamp'] = clamp;
          const res = await s.http.post(route.replace('{agent}', agent).replace('{group}', group), b, { headers });
          requests++;
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status >= 500) throw new Error(`${route} answered ${res.status}: ${res.text.slice(0, 300)}`);
          if (res.status >= 400 && !res.headers.get('content-type')?.includes('json')) throw new Error(`${route} answered a non-JSON ${res.status}`);
          if (res.status >= 400 && res.body?.detail !== undefined) expectErrorBody(res, res.status);
        }),
        { numRuns: HTTP_RUNS, seed: Number(process.env.SG_FUZZ_SEED ?? 20261124) },
      );
    }
    const { rows } = await s.t.pool.query("SELECT count(*)::int AS n FROM reservations WHERE status = 'open'");
    expect(rows[0].n).toBe(0);
    await expectLedgerBalanced(s.t.pool);
    figures.http = { routes: ROUTES.length, requests, statuses, provider_calls: s.fake.requestCount };
  }, 180_000);
});

describe('canonical JSON (Python json.dumps, sort_keys, ensure_ascii=False)', () => {
  it('is idempotent and keeps the value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const text = JSON.stringify(value);
        const once = canonicalJson(text);
        expect(canonicalJson(once)).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(text));
      }),
      { numRuns: PURE_RUNS },
    );
    figures.canonical_json = { runs: PURE_RUNS };
  });

  it('refuses what Python would not write (NaN, Infinity) and never throws anything but its own error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          canonicalJson(text);
        } catch (err) {
          expect((err as Error).name === 'CanonicalJsonError' || err instanceof SyntaxError).toBe(true);
        }
      }),
      { numRuns: PURE_RUNS },
    );
    expect(() => canonicalJson('{"a":NaN}')).toThrow();
    expect(() => canonicalJson('{"a":Infinity}')).toThrow();
  });
});

describe('cost engine against the worst-case hold', () => {
  const rate = fc.bigInt({ min: 0n, max: 10n ** 12n }); // femtocents per token: up to $10,000 per 1M
  const card = fc.record({ input: rate, output: rate, cached: fc.option(rate), write: fc.option(rate), read: fc.option(rate), reasoning: fc.option(rate) }).map(
    (r): PriceCard => ({
      provider: 'openai',
      model: 'fuzz',
      inputFemtocentsPerToken: r.input,
      outputFemtocentsPerToken: r.output,
      cachedInputFemtocentsPerToken: r.cached ?? undefined,
      cacheWriteInputFemtocentsPerToken: r.write ?? undefined,
      cacheReadInputFemtocentsPerToken: r.read ?? undefined,
      reasoningOutputFemtocentsPerToken: r.reasoning ?? undefined,
      aliases: [],
      documentFields: {},
    }),
  );
  const count = fc.integer({ min: 0, max: 2_000_000 });

  it('never holds less than the cost of an answer within the estimate and the cap', () => {
    fc.assert(
      fc.property(card, count, count, fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (c, estimate, cap, split) => {
        // Any split of at most `estimate` input tokens and `cap` output tokens over the usage fields.
        const share = (total: number, parts: number[]) => {
          const sum = parts.reduce((a, b) => a + b, 0) || 1;
          return parts.map((p) => Math.floor((total * p) / sum));
        };
        const [input, cachedInput, cacheWrite, cacheRead] = share(estimate, split.slice(0, 4));
        const [output, reasoning] = share(cap, split.slice(4));
        const cost = costOf(c, {
          inputTokens: input,
          cachedInputTokens: cachedInput,
          cacheWriteTokens: cacheWrite,
          cacheReadTokens: cacheRead,
          outputTokens: output,
          reasoningTokens: reasoning,
          webSearchCalls: 0,
          fileSearchCalls: 0,
          groundingQueries: 0,
        }).totalMicrocents;
        expect(worstCaseHoldMicrocents(c, estimate, cap)).toBeGreaterThanOrEqual(cost);
      }),
      { numRuns: PURE_RUNS },
    );
  });

  it('clamps the output cap to what the budget affords, and not one token less', () => {
    fc.assert(
      fc.property(card, count, fc.bigInt({ min: 0n, max: 10n ** 12n }), (c, estimate, remaining) => {
        const affordable = affordableOutputTokens(c, estimate, remaining);
        if (affordable === Number.MAX_SAFE_INTEGER) return; // output is free on this card
        if (affordable > 0) expect(worstCaseHoldMicrocents(c, estimate, affordable)).toBeLessThanOrEqual(remaining);
        expect(worstCaseHoldMicrocents(c, estimate, affordable + 1)).toBeGreaterThan(remaining);
      }),
      { numRuns: PURE_RUNS },
    );
    figures.cost_engine = { runs_per_property: PURE_RUNS, properties: 2 };
  });
});
