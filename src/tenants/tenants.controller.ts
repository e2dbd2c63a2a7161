import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { OperatorOnly } from '../auth/auth.decorators';
import { ShownOnce } from '../common/idempotency/shown-once';
import { CreatedTenantDto, CreateTenantDto, TenantListDto, TenantListQueryDto } from './tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiSecurity('api_key')
@OperatorOnly()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ShownOnce('api_key.secret')
  @ZodResponse({ status: 201, type: CreatedTenantDto, description: "the tenant and its first admin key, the key's secret shown this once (null in a replay)" })
  create(@Body() body: CreateTenantDto) {
    return this.tenants.create(body);
  }

  @Get()
  @ZodResponse({ status: 200, type: TenantListDto })
  list(@Query() query: TenantListQueryDto) {
    return this.tenants.list(query);
  }
}
