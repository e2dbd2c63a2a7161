import { ApiError } from '../common/errors/api-error';

// Who is calling: put on every request by the auth guard and passed first to every service call
// (STYLE: "the tenant comes first").

export const SCOPES = ['admin', 'cap:use', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

/** The single tenant of sidecar mode (SPEC §1: "one, `local`"). */
export const LOCAL_TENANT_ID = '00000000-0000-0000-0000-000000000001';
export const LOCAL_TENANT_NAME = 'local';

export interface AuthContext {
  /** null only for the hosted operator, who acts on tenants rather than inside one. */
  tenantId: string | null;
  scopes: ReadonlySet<Scope>;
  principal: 'anonymous' | 'operator' | 'tenant_key';
  keyId: string | null;
}

/** An AuthContext known to be inside a tenant. */
export interface TenantAuth extends AuthContext {
  tenantId: string;
}

export const ALL_SCOPES: ReadonlySet<Scope> = new Set(SCOPES);

export function hasScope(auth: AuthContext, needed: Scope): boolean {
  return auth.scopes.has('admin') || auth.scopes.has(needed);
}

/** What a tenant route needs: a key inside a tenant (403 for the operator) with `scope` (403). */
export function requireTenantScope(auth: AuthContext, scope: Scope): TenantAuth {
  if (auth.tenantId === null) {
    throw new ApiError('tenant_key_required', 'the operator key manages tenants; use a tenant API key for this route');
  }
  if (!hasScope(auth, scope)) throw new ApiError('insufficient_scope', `this API key lacks the '${scope}' scope`);
  return auth as TenantAuth;
}
