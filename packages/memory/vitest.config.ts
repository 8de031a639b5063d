import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: { name: 'memory', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
