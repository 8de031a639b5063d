import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases';

// Core's service tests run the rules over the in-memory store, from its source (an alias, not a dependency:
// @totp/memory itself depends on @totp/core).
export default defineProject({
  resolve: { alias: workspaceAliases },
  test: { name: 'core', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
