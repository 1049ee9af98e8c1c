// @ts-check
const { rootTransform } = require('./jest.preset');

/**
 * One run for every project: the real PostgreSQL and Kafka come up once, in this global setup, and go
 * down in the teardown (unless a developer had them running already).
 * @type {import('jest').Config}
 */
module.exports = {
  projects: [
    '<rootDir>/libs/*/jest.config.js',
    '<rootDir>/services/*/jest.config.js',
    '<rootDir>/deploy/local/jest.config.js',
    '<rootDir>/deploy/wecom-sandbox/jest.config.js',
    '<rootDir>/test-e2e/jest.config.js',
  ],
  globalSetup: '<rootDir>/deploy/local/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/deploy/local/src/jest/global-teardown.ts',
  transform: rootTransform,
  reporters: ['default', '<rootDir>/deploy/local/src/jest/plain-summary-reporter.js'],
  // Per-project testTimeout is ignored under `projects`; this one applies to the whole run.
  testTimeout: 60_000,
};
