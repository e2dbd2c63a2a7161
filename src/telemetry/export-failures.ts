// The SDK reports failed exports through its global diagnostics, which are silent unless a
// process-wide logger is installed; this exporter says it in our log instead, at most once a
// minute, so an operator whose backend shows nothing can find out why.
import type { Logger } from '@nestjs/common';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

type ExportCallback = Parameters<SpanExporter['export']>[1];
type ExportResult = Parameters<ExportCallback>[0];

/** ExportResultCode.SUCCESS of @opentelemetry/core (not a dependency of ours). */
const SUCCESS = 0;
const LOG_EVERY_MS = 60_000;

export class FailureLoggingExporter implements SpanExporter {
  private failedSpans = 0;
  private lastLogAt = -Infinity;

  constructor(
    private readonly inner: SpanExporter,
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    this.inner.export(spans, (result: ExportResult) => {
      if (result.code !== SUCCESS) this.failed(spans.length, result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private failed(count: number, error: Error | undefined): void {
    this.failedSpans += count;
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    this.lastLogAt = now;
    this.logger.warn({ msg: 'telemetry export failed; spans dropped', url: this.url, dropped_spans: this.failedSpans, error: error?.message });
  }
}
