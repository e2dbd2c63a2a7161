// Every error the API can answer, by stable code, mapped to its HTTP status and category in one
// place (Hoppscotch src/errors.ts, Unkey pkg/codes). Clients branch on `error.code`.
import { SEED_DETAIL } from './seed-details';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'insufficient_budget'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'service_unavailable'
  | 'api_error';

/** `seed`: the seed's `detail` for this refusal when it is always the same string (seed-details.ts). */
const def = (status: number, type: ErrorType, seed?: string) => ({ status, type, seed });

export const ERROR_CODES = {
  validation_failed: def(400, 'invalid_request_error'),
  invalid_json: def(400, 'invalid_request_error'),
  invalid_cursor: def(400, 'invalid_request_error'),
  missing_agent_header: def(400, 'invalid_request_error', SEED_DETAIL.missingAgentHeader),
  unknown_model: def(400, 'invalid_request_error'),
  // A group move or parent that would make the group its own ancestor, or a chain past 8 groups.
  group_cycle: def(400, 'invalid_request_error'),
  group_too_deep: def(400, 'invalid_request_error'),
  // Refused by Node's HTTP parser, before any route (src/common/http/client-error-handler.ts).
  invalid_header: def(400, 'invalid_request_error'),
  invalid_framing: def(400, 'invalid_request_error'),
  malformed_request: def(400, 'invalid_request_error'),
  unauthenticated: def(401, 'authentication_error'),
  invalid_api_key: def(401, 'authentication_error'),
  insufficient_budget: def(402, 'insufficient_budget', SEED_DETAIL.insufficient),
  insufficient_scope: def(403, 'permission_error'),
  operator_only: def(403, 'permission_error'),
  tenant_budget_operator_only: def(403, 'permission_error'),
  tenant_key_required: def(403, 'permission_error'),
  route_not_found: def(404, 'not_found_error'),
  agent_not_found: def(404, 'not_found_error', SEED_DETAIL.agentNotFound),
  budget_not_found: def(404, 'not_found_error', SEED_DETAIL.budgetNotFound),
  run_not_found: def(404, 'not_found_error'),
  group_not_found: def(404, 'not_found_error'),
  api_key_not_found: def(404, 'not_found_error'),
  tenant_not_found: def(404, 'not_found_error'),
  provider_key_not_found: def(404, 'not_found_error'),
  not_in_sidecar_mode: def(404, 'not_found_error'),
  agent_locked: def(409, 'conflict_error', SEED_DETAIL.agentLocked),
  agent_exists: def(409, 'conflict_error'),
  group_not_empty: def(409, 'conflict_error'),
  request_timeout: def(408, 'invalid_request_error'),
  idempotency_in_progress: def(409, 'conflict_error'),
  payload_too_large: def(413, 'invalid_request_error'),
  unsupported_media_type: def(415, 'invalid_request_error'),
  idempotency_key_reused: def(422, 'invalid_request_error'),
  rate_limited: def(429, 'rate_limit_error'),
  headers_too_large: def(431, 'invalid_request_error'),
  internal_error: def(500, 'api_error'),
  upstream_error: def(502, 'upstream_error'),
  database_unavailable: def(503, 'service_unavailable'),
  lock_service_unavailable: def(503, 'service_unavailable'),
  pricing_unavailable: def(503, 'service_unavailable'),
  provider_not_configured: def(503, 'service_unavailable'),
  provider_keys_disabled: def(503, 'service_unavailable'),
  shutting_down: def(503, 'service_unavailable'),
  upstream_timeout: def(504, 'upstream_error'),
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
