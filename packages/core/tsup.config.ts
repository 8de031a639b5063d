import { defineConfig } from 'tsup';

// One tsup entry per `exports` subpath in package.json, ESM + CJS, each with its own .d.ts/.d.cts.
export default defineConfig({
  entry: { index: 'src/index.ts', otp: 'src/otp/index.ts', node: 'src/node.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['vitest'],
});
