import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth, RequireScope } from '../auth/auth.decorators';
import { ProviderKeyDeletedDto, ProviderKeyDto, ProviderKeyListDto, PutProviderKeyDto } from './provider-key.dto';
import { ProviderKeysService } from './provider-keys.service';

@ApiTags('provider-keys')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('v1/provider-keys')
export class ProviderKeysController {
  constructor(private readonly keys: ProviderKeysService) {}

  @Get()
  @ZodResponse({ status: 200, type: ProviderKeyListDto })
  list(@CurrentAuth() auth: TenantAuth) {
    return this.keys.list(auth);
  }

  @Put(':provider')
  @ZodResponse({ status: 200, type: ProviderKeyDto, description: 'stored encrypted; never returned' })
  put(@CurrentAuth() auth: TenantAuth, @Param('provider') provider: string, @Body() body: PutProviderKeyDto) {
    return this.keys.put(auth, provider, body.api_key);
  }

  @Delete(':provider')
  @ZodResponse({ status: 200, type: ProviderKeyDeletedDto })
  remove(@CurrentAuth() auth: TenantAuth, @Param('provider') provider: string) {
    return this.keys.remove(auth, provider);
  }
}
