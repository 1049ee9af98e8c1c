// @ts-check
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const workspaceRoot = __dirname;

const swcrc = JSON.parse(readFileSync(join(workspaceRoot, '.swcrc'), 'utf8'));

const { compilerOptions } = JSON.parse(readFileSync(join(workspaceRoot, 'tsconfig.base.json'), 'utf8'));

/**
 * SWC rewrites the @tagguard/* aliases (declared once, in tsconfig.base.json) to relative paths, as the
 * build does; that also covers global setup files, which Jest's moduleNameMapper never reaches.
 * @type {import('jest').Config['transform']}
 */
const rootTransform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { ...swcrc, swcrc: false, jsc: { ...swcrc.jsc, baseUrl: workspaceRoot, paths: compilerOptions.paths } },
  ],
};

/**
 * Jest config for one Nx project.
 * @param {string} projectDir
 * @param {string} displayName
 * @param {{ infra?: boolean }} [options] infra: the tests need the real PostgreSQL and Kafka from deploy/local
 * @returns {import('jest').Config}
 */
function projectConfig(projectDir, displayName, options = {}) {
  return {
    displayName,
    rootDir: workspaceRoot,
    roots: [`<rootDir>/${relative(workspaceRoot, projectDir)}`],
    testEnvironment: 'node',
    testMatch: ['**/*.spec.ts'],
    transform: rootTransform,
    testTimeout: 60_000,
    moduleFileExtensions: ['ts', 'js', 'json'],
    ...(options.infra
      ? {
          globalSetup: '<rootDir>/deploy/local/src/jest/global-setup.ts',
          globalTeardown: '<rootDir>/deploy/local/src/jest/global-teardown.ts',
        }
      : {}),
  };
}

module.exports = { projectConfig, rootTransform };
