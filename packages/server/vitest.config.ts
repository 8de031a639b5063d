import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run from source: the workspace packages resolve to their src/, no build needed first. The Prisma clients
// are generated once before the run (test/global-setup.ts).
const src = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
export default defineProject({
  resolve: {
    alias: [
      { find: /^@totp\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@totp\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@totp\/memory$/, replacement: src('memory/src/index.ts') },
      { find: /^@totp\/express$/, replacement: src('express/src/index.ts') },
      { find: /^@totp\/prisma$/, replacement: src('prisma/src/index.ts') },
    ],
  },
  test: {
    name: 'server',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
