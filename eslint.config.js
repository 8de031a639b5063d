// ESLint for the whole workspace (`pnpm lint`, part of `pnpm test`): typescript-eslint's recommended rules, the checks
// that catch real bugs here (unhandled promises, switches that miss a case), and the layer rules of docs/README.md.

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Core's layers, lowest first: a module may import its own layer or a lower one, never a higher one. */
const CORE_LAYERS = ['otp', 'crypto', 'domain', 'service', 'testing'];

/** The no-restricted-imports patterns for a core layer: every higher layer, and anything Node-only or an adapter. */
function coreLayerRule(layer) {
  const higher = CORE_LAYERS.slice(CORE_LAYERS.indexOf(layer) + 1);
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...(higher.length === 0
            ? []
            : [
                {
                  group: higher.flatMap((h) => [`../${h}`, `../${h}/*`, `../../${h}/*`]),
                  message: `core's ${layer}/ may not import a higher layer (${higher.join(', ')}).`,
                },
              ]),
          {
            group: ['node:*'],
            message: 'core is runtime-neutral: only crypto/node.ts (the node:crypto provider) may import a Node built-in.',
          },
          { group: ['@totp/*'], message: 'core imports no adapter.' },
        ],
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/generated/**',
      'packages/prisma/src/internal/migration-sql.ts',
      '**/.data/**',
      '**/coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and property checks use non-null assertions on values they just built; the type checker is strict elsewhere.
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  ...CORE_LAYERS.map((layer) => ({
    files: [`packages/core/src/${layer}/**/*.ts`],
    ignores: ['**/*.test.ts', '**/*.testkit.ts'],
    rules: coreLayerRule(layer),
  })),
  {
    files: ['packages/core/src/index.ts'],
    ignores: ['**/*.test.ts', '**/*.testkit.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'core is runtime-neutral: only crypto/node.ts may import a Node built-in.' }] },
      ],
    },
  },
  {
    // The node:crypto provider is the one module of core that imports a Node built-in.
    files: ['packages/core/src/crypto/node.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
