import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth, RequireScope } from '../auth/auth.decorators';
import { ShownOnce } from '../common/idempotency/shown-once';
import { ApiKeyDto, ApiKeyListDto, ApiKeyListQueryDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-key.dto';
import { ApiKeysService } from './api-keys.service';

// Keys are credentials: even listing them needs the admin scope.
@ApiTags('api-keys')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ShownOnce('secret')
  @ZodResponse({ status: 201, type: CreatedApiKeyDto, description: 'the key, with its secret shown this once (null in a replay)' })
  create(@CurrentAuth() auth: TenantAuth, @Body() body: CreateApiKeyDto) {
    return this.keys.create(auth, body);
  }

  @Get()
  @ZodResponse({ status: 200, type: ApiKeyListDto })
  list(@CurrentAuth() auth: TenantAuth, @Query() query: ApiKeyListQueryDto) {
    return this.keys.list(auth, query);
  }

  @Delete(':id')
  @ZodResponse({ status: 200, type: ApiKeyDto, description: 'the revoked key' })
  revoke(@CurrentAuth() auth: TenantAuth, @Param('id') id: string) {
    return this.keys.revoke(auth, id);
  }
}
