// One jest run for every package. @swc/jest compiles TypeScript (with legacy decorators and
// decorator metadata, which Nest's DI needs) to CommonJS, and also transforms @nestjs's ESM-only
// packages so Nest 12 loads under jest's CommonJS runtime (see README, "Module format"), and the
// ESM-only `cookie` 2 that Fastify's inject() (light-my-request) requires.
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

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/test/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
      testPathIgnorePatterns: ['\\.int\\.spec\\.ts$', '\\.browser\\.spec\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/packages/*/test/**/*.int.spec.ts', '<rootDir>/test/**/*.int.spec.ts'],
      // testTimeout is global-only in jest; a setup file sets it per project.
      setupFilesAfterEnv: ['<rootDir>/scripts/jest-slow-timeout.js'],
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/packages/*/test/**/*.browser.spec.ts', '<rootDir>/test/**/*.browser.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/scripts/jest-slow-timeout.js'],
    },
  ],
};
