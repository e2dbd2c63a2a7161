// Serves METERED_ROUTES on the app's Fastify instance: authenticate (as every route does, through
// ApiKeyAuthService), check the key may spend (`cap:use`, inside a tenant), read the route, hand
// the call to ProxyService. Errors get the §8 body, as from the app's exception filter.
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuthService } from '../auth/api-key-auth.service';
import { requireTenantScope } from '../auth/auth-context';
import { toErrorResponse } from '../common/errors/to-error-response';
import { Provider } from '../pricing/price-card';
import { findCard } from '../pricing/price-table';
import { PricingService } from '../pricing/pricing.service';
import { ClientGone } from './call-scope';
import { METERED_ROUTES, MeteredRoute } from './metered-routes';
import { ProxyService } from './proxy.service';

const logger = new Logger('errors');

function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
  if (err instanceof ClientGone) {
    // Not an error of ours: the call was settled or released for what it used (stream-relay.ts).
    request.log.info({ request_id: request.id }, 'client hung up before the answer was complete');
    reply.raw.destroy();
    return;
  }
  const res = toErrorResponse(err, request.id);
  if (res.unexpected) logger.error({ msg: 'unhandled error', request_id: request.id, err: String((err as Error)?.stack ?? err) });
  if (reply.sent || reply.raw.headersSent) {
    // Part of the answer is already on its way (a stream): the error cannot be sent any more.
    reply.raw.destroy();
    return;
  }
  void reply.status(res.status).headers(res.headers).send(res.body);
}

export function registerMeteredRoutes(app: NestFastifyApplication): void {
  const keys = app.get(ApiKeyAuthService);
  const proxy = app.get(ProxyService);
  const pricing = app.get(PricingService);
  const pricedUnder = (provider: Provider, model: string): boolean => {
    const active = pricing.current();
    return !!active && !!findCard(active.table, provider, model);
  };

  const serve = (route: MeteredRoute) =>
    async function metered(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
      try {
        const auth = requireTenantScope(await keys.authenticateRequest(request.headers, request.ip), 'cap:use');
        const m = route.resolve({ params: request.params as Record<string, string>, body: request.body, headers: request.headers, pricedUnder });
        await proxy.handle(m, { auth, request, reply });
      } catch (err) {
        sendError(request, reply, err);
      }
      return reply;
    };

  const fastify = app.getHttpAdapter().getInstance();
  for (const route of METERED_ROUTES) fastify.post(route.url, serve(route));
}
