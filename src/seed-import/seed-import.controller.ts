// POST /v1/imports/seed-sqlite: what `spendguard import sqlite PATH` sends, a batch of agents read
// from the seed's SQLite file on the caller's machine, imported into the caller's tenant.
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { TenantAuth } from '../auth/auth-context';
import { CurrentAuth, RequireScope } from '../auth/auth.decorators';
import { SeedImportDto, SeedImportResultDto } from './seed-import.dto';
import { SeedImportService } from './seed-import.service';

@ApiTags('imports')
@ApiSecurity('api_key')
@RequireScope('admin')
@Controller('v1/imports')
export class SeedImportController {
  constructor(private readonly imports: SeedImportService) {}

  @Post('seed-sqlite')
  @HttpCode(200)
  @ZodResponse({
    status: 200,
    type: SeedImportResultDto,
    description:
      "what was imported and what was skipped, per agent: an agent that already has a budget here is skipped, so sending the same rows again changes nothing",
  })
  importSeedSqlite(@CurrentAuth() auth: TenantAuth, @Body() body: SeedImportDto) {
    return this.imports.importAgents(auth, body.agents);
  }
}
