import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run from source: @totp/core resolves to its src/, no build needed first.
const core = (p: string) => fileURLToPath(new URL(`../core/src/${p}`, import.meta.url));
const memory = fileURLToPath(new URL('../memory/src/index.ts', import.meta.url));
export default defineProject({
  resolve: {
    alias: [
      { find: /^@totp\/core\/testing$/, replacement: core('testing/index.ts') },
      { find: /^@totp\/core$/, replacement: core('index.ts') },
      { find: /^@totp\/memory$/, replacement: memory },
    ],
  },
  test: {
    name: 'prisma',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Provides the PostgreSQL URL: TOTP_TEST_POSTGRES_URL, or a throwaway cluster it starts (and stops) itself.
    globalSetup: ['test/support/postgres-global-setup.ts'],
    // Database round trips and real processes: slower than unit tests, and the machine is small.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
