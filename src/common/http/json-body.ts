// JSON request bodies, as Fastify parses them (proto-poisoning safe), with one difference the
// seed's clients need (SPEC §2): an empty body sent with `content-type: application/json` — what
// the seed CLI sends on `agent delete` and `run create` — is no body at all, not a 400. The
// preValidation hook then reads it as `{}`, so each route's schema decides what is missing.
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBodies(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).length === 0) {
      done(null, undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
