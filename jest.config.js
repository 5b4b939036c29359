/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testTimeout: 60000,
  transform: {
    // Transpile-only ts-jest (isolatedModules: true, given through the tsconfig override
    // because ts-jest's own `isolatedModules` option is deprecated). Type checking is
    // `npm run typecheck`'s job.
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: false }],
  },
};
