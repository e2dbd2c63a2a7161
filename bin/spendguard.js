#!/usr/bin/env node
// The `spendguard` command: runs the built CLI (npm run build, which `npm install` users get
// through `npm start` / `npm test`, or run it once by hand).
process.exitCode = require('../dist/cli/main.js').run(process.argv.slice(2));
