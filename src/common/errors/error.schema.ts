// The published shape of every error body (SPEC §8), added to each operation of the OpenAPI
// document as its 4XX and 5XX answer.
import { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

export const errorBodySchema = z
  .object({
    detail: z.string().describe("the message (the seed's clients read this)"),
    error: z.object({
      type: z.string().describe('category, e.g. invalid_request_error, insufficient_budget'),
      code: z.string().describe('stable code to branch on, e.g. agent_not_found'),
      message: z.string().describe('the message (OpenAI SDKs read this)'),
    }),
    request_id: z.string().optional(),
  })
  .catchall(z.unknown())
  .describe('An error; extra top-level fields help, e.g. required_cents on a 402');

export function documentErrors(doc: OpenAPIObject): OpenAPIObject {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(errorBodySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Error: schema } };
  const response = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  for (const item of Object.values(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      op.responses['4XX'] ??= response('the request cannot be served as sent');
      op.responses['5XX'] ??= response('the service or a dependency failed');
    }
  }
  return doc;
}
