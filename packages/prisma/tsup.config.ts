import { defineConfig } from 'tsup';

// One entry, ESM + CJS, each with its own .d.ts/.d.cts. The migrations' SQL is compiled in as string constants.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['@totp/core'],
});
