// The metered routes of SPEC §4: explicit run routes (the seed's) and header-routed drop-in
// routes for the official SDKs. Each reads its route into a MeteredRequest; ProxyService does
// the rest and writes the answer itself (streams included).
import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth, RequireScope } from '../auth/auth.decorators';
import { SkipIdempotency } from '../common/idempotency/idempotency.interceptor';
import { Provider } from '../pricing/price-card';
import { findCard } from '../pricing/price-table';
import { PricingService } from '../pricing/pricing.service';
import { UpstreamOperation } from './metered-request';
import { ProxyService } from './proxy.service';
import {
  agentFromHeader,
  buildMeteredRequest,
  explicitProvider,
  geminiModelAction,
  openAiFamilyProvider,
  runFromHeader,
} from './route-resolution';

type Headers = Record<string, string | string[] | undefined>;

const nativeBody = ApiBody({ description: "the provider's own request body, passed on unchanged but for the output cap", schema: { type: 'object', additionalProperties: true } });
const nativeAnswer = ApiOkResponse({
  description:
    "the provider's own answer, unchanged (an SSE stream when the request streams); headers x-cynsta-run-id, x-cynsta-request-id, x-cynsta-reserved-cents, x-cynsta-max-tokens, and on whole answers x-cynsta-cost-cents and x-cynsta-remaining-cents",
  schema: { type: 'object', additionalProperties: true },
});
const agentHeader = ApiHeader({ name: 'x-cynsta-agent-id', required: true, description: 'the agent whose budget pays' });
const runHeader = ApiHeader({ name: 'x-cynsta-run-id', required: false, description: 'groups calls; generated when absent and echoed back' });
const clampHeader = ApiHeader({ name: 'x-cynsta-clamp', required: false, description: "'off': answer 402 instead of shrinking the output cap to the budget" });

