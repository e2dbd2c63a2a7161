// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the sidecar's embedded
// PostgreSQL when DATABASE_URL is unset) and exits.
import { loadConfig } from '../config/load-config';
import { migrate } from './migrator';
import { openDatabase } from './open-database';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config, (line) => console.error(line));
  try {
    const applied = await migrate(db.url);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await db.stop();
  }
}

main().catch((err) => {
  console.error(`db:migrate: ${(err as Error).message}`);
  process.exit(1);
});
