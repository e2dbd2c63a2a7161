// OpenTelemetry export of metered calls (docs/telemetry.md). Off unless CAP_INGEST_URL and its key
// are set: then CALL_OBSERVER is null, the SDK is never even loaded, and the proxy does no extra
// work. On, it is the TelemetryService, which owns the SDK.
import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config.schema';
import { CALL_OBSERVER } from '../proxy/call-observer';

@Module({
  providers: [
    {
      provide: CALL_OBSERVER,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        if (!config.telemetry) return null;
        const { TelemetryService } = await import('./telemetry.service');
        return new TelemetryService(config, config.telemetry);
      },
    },
  ],
  exports: [CALL_OBSERVER],
})
export class TelemetryModule {}
