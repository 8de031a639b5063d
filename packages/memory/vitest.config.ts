import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run from source: @totp/core resolves to its src/, no build needed first.
const core = (p: string) => fileURLToPath(new URL(`../core/src/${p}`, import.meta.url));
export default defineProject({
  resolve: {
    alias: [
      { find: /^@totp\/core\/testing$/, replacement: core('testing/index.ts') },
      { find: /^@totp\/core$/, replacement: core('index.ts') },
    ],
  },
  test: { name: 'memory', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
