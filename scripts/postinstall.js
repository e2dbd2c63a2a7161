#!/usr/bin/env node
// Runs after `npm install` in this project: generates the Prisma client so that `npm start` and
// `npm test` work on a fresh clone with no other step.
require('./prisma-generate.js');
