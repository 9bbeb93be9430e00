import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: the crash, outage, scale-out and bad-input scenarios. Apart from
// `npm test` because each scenario runs for a minute or more; one file at a time, since every scenario loads
// the whole 2-core machine on purpose.
export default defineConfig({
  test: {
    name: 'reliability',
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/support/global-setup.ts'],
    reporters: ['default'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
