// Calls to the providers: one keep-alive undici pool for all of them, a timeout per call, the
// provider key from config (never the caller's key), and only an allowlist of client headers.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Agent, Dispatcher, request } from 'undici';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig, ProviderName } from '../config/config.schema';
import { ProviderKeysService } from '../provider-keys/provider-keys.service';
import { UpstreamOperation } from './metered-request';

/** Client headers that shape the provider's behaviour and carry no credentials. */
const FORWARDED_HEADERS = ['anthropic-beta', 'openai-beta', 'openai-organization', 'openai-project'];

export type UpstreamFailure = 'timeout' | 'network';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function classifyUpstreamError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const kind: UpstreamFailure = TIMEOUT_CODES.has(code) || (err as Error)?.name === 'TimeoutError' ? 'timeout' : 'network';
  return new UpstreamError(kind, `${code || (err as Error)?.name || 'error'}: ${(err as Error)?.message ?? String(err)}`);
}

@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  private readonly dispatcher: Agent;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenantKeys: ProviderKeysService,
  ) {
    const timeout = config.proxy.upstreamTimeoutMs;
    this.dispatcher = new Agent({
      connections: config.proxy.upstreamConnections,
      keepAliveTimeout: 30_000,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: Math.min(timeout, 10_000),
    });
  }

  /** By now the HTTP server has drained; whatever upstream socket is left is idle or stuck. */
  async onApplicationShutdown(): Promise<void> {
    const closed = this.dispatcher.close().catch(() => undefined);
    const timer = new Promise((r) => setTimeout(r, 1_000).unref());
    await Promise.race([closed, timer]);
    await this.dispatcher.destroy().catch(() => undefined);
  }

  /**
   * The provider key to use: the tenant's own (hosted, PUT /v1/provider-keys), else the one in
   * this instance's environment; 503 before anything is reserved when there is none.
   */
  async apiKey(tenantId: string, provider: ProviderName): Promise<string> {
    const key = (await this.tenantKeys.keyFor(tenantId, provider)) ?? this.config.proxy.upstreams[provider].apiKey;
    if (!key) {
      throw new ApiError('provider_not_configured', `no API key for ${provider}: store one with PUT /v1/provider-keys/${provider} (hosted) or set ${KEY_VARS[provider]} where SpendGuard runs`);
    }
    return key;
  }

  url(provider: ProviderName, operation: UpstreamOperation, model: string): string {
    const base = this.config.proxy.upstreams[provider].baseUrl;
    switch (operation) {
      case 'chat.completions':
        return `${base}/chat/completions`;
      case 'responses':
        return `${base}/responses`;
      case 'embeddings':
        return `${base}/embeddings`;
      case 'messages':
        return `${base}/v1/messages`;
      case 'generateContent':
        return `${base}/v1beta/models/${encodeURIComponent(model)}:generateContent`;
      case 'streamGenerateContent':
        return `${base}/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`;
    }
  }

  headers(provider: ProviderName, key: string, clientHeaders: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of FORWARDED_HEADERS) {
      const v = clientHeaders[name];
      if (typeof v === 'string') out[name] = v;
    }
    switch (provider) {
      case 'openai':
      case 'grok':
        out.authorization = `Bearer ${key}`;
        break;
      case 'anthropic':
        out['x-api-key'] = key;
        out['anthropic-version'] =
          typeof clientHeaders['anthropic-version'] === 'string' ? clientHeaders['anthropic-version'] : this.config.proxy.anthropicVersion;
        break;
      case 'gemini':
        out['x-goog-api-key'] = key;
        break;
    }
    return out;
  }

  async send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(url, { method: 'POST', headers, body, signal, dispatcher: this.dispatcher });
    } catch (err) {
      throw classifyUpstreamError(err);
    }
  }

  /** Reads a whole (non-streamed) answer, up to CAP_MAX_RESPONSE_BYTES. */
  async readAll(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > this.config.proxy.maxResponseBytes) {
          body.destroy();
          throw new UpstreamError('network', `answer larger than CAP_MAX_RESPONSE_BYTES (${this.config.proxy.maxResponseBytes})`);
        }
        parts.push(chunk as Buffer);
      }
    } catch (err) {
      throw classifyUpstreamError(err);
    }
    return Buffer.concat(parts, size);
  }
}

const KEY_VARS: Record<ProviderName, string> = {
  openai: 'OPENAI_API_KEY',
  grok: 'XAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
};
