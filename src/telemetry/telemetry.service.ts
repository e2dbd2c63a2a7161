// Owns the OpenTelemetry SDK's tracer provider when telemetry is configured: a BatchSpanProcessor
// with a bounded queue in front of the OTLP/HTTP (JSON) exporter, flushed and shut down with the
// app. It observes metered calls (CallObserver) and turns each one into its spans after the call
// has answered, so exporting never adds to a call's latency: a slow or dead backend only fills
// the queue, and past its bound spans are dropped (and the drop logged), never waited for.
//
// The provider is not registered globally (no context manager, no propagators): spans are made
// here with explicit parents and times, and several apps in one process (the tests) stay apart.
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { AppConfig, TelemetryConfig } from '../config/config.schema';
import type { Provider } from '../pricing/price-card';
import type { CallObserver } from '../proxy/call-observer';
import type { MeteredRequest } from '../proxy/metered-request';
import { CallRecord, MAX_CAPTURED_CHARS } from './call-record';
import { SpanOptions, writeCallSpans } from './call-spans';
import { FailureLoggingExporter } from './export-failures';

/** Limits of the export pipeline. A full queue drops new spans; nothing waits on the backend. */
export const TELEMETRY_LIMITS = {
  /** Spans waiting for export (two per call). */
  maxQueueSize: 2_048,
  /** Spans per OTLP request. */
  maxExportBatchSize: 256,
  /** How long a span waits for its batch to fill before it is sent anyway. */
  scheduledDelayMs: 1_000,
  /** One OTLP request, retries included, before it is given up. */
  exportTimeoutMs: 10_000,
  /** OTLP requests in flight at once. */
  concurrentExports: 4,
  /** On shutdown, how long the last spans may take to leave (within the process's own exit bound). */
  shutdownFlushMs: 3_000,
} as const;

const SERVICE_VERSION = '0.1.0';

export class TelemetryService implements CallObserver, OnApplicationShutdown {
  private readonly logger = new Logger('telemetry');
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly spanOptions: SpanOptions;

  constructor(
    private readonly config: AppConfig,
    telemetry: TelemetryConfig,
  ) {
    // CAP_INGEST_URL is the full traces endpoint, as the seed took it: nothing is appended.
    const otlp = new OTLPTraceExporter({
      url: telemetry.url,
      headers: { 'x-api-key': telemetry.apiKey },
      timeoutMillis: TELEMETRY_LIMITS.exportTimeoutMs,
      concurrencyLimit: TELEMETRY_LIMITS.concurrentExports,
    });
    const exporter = new FailureLoggingExporter(otlp, withoutCredentials(telemetry.url), this.logger);
    this.provider = new TracerProvider({
      resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: telemetry.serviceName, [ATTR_SERVICE_VERSION]: SERVICE_VERSION })),
      sampler: new AlwaysOnSampler(),
      // Captured content is cut to this length too, whatever builds it.
      spanLimits: { attributeValueLengthLimit: MAX_CAPTURED_CHARS },
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          maxQueueSize: TELEMETRY_LIMITS.maxQueueSize,
          maxExportBatchSize: TELEMETRY_LIMITS.maxExportBatchSize,
          scheduledDelayMillis: TELEMETRY_LIMITS.scheduledDelayMs,
          exportTimeoutMillis: TELEMETRY_LIMITS.exportTimeoutMs,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('spendguard', SERVICE_VERSION);
    this.spanOptions = { capture: config.capturePromptResponse, hosted: config.mode === 'hosted', upstreams: upstreamAddresses(config) };
  }

  begin(m: MeteredRequest, tenantId: string, requestId: string): CallRecord {
    return new CallRecord(m, tenantId, requestId, this.config.capturePromptResponse, (record) => {
      // After the call's own continuation: hashing a large prompt, or a full batch being
      // serialized for export, then happens outside the time the client waits.
      setImmediate(() => this.write(record));
    });
  }

  /** Sends every finished span now (tests; shutdown). */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Calls that ended just before shutdown have their spans written on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, TELEMETRY_LIMITS.shutdownFlushMs);
      timer.unref();
    });
    await Promise.race([this.provider.shutdown().catch(() => undefined), bound]);
    clearTimeout(timer);
  }

  private write(record: CallRecord): void {
    try {
      writeCallSpans(this.tracer, record, this.spanOptions);
    } catch (err) {
      this.logger.warn({ msg: 'could not make the spans of a call', request_id: record.requestId, error: (err as Error).message });
    }
  }
}

function upstreamAddresses(config: AppConfig): Record<Provider, { address: string; port: number }> {
  const at = (base: string) => {
    const url = new URL(base);
    return { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
  };
  const u = config.proxy.upstreams;
  return { openai: at(u.openai.baseUrl), grok: at(u.grok.baseUrl), anthropic: at(u.anthropic.baseUrl), gemini: at(u.gemini.baseUrl) };
}

function withoutCredentials(raw: string): string {
  const url = new URL(raw);
  return `${url.origin}${url.pathname}`;
}
