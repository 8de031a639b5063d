import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases';

export default defineProject({
  resolve: { alias: workspaceAliases },
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
