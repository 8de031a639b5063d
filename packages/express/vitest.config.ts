import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

// Tests run from source: @totp/core and @totp/memory resolve to their src/, no build needed first.
const src = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
export default defineProject({
  resolve: {
    alias: [
      { find: /^@totp\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@totp\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@totp\/memory$/, replacement: src('memory/src/index.ts') },
    ],
  },
  test: { name: 'express', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
