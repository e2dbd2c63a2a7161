// The one platform-agnostic exception filter (replies through HttpAdapterHost, since
// Express-style res.status().json() does not exist on Fastify).
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { toErrorResponse } from './to-error-response';

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('errors');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<{ id?: string }>();
    const reply = ctx.getResponse();
    const res = toErrorResponse(exception, request?.id);
    if (res.unexpected) {
      this.logger.error({ msg: 'unhandled error', request_id: request?.id, err: String((exception as Error)?.stack ?? exception) });
    }
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(res.headers)) adapter.setHeader(reply, name, value);
    adapter.reply(reply, res.body, res.status);
  }
}
