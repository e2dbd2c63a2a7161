# syntax=docker/dockerfile:1
# SpendGuard's image: the service, hosted mode by default, on production dependencies only.
# docker-compose.yml runs it with PostgreSQL and Redis (README "Docker"); docs/deployment.md is
# for production. Docker cannot run on our build machines, so test/ops/dockerfile.spec.ts replays
# these steps in their order and boots the result: keep RUN paths relative to WORKDIR.
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. Build: every dependency, the Prisma client generated, TypeScript compiled into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# `npm ci` runs postinstall, which generates the Prisma client; the generator reads tsconfig.json
# to choose how the client imports its own files (without it: `./internal/class.ts`, which Node
# cannot load), so tsconfig.json and the schema come in before `npm ci`.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY scripts/postinstall.js scripts/prisma-generate.js ./scripts/
COPY prisma/schema.prisma ./prisma/
# The build needs no embedded PostgreSQL: its binaries are optional packages.
RUN npm ci --omit=optional --no-audit --no-fund
COPY src ./src
RUN npm run build

# 2. Production dependencies. --omit=optional drops the embedded PostgreSQL binaries and, with
# --omit=dev, the Prisma CLI (a dev dependency that is also an optional peer of @prisma/client).
# No install scripts: the one left would generate the client, already compiled into dist/.
# Prisma's query compilers for other databases go too (the client loads the PostgreSQL one).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && for db in mysql sqlite sqlserver cockroachdb; do rm -f node_modules/@prisma/client/runtime/*."$db".*; done

# 3. The image: owned by root, run as `node`.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production CAP_MODE=hosted CAP_HOST=0.0.0.0 PORT=8787
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY docker/entrypoint.sh docker/compose-init.sh ./docker/
# Read at run time from paths relative to dist/: the migrator's SQL and the bundled price table
# (which docker-compose.yml's init signs).
COPY prisma/migrations ./prisma/migrations
COPY src/pricing/bundled ./src/pricing/bundled
USER node
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["node", "dist/main.js"]
