// The metered routes of SPEC §4, one table: explicit run routes (the seed's) and header-routed
// drop-in routes for the official SDKs. Each entry reads its request into a MeteredRequest;
// ProxyService does the rest and writes the answer itself (streams included).
//
// They are plain Fastify routes, not a Nest controller: a metered call is the service's hot path,
// and Nest's guard, pipes and interceptor chain (rxjs layers, async-hook wrappers) cost about a
// fifth of its CPU per call (docs/benchmarks.md). They keep the same contract: the same
// authentication (ApiKeyAuthService), the §8 error body, the request id, metrics and the access log
// (the app's Fastify hooks), and the same OpenAPI description (metered-routes.openapi.ts).
import { Provider } from '../pricing/price-card';
import { UpstreamOperation } from './metered-request';
import {
  agentFromHeader,
  buildMeteredRequest,
  explicitProvider,
  geminiModelAction,
  openAiFamilyProvider,
  runFromHeader,
} from './route-resolution';
import { MeteredRequest } from './metered-request';

type Headers = Record<string, string | string[] | undefined>;

export interface RouteInput {
  params: Record<string, string>;
  body: unknown;
  headers: Headers;
  /** Whether a model has a price card under a provider (OpenAI-format routes serve xAI too). */
  pricedUnder(provider: Provider, model: string): boolean;
}

export interface MeteredRoute {
  /** Fastify's syntax (`:param`). */
  url: string;
  operationId: string;
  summary: string;
  /** The agent comes from x-cynsta-agent-id (and the run from x-cynsta-run-id). */
  headerRouted: boolean;
  /** The route takes x-cynsta-clamp (everything that produces output). */
  clamp: boolean;
  resolve(input: RouteInput): MeteredRequest;
}

const RUN_ROUTE = '/v1/agents/:agent_id/runs/:run_id/:provider';

function explicit(upstreamOperation: (p: Record<string, string>) => UpstreamOperation) {
  return ({ params, body, headers }: RouteInput): MeteredRequest =>
    buildMeteredRequest({
      agentId: params.agent_id,
      runId: params.run_id,
      provider: explicitProvider(params.provider),
      upstreamOperation: upstreamOperation(params),
      body,
      headers,
      explicitRoute: true,
    });
}

function openAiFamily(upstreamOperation: UpstreamOperation) {
  return ({ body, headers, pricedUnder }: RouteInput): MeteredRequest => {
    const agentId = agentFromHeader(headers);
    const model = (body as { model?: unknown } | null)?.model;
    const provider = openAiFamilyProvider(headers, model, pricedUnder);
    return buildMeteredRequest({ agentId, runId: runFromHeader(headers), provider, upstreamOperation, body, headers });
  };
}

export const METERED_ROUTES: readonly MeteredRoute[] = [
  {
    url: `${RUN_ROUTE}/chat/completions`,
    operationId: 'ProxyController_runChat',
    summary: 'Chat Completions (openai, grok) for a run',
    headerRouted: false,
    clamp: true,
    resolve: explicit(() => 'chat.completions'),
  },
  {
    url: `${RUN_ROUTE}/responses`,
    operationId: 'ProxyController_runResponses',
    summary: 'Responses API (openai, grok) for a run',
    headerRouted: false,
    clamp: true,
    resolve: explicit(() => 'responses'),
  },
  {
    url: `${RUN_ROUTE}/embeddings`,
    operationId: 'ProxyController_runEmbeddings',
    summary: 'Embeddings (openai, grok) for a run',
    headerRouted: false,
    clamp: false,
    resolve: explicit(() => 'embeddings'),
  },
  {
    url: `${RUN_ROUTE}/messages`,
    operationId: 'ProxyController_runMessages',
    summary: 'Messages (anthropic) for a run',
    headerRouted: false,
    clamp: true,
    resolve: explicit(() => 'messages'),
  },
  {
    url: `${RUN_ROUTE}/:action`,
    operationId: 'ProxyController_runGemini',
    summary: "generateContent / streamGenerateContent (gemini) for a run; also takes the seed's {model, prompt} body",
    headerRouted: false,
    clamp: true,
    resolve: explicit((p) => p.action as UpstreamOperation),
  },
  {
    url: '/v1/chat/completions',
    operationId: 'ProxyController_chat',
    summary: 'OpenAI / xAI Chat Completions, as the official SDKs call it',
    headerRouted: true,
    clamp: true,
    resolve: openAiFamily('chat.completions'),
  },
  {
    url: '/v1/responses',
    operationId: 'ProxyController_responses',
    summary: 'OpenAI / xAI Responses API',
    headerRouted: true,
    clamp: true,
    resolve: openAiFamily('responses'),
  },
  {
    url: '/v1/embeddings',
    operationId: 'ProxyController_embeddings',
    summary: 'OpenAI / xAI Embeddings',
    headerRouted: true,
    clamp: false,
    resolve: openAiFamily('embeddings'),
  },
  {
    url: '/v1/messages',
    operationId: 'ProxyController_messages',
    summary: 'Anthropic Messages, as the Anthropic SDK calls it',
    headerRouted: true,
    clamp: true,
    resolve: ({ body, headers }) =>
      buildMeteredRequest({ agentId: agentFromHeader(headers), runId: runFromHeader(headers), provider: 'anthropic', upstreamOperation: 'messages', body, headers }),
  },
  {
    url: '/v1beta/models/:modelAction',
    operationId: 'ProxyController_gemini',
    summary: 'Gemini generateContent / streamGenerateContent (path: {model}:{action}), as the Gemini SDK calls it',
    headerRouted: true,
    clamp: true,
    resolve: ({ params, body, headers }) => {
      const { model, operation } = geminiModelAction(params.modelAction);
      return buildMeteredRequest({ agentId: agentFromHeader(headers), runId: runFromHeader(headers), provider: 'gemini', upstreamOperation: operation, model, body, headers });
    },
  },
];
