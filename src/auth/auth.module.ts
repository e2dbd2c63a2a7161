import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiAuthGuard } from './api-auth.guard';
import { ApiKeyAuthService } from './api-key-auth.service';
import { ApiKeyStrategy } from './api-key.strategy';

@Global()
@Module({
  imports: [PassportModule.register({ session: false })],
  providers: [ApiKeyAuthService, ApiKeyStrategy, { provide: APP_GUARD, useClass: ApiAuthGuard }],
  exports: [ApiKeyAuthService],
})
export class AuthModule {}
