import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Temporal's native worker and the dev server want real processes, not threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
