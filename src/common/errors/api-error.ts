// The one exception type services throw for an expected failure. `message` is public; anything
// internal goes to the log, never into the body.
import { ERROR_CODES, ErrorCode } from './error-codes';

export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra top-level fields that help the client, e.g. `required_cents` on a 402. */
    readonly extra: Record<string, unknown> = {},
    /** Extra response headers, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
    /** The seed's `detail` for this refusal, when it differs per case (seed-details.ts). */
    readonly detail?: string,
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
  }
}

export interface ErrorBody {
  detail: string;
  error: { type: string; code: string; message: string };
  request_id?: string;
  [extra: string]: unknown;
}

/**
 * `detail` is the seed's string where the seed had one (what seed clients print and match), else
 * the message; `error.message` is always our own sentence (what the OpenAI SDKs print).
 */
export function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}, detail?: string): ErrorBody {
  const def: { type: string; seed?: string } = ERROR_CODES[code];
  return { detail: detail ?? def.seed ?? message, error: { type: def.type, code, message }, ...extra };
}
