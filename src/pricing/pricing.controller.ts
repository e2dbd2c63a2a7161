import { Controller, Get } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { PricingDto } from './pricing.dto';
import { PricingService } from './pricing.service';
import { describeRates } from './price-table';

/** Card fields keep the document's number tokens as strings; show them as JSON numbers. */
function withJsonNumbers(rates: ReturnType<typeof describeRates>): ReturnType<typeof describeRates> {
  const numeric = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
  const out: ReturnType<typeof describeRates> = {};
  for (const [provider, models] of Object.entries(rates)) {
    out[provider] = {};
    for (const [model, card] of Object.entries(models)) {
      out[provider][model] = Object.fromEntries(
        Object.entries(card).map(([k, v]) => [k, typeof v === 'string' && numeric.test(v) ? Number(v) : v]),
      );
    }
  }
  return out;
}

@ApiTags('pricing')
@ApiSecurity('api_key')
@Controller('v1/pricing')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get()
  @ZodResponse({ status: 200, type: PricingDto, description: 'the price table in force' })
  show() {
    const active = this.pricing.current();
    const { lastError } = this.pricing.status();
    return {
      available: active !== null,
      source: active?.source ?? null,
      source_ref: active?.sourceRef ?? null,
      version: active?.table.version ?? null,
      generated_at: active?.table.generatedAt.toISOString() ?? null,
      expires_at: active?.table.expiresAt.toISOString() ?? null,
      fetched_at: active?.fetchedAt.toISOString() ?? null,
      verified: active?.verified ?? false,
      last_error: lastError,
      // Checked against the card schema by the response serializer.
      rates: (active ? withJsonNumbers(describeRates(active.table)) : {}) as PricingDto['rates'],
    };
  }
}
