// A typed client of the SpendGuard API: openapi-fetch over the types generated from the server's
// own OpenAPI document (openapi.ts beside this file, `npm run client:generate`). Every call goes
// through `unwrap`, which turns an error answer into an ApiError carrying the seed's message
// (`HTTP <status>: <detail>`) and a network failure into a RequestFailedError.
import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from './openapi';

export type { components, paths } from './openapi';
export type Schemas = components['schemas'];
export type Agent = Schemas['AgentDto_Output'];
export type Budget = Schemas['BudgetDto_Output'];
export type Group = Schemas['GroupDto_Output'];
/** A budget on any level of SPEC §10 (tenant, group, agent, run), with its level and level id. */
export type LevelBudget = Schemas['LevelBudgetDto_Output'];
export type CreditedLevelBudget = Schemas['CreditedLevelBudgetDto_Output'];
export type Run = Schemas['RunDto_Output'];
export type CreatedRun = Schemas['CreatedRunDto_Output'];
export type LedgerEntry = Schemas['LedgerEntry_Output'];
export type ApiKey = Schemas['ApiKeyDto_Output'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto_Output'];
export type Tenant = Schemas['TenantListDto_Output']['tenants'][number];
export type CreatedTenant = Schemas['CreatedTenantDto_Output'];
export type Pricing = Schemas['PricingDto_Output'];

export type SpendGuardClient = Client<paths>;

/** The seed's CLI waited 30 s for an answer; so do we unless told otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `x-api-key`, where the seed's CLI sent it. */
  apiKey?: string;
  timeoutMs?: number;
}

export function createSpendGuardClient(opts: ClientOptions): SpendGuardClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: opts.apiKey ? { 'x-api-key': opts.apiKey } : {},
    fetch: (request: Request) => fetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });
}

/** An error answer from the service; the message is the seed's `HTTP <status>: <detail>`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${detail}`);
  }
}

/** No answer at all (refused, reset, timed out); the message is the seed's `Request failed: …`. */
export class RequestFailedError extends Error {
  constructor(reason: string) {
    super(`Request failed: ${reason}`);
  }
}

/** `detail` of a SPEC §8 error body, else the body as text, as the seed's clients did. */
export function errorDetail(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { detail?: unknown }).detail === 'string') {
    return (body as { detail: string }).detail;
  }
  if (typeof body === 'string') return body || 'request failed';
  return body === undefined ? 'request failed' : JSON.stringify(body);
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError / RequestFailedError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (err) {
    throw new RequestFailedError(failureReason(err));
  }
  if (!result.response.ok) throw new ApiError(result.response.status, errorDetail(result.error), result.error);
  return result.data as T;
}

function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}
