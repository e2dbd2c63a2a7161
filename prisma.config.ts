// Prisma CLI configuration. The service itself never reads this: it builds its own pg.Pool
// from the validated config (src/config) and applies migrations with its own migrator.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/spendguard' },
});
