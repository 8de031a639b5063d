import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases';

// The Prisma clients are generated, and PostgreSQL provided, once before the run (test/global-setup.ts).
export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'server',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
