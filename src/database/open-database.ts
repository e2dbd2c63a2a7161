// Where the ledger lives: DATABASE_URL when given, else (sidecar only) the embedded PostgreSQL.
import { AppConfig } from '../config/config.schema';
import { EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres';

export async function openDatabase(config: AppConfig, log: (line: string) => void): Promise<EmbeddedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => undefined };
  return startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
}
