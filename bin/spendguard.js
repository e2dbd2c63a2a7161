#!/usr/bin/env node
// The `spendguard` command: runs the built CLI (`npm run build`, which `npm start` and `npm test`
// also run; `npm link` puts the command on your PATH).
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('spendguard: the CLI is not built yet: run `npm run build` in the SpendGuard checkout\n');
    process.exit(1);
  }
  throw err;
}
cli.run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
