// CAP_STORE=sqlite (a seed user's setting; also a sidecar with no CAP_STORE, the seed's default): at boot, before the service listens, the seed's file
// at CAP_SQLITE_PATH is imported into the sidecar's tenant, and one line says what came over. A
// missing file is one line and no import (the user points CAP_SQLITE_PATH at it); a file that
// cannot be imported stops the boot with the rows at fault, rather than run without the user's
// budgets. Hosted mode refuses CAP_STORE=sqlite at config time (load-config.ts).
import { existsSync } from 'node:fs';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ALL_SCOPES, LOCAL_TENANT_ID, TenantAuth } from '../auth/auth-context';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/config.schema';
import { SeedImportService } from './seed-import.service';
import { readSeedStore } from './seed-sqlite-reader';

const LOCAL: TenantAuth = { tenantId: LOCAL_TENANT_ID, scopes: ALL_SCOPES, principal: 'anonymous', keyId: null };

@Injectable()
export class SeedImportOnBoot implements OnApplicationBootstrap {
  private readonly logger = new Logger('seed-import');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly imports: SeedImportService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const path = this.config.seedSqlitePath;
    if (!path || this.config.mode !== 'sidecar') return;
    if (!existsSync(path)) {
      if (!this.config.seedSqliteAsked) return; // no CAP_STORE, and no seed file where the seed kept it
      this.logger.warn({
        msg: `CAP_STORE=sqlite: no seed SQLite file at ${path}, nothing imported; set CAP_SQLITE_PATH to where the seed kept it`,
        path,
      });
      return;
    }
    const agents = await readSeedStore(path, { withMetaJson: this.config.capturePromptResponse });
    const { agents: _perAgent, ...counts } = await this.imports.importAgents(LOCAL, agents);
    this.logger.log({ msg: 'seed SQLite store imported', path, ...counts });
  }
}
