// Builds the HTTP application on Fastify: logging with request ids, body limits, metrics hooks and
// the OpenAPI document. Errors Fastify raises itself (body parsing, size limit) reach our
// exception filter through Nest's own Fastify error handler; what Node's HTTP parser refuses
// before Fastify (bad header bytes, framing, 431) is answered by clientErrorHandler.
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { AppModule } from './app.module';
import { createRootLogger, PinoNestLogger } from './common/logging/logger';
import { documentErrors } from './common/errors/error.schema';
import { clientErrorHandler } from './common/http/client-error-handler';
import { trackConnections } from './common/http/graceful-close';
import { toErrorResponse } from './common/errors/to-error-response';
import { requestIdFrom } from './common/http/ids';
import { acceptEmptyJsonBodies } from './common/http/json-body';
import { AppConfig } from './config/config.schema';
import { MetricsService } from './metrics/metrics.service';
import { documentMeteredRoutes } from './proxy/metered-routes.openapi';
import { registerMeteredRoutes } from './proxy/register-metered-routes';


const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  'x-cynsta-run-id',
  'x-cynsta-request-id',
  'x-cynsta-reserved-cents',
  'x-cynsta-max-tokens',
  'x-cynsta-cost-cents',
  'x-cynsta-remaining-cents',
  'idempotent-replayed',
  'retry-after',
];

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('SpendGuard')
    .setDescription('Budget control plane for LLM agents: hard spending caps, reserved before and settled after every call.')
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api_key')
    .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'bearer')
    .build();
  return documentErrors(documentMeteredRoutes(cleanupOpenApiDoc(SwaggerModule.createDocument(app, config), { version: '3.1' })));
}

export async function createApp(config: AppConfig, databaseUrl: string, logger = createRootLogger(config.logLevel)): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBodyBytes,
    // Run ids may be 128 characters; longer parameters are refused by us, not by Fastify.
    routerOptions: { maxParamLength: 512 },
    // Errors Fastify raises while routing (a malformed URL, an over-long parameter), in our shape.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const res = toErrorResponse(error, request.id);
      void reply.status(res.status).headers(res.headers).send(res.body);
    },
    // What Node's HTTP parser refuses (bad header bytes, framing, 431), in our shape too.
    clientErrorHandler,
    trustProxy: config.trustProxy,
    genReqId: (req: { headers: Record<string, unknown> }) => requestIdFrom(req.headers['x-request-id']),
    // One log line per request, written by our onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    loggerInstance: logger,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // JSON only: Nest's form parser would let a plain HTML form on any web page, which needs no
    // CORS preflight, write to a key-less sidecar.
    bodyParser: false,
  });
  // Browser apps on CAP_ALLOWED_ORIGINS may call us (the seed's CORS: every method and header);
  // the answers' x-cynsta-* headers are readable to them.
  app.enableCors({
    origin: config.allowedOrigins.includes('*') ? true : config.allowedOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  acceptEmptyJsonBodies(fastify);
  trackConnections(app);
  const metrics = app.get(MetricsService);

  // While shutting down, answers ask keep-alive clients to hang up, so the server can close
  // as soon as the requests in flight are answered.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  fastify.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  // Bodiless POSTs (`curl -X POST …/runs`) validate as `{}`, so schemas decide what is missing.
  fastify.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'HEAD') request.body = {};
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });
  registerMeteredRoutes(app);
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  return app;
}
