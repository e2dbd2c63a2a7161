// The OpenAPI description of the metered routes (they are plain Fastify routes, which Nest's
// document scanner does not see): one operation per entry of METERED_ROUTES, in the shape the
// admin routes get from their decorators. documentErrors() adds the 4XX / 5XX error bodies.
import type { OpenAPIObject } from '@nestjs/swagger';
import { METERED_ROUTES, MeteredRoute } from './metered-routes';

const NATIVE = { type: 'object', additionalProperties: true };

const HEADERS = {
  agent: { name: 'x-cynsta-agent-id', in: 'header', required: true, description: 'the agent whose budget pays', schema: { type: 'string' } },
  run: { name: 'x-cynsta-run-id', in: 'header', required: false, description: 'groups calls; generated when absent and echoed back', schema: { type: 'string' } },
  clamp: {
    name: 'x-cynsta-clamp',
    in: 'header',
    required: false,
    description: "'off': answer 402 instead of shrinking the output cap to the budget",
    schema: { type: 'string' },
  },
};

/** `/v1/agents/:agent_id/…` → `/v1/agents/{agent_id}/…`, and the names of its parameters. */
function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:(\w+)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

function operation(route: MeteredRoute, params: string[]) {
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: ['metered proxy'],
    security: [{ api_key: [] }],
    parameters: [
      ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...(route.headerRouted ? [HEADERS.agent, HEADERS.run] : []),
      ...(route.clamp ? [HEADERS.clamp] : []),
    ],
    requestBody: {
      required: true,
      description: "the provider's own request body, passed on unchanged but for the output cap",
      content: { 'application/json': { schema: NATIVE } },
    },
    responses: {
      200: {
        description:
          "the provider's own answer, unchanged (an SSE stream when the request streams); headers x-cynsta-run-id, x-cynsta-request-id, x-cynsta-reserved-cents, x-cynsta-max-tokens, and on whole answers x-cynsta-cost-cents and x-cynsta-remaining-cents",
        content: { 'application/json': { schema: NATIVE } },
      },
    },
  };
}

export function documentMeteredRoutes(doc: OpenAPIObject): OpenAPIObject {
  for (const route of METERED_ROUTES) {
    const { path, params } = openApiPath(route.url);
    doc.paths[path] = { ...doc.paths[path], post: operation(route, params) } as OpenAPIObject['paths'][string];
  }
  return doc;
}
