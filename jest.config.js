/** Tests are TypeScript compiled by SWC; ESM-only packages (middy, jose) are compiled too. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The workspace packages (packages/*) keep their tests beside their sources; one run takes all.
  roots: ['<rootDir>/tests', '<rootDir>/packages'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/tests/bench/'],
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
  // One DynamoDB Local per jest run, on a free port; DYNAMODB_ENDPOINT tells the suites where it is.
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
};