@ApiTags('metered proxy')
@ApiSecurity('api_key')
@RequireScope('cap:use')
@SkipIdempotency()
@Controller()
export class ProxyController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly pricing: PricingService,
  ) {}

  private run(auth: TenantAuth, reply: FastifyReply, input: Parameters<typeof buildMeteredRequest>[0]) {
    return this.proxy.handle(buildMeteredRequest(input), { auth, request: reply.request, reply });
  }

  private pricedUnder = (provider: Provider, model: string): boolean => {
    const active = this.pricing.current();
    return !!active && !!findCard(active.table, provider, model);
  };

  // Explicit run routes (the seed's): /v1/agents/{agent_id}/runs/{run_id}/{provider}/{op}

  @Post('v1/agents/:agent_id/runs/:run_id/:provider/chat/completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Chat Completions (openai, grok) for a run' })
  @nativeBody
  @nativeAnswer
  @clampHeader
  runChat(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Param('provider') provider: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    return this.run(auth, reply, { agentId, runId, provider: explicitProvider(provider), upstreamOperation: 'chat.completions', body, headers: reply.request.headers });
  }

  @Post('v1/agents/:agent_id/runs/:run_id/:provider/responses')
  @HttpCode(200)
  @ApiOperation({ summary: 'Responses API (openai, grok) for a run' })
  @nativeBody
  @nativeAnswer
  @clampHeader
  runResponses(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Param('provider') provider: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    return this.run(auth, reply, { agentId, runId, provider: explicitProvider(provider), upstreamOperation: 'responses', body, headers: reply.request.headers });
  }

  @Post('v1/agents/:agent_id/runs/:run_id/:provider/embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Embeddings (openai, grok) for a run' })
  @nativeBody
  @nativeAnswer
  runEmbeddings(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Param('provider') provider: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    return this.run(auth, reply, { agentId, runId, provider: explicitProvider(provider), upstreamOperation: 'embeddings', body, headers: reply.request.headers });
  }

  @Post('v1/agents/:agent_id/runs/:run_id/:provider/messages')
  @HttpCode(200)
  @ApiOperation({ summary: 'Messages (anthropic) for a run' })
  @nativeBody
  @nativeAnswer
  @clampHeader
  runMessages(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Param('provider') provider: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    return this.run(auth, reply, { agentId, runId, provider: explicitProvider(provider), upstreamOperation: 'messages', body, headers: reply.request.headers });
  }

  @Post('v1/agents/:agent_id/runs/:run_id/:provider/:action')
  @HttpCode(200)
  @ApiOperation({ summary: "generateContent / streamGenerateContent (gemini) for a run; also takes the seed's {model, prompt} body" })
  @nativeBody
  @nativeAnswer
  @clampHeader
  runGemini(@CurrentAuth() auth: TenantAuth, @Param('agent_id') agentId: string, @Param('run_id') runId: string, @Param('provider') provider: string, @Param('action') action: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    return this.run(auth, reply, { agentId, runId, provider: explicitProvider(provider), upstreamOperation: action as UpstreamOperation, body, headers: reply.request.headers });
  }

  // Header-routed drop-in routes: the agent comes from x-cynsta-agent-id.

  @Post('v1/chat/completions')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI / xAI Chat Completions, as the official SDKs call it' })
  @nativeBody
  @nativeAnswer
  @agentHeader
  @runHeader
  @clampHeader
  chat(@CurrentAuth() auth: TenantAuth, @Body() body: unknown, @Res() reply: FastifyReply) {
    const h = reply.request.headers;
    return this.openAiFamily(auth, reply, 'chat.completions', body, h);
  }

  @Post('v1/responses')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI / xAI Responses API' })
  @nativeBody
  @nativeAnswer
  @agentHeader
  @runHeader
  @clampHeader
  responses(@CurrentAuth() auth: TenantAuth, @Body() body: unknown, @Res() reply: FastifyReply) {
    const h = reply.request.headers;
    return this.openAiFamily(auth, reply, 'responses', body, h);
  }

  @Post('v1/embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'OpenAI / xAI Embeddings' })
  @nativeBody
  @nativeAnswer
  @agentHeader
  @runHeader
  embeddings(@CurrentAuth() auth: TenantAuth, @Body() body: unknown, @Res() reply: FastifyReply) {
    const h = reply.request.headers;
    return this.openAiFamily(auth, reply, 'embeddings', body, h);
  }

  @Post('v1/messages')
  @HttpCode(200)
  @ApiOperation({ summary: 'Anthropic Messages, as the Anthropic SDK calls it' })
  @nativeBody
  @nativeAnswer
  @agentHeader
  @runHeader
  @clampHeader
  messages(@CurrentAuth() auth: TenantAuth, @Body() body: unknown, @Res() reply: FastifyReply) {
    const h = reply.request.headers;
    return this.run(auth, reply, { agentId: agentFromHeader(h), runId: runFromHeader(h), provider: 'anthropic', upstreamOperation: 'messages', body, headers: h });
  }

  @Post('v1beta/models/:modelAction')
  @HttpCode(200)
  @ApiOperation({ summary: 'Gemini generateContent / streamGenerateContent (path: {model}:{action}), as the Gemini SDK calls it' })
  @nativeBody
  @nativeAnswer
  @agentHeader
  @runHeader
  @clampHeader
  gemini(@CurrentAuth() auth: TenantAuth, @Param('modelAction') modelAction: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    const h = reply.request.headers;
    const { model, operation } = geminiModelAction(modelAction);
    return this.run(auth, reply, { agentId: agentFromHeader(h), runId: runFromHeader(h), provider: 'gemini', upstreamOperation: operation, model, body, headers: h });
  }

  private openAiFamily(auth: TenantAuth, reply: FastifyReply, op: UpstreamOperation, body: unknown, h: Headers) {
    const agentId = agentFromHeader(h);
    const model = (body as { model?: unknown } | null)?.model;
    const provider = openAiFamilyProvider(h, model, this.pricedUnder);
    return this.run(auth, reply, { agentId, runId: runFromHeader(h), provider, upstreamOperation: op, body, headers: h });
  }
}

