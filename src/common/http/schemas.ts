// Small schema pieces shared by the DTOs of several modules.
import { z } from 'zod';

/** Text that Postgres can store and logs can show: no NUL or other control characters. */
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters');

/**
 * A non-empty string or null. For a bare `z.string().nullable()` zod emits
 * `type: ["string", "null"]`, which @nestjs/swagger misreads as an array of strings; with a
 * constraint on the string it emits `anyOf`, which it reads right (nestjs-zod #473).
 */
export const stringOrNull = z.string().min(1).nullable();

export const isoDateTime = z.iso.datetime({ offset: true });

export const emptyBodySchema = z.object({}).strict();
