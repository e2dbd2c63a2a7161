import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { BUDGET_LEVELS } from '../budgets/levels';
import { runIdSchema } from '../common/http/ids';
import { PROVIDERS } from '../pricing/price-card';

const OPERATIONS = ['chat.completions', 'responses', 'embeddings', 'messages', 'generateContent'] as const;
const microcents = z.string().regex(/^-?\d+$/);

/** A provider request body as it would be sent, plus where it would go. */
export const estimateRequestSchema = z
  .object({
    provider: z.enum(PROVIDERS).describe('openai, grok, anthropic or gemini'),
    operation: z.enum(OPERATIONS).describe('chat.completions, responses, embeddings, messages or generateContent'),
    model: z.string().min(1).max(256).describe('the model (for Gemini too, whose calls name it in the URL)'),
    run_id: runIdSchema.optional().describe('the run the call would belong to (its budget counts too)'),
    clamp: z.boolean().default(true).describe('false: as x-cynsta-clamp: off (refuse rather than shrink the output cap)'),
  })
  .loose()
  .describe('the rest of the body is the provider request, as it would be sent');

const levelSchema = z.object({
  level: z.enum(BUDGET_LEVELS),
  level_id: z.string(),
  remaining_cents: z.number().int(),
  remaining_microcents: microcents,
  would_hold_microcents: microcents.describe('what the call would hold on this level (the same on every level)'),
  fits: z.boolean(),
});

export const estimateSchema = z.object({
  agent_id: z.string(),
  provider: z.enum(PROVIDERS),
  model: z.string(),
  input_tokens: z.number().int().describe('the input estimate, never below what the provider bills'),
  requested_max_tokens: z.number().int().nullable().describe("the request's own output cap, if any"),
  max_tokens: z.number().int().nullable().describe('the output cap the call would be sent with (null: refused, or embeddings)'),
  clamped: z.boolean().describe('the cap was shrunk to what the budget affords (the seed clamp)'),
  hold_cents: z.number().int().describe('rounded up'),
  hold_microcents: microcents,
  allowed: z.boolean().describe('the call would be admitted now'),
  refused_by: z
    .object({ level: z.enum(BUDGET_LEVELS), level_id: z.string(), required_cents: z.number().int(), remaining_cents: z.number().int() })
    .nullable()
    .describe('the level that would refuse it (the one with least room), as its 402 would say'),
  levels: z.array(levelSchema).describe("every budget on the call's path, outermost first"),
});

export class EstimateRequestDto extends createZodDto(estimateRequestSchema) {}
export class EstimateDto extends createZodDto(estimateSchema) {}
