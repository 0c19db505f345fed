/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@kb4/(knowbe4|mapping|contracts|persistence|platform|client)$': '<rootDir>/libs/$1/src',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
};
// One throwaway Postgres database and one broker per jest run, shared by the integration and e2e tiers; jest runs a
// project's globalSetup only when that project has tests selected, so the unit tier alone starts neither.
const realServices = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/**
 * Test tiers, chosen by where a spec lives and its name (README, Development):
 * - unit: `*.spec.ts` next to the code in apps/<app>/src or libs/<lib>/src — pure, no Postgres, Kafka or child process;
 * - integration: `*.int.spec.ts` next to the code, and every other `*.spec.ts` (test/, apps/<app>/test/ …) — real
 *   Postgres, broker and in-process sandbox;
 * - e2e: `*.e2e.spec.ts` anywhere — spawns real processes (services, CLI, npm start).
 */
module.exports = {
  maxWorkers: 2,
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.(int|e2e)\\.spec\\.ts$'],
    },
    {
      ...common,
      ...realServices,
      displayName: 'integration',
      // every spec that is neither e2e nor a unit spec, so no spec falls between the tiers
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.spec\\.ts$', '<rootDir>/(apps|libs)/[^/]+/src/(?!.*\\.int\\.spec\\.ts$)'],
    },
    {
      ...common,
      ...realServices,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e.spec.ts'],
    },
  ],
};
