import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// Layering, as the Nx dependency graph sees it:
//   type:service  may use libs, never another service, tooling or tests
//   type:lib      may use libs
//   type:tooling  may use libs and tooling
//   type:e2e      may use anything it drives
const depConstraints = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling', 'type:service', 'type:host'] },
  // The embedded host runs the five services in one process: the only code that may import services.
  { sourceTag: 'type:host', onlyDependOnLibsWithTags: ['type:lib', 'type:service'] },
];

const SERVICE_ENTRY_POINTS = ['tag', 'permission', 'mute', 'audit', 'sync'].map((s) => `@tagguard/${s}-service`);

export default [
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/.nx',
      '**/.tagguard',
      '**/coverage',
      'deploy/build/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints,
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Nx forbids importing an application; the embedded host and the deployment checks are the two
    // places that must (each service's start function in its app.ts), and the ldap-resync benchmark
    // drives sync-service's LDAP connector directly. Everywhere else the rule stands.
    files: ['deploy/embedded/src/**/*.ts', 'test-e2e/src/deploy/**/*.ts', 'deploy/bench/src/ldap-resync.bench.ts', 'deploy/bench/src/ldap-channel.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: SERVICE_ENTRY_POINTS, depConstraints },
      ],
    },
  },
  {
    // Jest and Nx read these files' default export.
    files: ['**/jest.config.ts', '**/jest/global-setup.ts', '**/jest/global-teardown.ts'],
    rules: { 'no-restricted-syntax': 'off', '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // The WeCom sandbox is a library so the connector's tests and the embedded host can start it; a
    // service's own code never talks to it (it talks to WeCom, or to the sandbox, by base URL alone).
    files: ['services/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@tagguard/wecom-sandbox', message: 'the WeCom sandbox is for tests and the embedded host only.' }] },
      ],
    },
  },
  {
    // Domain code is pure: decide/evolve functions with no I/O, framework or transport imports.
    files: ['**/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'typeorm', 'kafkajs', 'pg', '@grpc/*', '@kurrent/*', '@electric-sql/*'],
              message: 'domain/ holds pure logic; do I/O at the edges.',
            },
            {
              group: ['node:fs', 'node:net', 'node:http', 'node:child_process'],
              message: 'domain/ holds pure logic; do I/O at the edges.',
            },
          ],
        },
      ],
    },
  },
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  // `x[0]!` marks an element a length check or a RETURNING clause guarantees; tsc checks the rest.
  { files: ['**/*.ts'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
  prettier,
];
