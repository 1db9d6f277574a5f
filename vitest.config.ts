import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Temporal's native worker and the dev server want real processes, not threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A run's dev server stops as soon as its last run ends: tests leave no server behind.
    env: { SPECBIAS_SERVER_IDLE_S: '0' },
  },
});
