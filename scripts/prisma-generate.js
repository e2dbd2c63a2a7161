#!/usr/bin/env node
// Generates the Prisma client into src/generated/prisma. `prisma generate` only checks that the
// schema engine binary exists (it does not run it), and Prisma's engines cannot be downloaded on
// our machines, so point it at any existing file when no engine is configured.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const prisma = path.join(__dirname, '..', 'node_modules', 'prisma', 'build', 'index.js');
execFileSync(process.execPath, [prisma, 'generate'], { stdio: 'inherit', env, cwd: path.join(__dirname, '..') });
