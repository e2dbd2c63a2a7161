// Two tiers (STYLE.md): unit specs beside the code, integration specs in test/ against the real
// Postgres and Redis. globalSetup makes a fresh, migrated template database for this run.
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  // The OTLP exporter loads `http` with a dynamic import(), which Node runs but Jest's module
  // system refuses (without --experimental-vm-modules): compile it to a require().
  '/node_modules/@opentelemetry/otlp-exporter-base/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'];
// The reliability project (test/reliability, docs/reliability.md) takes minutes: it runs only
// through `npm run test:reliability`, which sets SG_RELIABILITY=1, not as part of `npm test`.
const reliability = process.env.SG_RELIABILITY === '1';
module.exports = {
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: __dirname,
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      // Run on their own by `npm run test:reliability`.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    reliability && {
      // Proof under load, faults and hostile input: several real instances, killed processes, lost
      // Redis and PostgreSQL, a soak. One file at a time (--maxWorkers=1), so figures are not skewed.
      displayName: 'reliability',
      testEnvironment: 'node',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/reliability/**/*.spec.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ].filter(Boolean),
};
