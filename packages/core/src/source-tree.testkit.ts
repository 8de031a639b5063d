// What the tests that read core's own source share: the list of modules that ship, and what each imports.

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** packages/core/src, as an absolute path. */
export const SRC = fileURLToPath(new URL('.', import.meta.url));

/** Every module that ships: each .ts under src but tests (`*.test.ts`) and test kits (`*.testkit.ts`), relative to src. */
export function shippedModules(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return shippedModules(path);
    return entry.name.endsWith('.ts') && !/\.(test|testkit)\.ts$/.test(entry.name) ? [relative(SRC, path)] : [];
  });
}

/** Every module specifier in `text`: static and type imports, re-exports, dynamic import() and require(). */
export function importedSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((file) => file.fileName);
}
