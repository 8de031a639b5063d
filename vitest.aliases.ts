// Tests run from source, with no build first: every workspace package's import specifier resolves to its src/ entry.
// One list, used by every package's vitest.config.ts (tsconfig.base.json's `paths` say the same for the type checker).

import { fileURLToPath } from 'node:url';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

export const workspaceAliases = [
  { find: /^@totp\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
  { find: /^@totp\/core\/otp$/, replacement: src('core/src/otp/index.ts') },
  { find: /^@totp\/core\/node$/, replacement: src('core/src/node.ts') },
  { find: /^@totp\/core$/, replacement: src('core/src/index.ts') },
  { find: /^@totp\/memory$/, replacement: src('memory/src/index.ts') },
  { find: /^@totp\/http\/node$/, replacement: src('http/src/node.ts') },
  { find: /^@totp\/http$/, replacement: src('http/src/index.ts') },
  { find: /^@totp\/express$/, replacement: src('express/src/index.ts') },
  { find: /^@totp\/prisma$/, replacement: src('prisma/src/index.ts') },
];
