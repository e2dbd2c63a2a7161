// Small schema pieces shared by the DTOs of several modules.
import { z } from 'zod';

/** Text that Postgres can store and logs can show: no NUL or other control characters. */
export const displayName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

export const isoDateTime = z.iso.datetime({ offset: true });

export const emptyBodySchema = z.object({}).strict();
