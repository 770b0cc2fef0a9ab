import { defineConfig } from 'vitest/config';

// IGVM_TEST_REPORT=FILE also writes vitest's JSON report there (.ci/run reads its counts).
const report = process.env.IGVM_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
