/** Tests are TypeScript compiled by SWC; ESM-only packages (middy, jose) are compiled too. */
/**
 * The long suites — each workflow scenario beyond the core lifecycle in tests/workflow/provision.test.ts
 * (minutes of simulated AWS per suite) and the authorisation matrix — are left out of `npm test`, so
 * that it stays a few minutes; BERTH_SUITES=all takes them in (`npm run test:workflow`, `test:all`).
 */
const ALL_SUITES = process.env.BERTH_SUITES === 'all';
const LONG_SUITES = [
  '/tests/workflow/(?!provision\\.test\\.ts$)',
  '/tests/reliability/authorization\\.test\\.ts$',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The workspace packages (packages/*) keep their tests beside their sources; one run takes all.
  roots: ['<rootDir>/tests', '<rootDir>/packages'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/bench/', ...(ALL_SUITES ? [] : LONG_SUITES)],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // middy 7 publishes only an `import` condition, which jest's CommonJS resolver does not take.
  moduleNameMapper: {
    '^@middy/(core|http-header-normalizer|util)$': '<rootDir>/node_modules/@middy/$1/index.js',
  },
  testTimeout: 30_000,
  // Workflow suites load each Lambda function in a module registry of its own (its own SDK clients and
  // credentials, as on Lambda: tests/support/workflow-stack.ts), and a suite's registries outlive it in
  // the process that ran it; a worker past this size after a suite is replaced by a fresh one.
  workerIdleMemoryLimit: '800MB',
  // Two workers on the 2-core CI machine: the long suites mostly wait on scaled AWS time, and running
  // them side by side took the suite from 579 s to 357 s in one measured pair of runs.
  maxWorkers: 2,
  // One DynamoDB Local per jest run, on a free port; DYNAMODB_ENDPOINT tells the suites where it is.
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};
