// Two tiers (STYLE.md): unit specs beside the code, integration specs in test/ against the real
// Postgres and Redis. globalSetup makes a fresh, migrated template database for this run.
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  // content-disposition (under @fastify/static, for Swagger UI) ships only as an ES module, which
  // Node loads through require() but Jest's module system does not: compile it to CommonJS.
  '/node_modules/content-disposition/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!content-disposition/)'];
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
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
