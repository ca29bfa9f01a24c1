/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Long fault, crash and load scenarios run with `npm run test:reliability`, the benchmarks' smoke pass with
  // `npm run test:bench`; neither in `npm test`, which stays near ten minutes.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.RELIABILITY ? [] : ['/test/reliability/']),
    ...(process.env.BENCH_SMOKE ? [] : ['/test/bench-smoke\\.test\\.ts$']),
  ],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Temporal servers and worker bundling are slow to start on 2 cores.
  testTimeout: 120_000,
};
