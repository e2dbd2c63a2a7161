import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { AuthContext, Scope } from './auth-context';

export const PUBLIC_KEY = 'spendguard:public';
export const SCOPE_KEY = 'spendguard:scope';
export const OPERATOR_KEY = 'spendguard:operator';

/** 'always': no key ever (GET /health). 'hosted': no key in hosted mode (GET /health/ready). */
export const Public = (when: 'always' | 'hosted' = 'always') => SetMetadata(PUBLIC_KEY, when);

/** The scope a route needs; without it, GETs need `read` and everything else `admin`. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);

/** Routes for the operator key only (tenant management). */
export const OperatorOnly = () => SetMetadata(OPERATOR_KEY, true);

/** The caller's AuthContext, as the guard put it on the request. */
export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  return ctx.switchToHttp().getRequest<{ user: AuthContext }>().user;
});
