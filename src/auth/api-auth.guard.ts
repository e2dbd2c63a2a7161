// The global guard: authenticates through passport, then checks what the route needs (operator,
// a tenant, a scope). Runs before interceptors, so idempotency always sees the tenant.
import { ExecutionContext, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiError } from '../common/errors/api-error';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { ApiKeyStrategy } from './api-key.strategy';
import { AuthContext, requireTenantScope, Scope } from './auth-context';
import { OPERATOR_KEY, PUBLIC_KEY, SCOPE_KEY } from './auth.decorators';

@Injectable()
export class ApiAuthGuard extends AuthGuard() implements OnModuleInit {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly strategy: ApiKeyStrategy,
  ) {
    // Given at once, so AuthGuard's constructor does not log that it has no strategy.
    super({ session: false, defaultStrategy: strategy });
  }

  /**
   * Hand passport this app's strategy instance rather than a name: passport's registry of names is
   * process-wide, so by name the last app built would authenticate for every app in the process
   * (an embedding host, the test suite). Done here, as Nest injects `options` after construction.
   *
   * A fresh object per request, inheriting from the instance: passport uses a strategy instance as
   * is and sets that request's success/fail callbacks on it, so with one shared instance two
   * requests whose key lookups overlap overwrite each other's callbacks and one of them is never
   * answered (test/reliability/concurrent-auth.spec.ts shows it).
   */
  onModuleInit(): void {
    const self = this as unknown as { options: Record<string, unknown> };
    const strategy = this.strategy;
    const options: Record<string, unknown> = { ...self.options, session: false };
    Object.defineProperty(options, 'defaultStrategy', { enumerable: true, get: () => Object.create(strategy) as ApiKeyStrategy });
    self.options = options;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<'always' | 'hosted' | undefined>(PUBLIC_KEY, targets);
    if (isPublic === 'always' || (isPublic === 'hosted' && this.config.mode === 'hosted')) return true;

    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<{ user: AuthContext; method: string }>();
    const auth = request.user;

    if (this.reflector.getAllAndOverride<boolean>(OPERATOR_KEY, targets)) {
      // A sidecar without CAP_API_KEY has no operator to tell apart: its caller is the operator.
      if (auth.principal !== 'operator' && auth.principal !== 'anonymous') throw new ApiError('operator_only', 'this route needs the operator key (CAP_API_KEY)');
      return true;
    }
    requireTenantScope(
      auth,
      this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets) ??
        (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'admin'),
    );
    return true;
  }

  // Pass our own errors through untouched; passport's defaults would become a bare 401.
  override handleRequest<T>(err: unknown, user: T): T {
    if (err) throw err;
    if (!user) throw new ApiError('unauthenticated', 'an API key is required');
    return user;
  }
}
