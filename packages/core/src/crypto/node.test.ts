// Runtime neutrality (docs/architecture.md, "Platform code is injected"): no module of @totp/core that ships reaches
// for a Node built-in or Node-only global, except the node:crypto provider, which only `@totp/core/node` exposes.

import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as nodeEntry from '../node';
import { nodeCrypto } from './node';
import { importedSpecifiers, shippedModules, SRC } from '../source-tree.testkit';

/** The node:crypto provider, and the entry point that ships it as `@totp/core/node`. */
const NODE_PROVIDER = join('crypto', 'node.ts');
const NODE_ENTRY = 'node.ts';
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** Globals that exist in Node but not in browsers, workers or edge runtimes. */
const NODE_GLOBALS = new Set(['process', 'Buffer', 'require', 'module', 'global', '__dirname', '__filename', 'setImmediate']);

const isBuiltin = (specifier: string) => BUILTINS.has(specifier) || specifier.startsWith('node:');

/** Identifiers in `text` that read a Node-only global (property names such as `options.process` are not reads). */
function nodeGlobalsRead(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyAssignment(parent) ||
          ts.isPropertyDeclaration(parent) ||
          ts.isMethodDeclaration(parent) ||
          ts.isPropertySignature(parent)) &&
          parent.name === node);
      const isDeclared =
        (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent)) && parent.name === node;
      if (!isPropertyName && !isDeclared) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What each shipped module imports, read once. */
const MODULES = shippedModules().map((file) => {
  const text = readFileSync(join(SRC, file), 'utf8');
  return { file, text, specifiers: importedSpecifiers(text) };
});

/** The module a relative specifier in `from` names, relative to src (`./x` is x.ts or x/index.ts); null for packages. */
function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(SRC, from, '..', specifier.replace(/\.(js|ts)$/, ''));
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    const file = relative(SRC, candidate);
    if (MODULES.some((module) => module.file === file)) return file;
  }
  return relative(SRC, `${base}.ts`);
}

describe('runtime neutrality', () => {
  it('finds the modules it is meant to scan, the node provider among them', () => {
    const files = MODULES.map((module) => module.file);
    expect(files).toContain(NODE_PROVIDER);
    expect(files).toContain(NODE_ENTRY);
    expect(files).toContain(join('otp', 'totp.ts'));
    expect(files.some((file) => /\.(test|testkit)\.ts$/.test(file))).toBe(false);
    expect(files.length).toBeGreaterThan(40);
  });

  it('no shipped module imports a Node built-in, except crypto/node.ts', () => {
    const offenders = MODULES.flatMap(({ file, specifiers }) =>
      file === NODE_PROVIDER || file === NODE_ENTRY ? [] : specifiers.filter(isBuiltin).map((specifier) => `${file} imports ${specifier}`),
    );
    expect(offenders).toEqual([]);
    // The provider itself does: the scan sees what it is looking for.
    expect(MODULES.find((module) => module.file === NODE_PROVIDER)?.specifiers).toContain('node:crypto');
  });

  it('no shipped module reads a Node-only global (process, Buffer, require …) or probes for built-ins', () => {
    const offenders = MODULES.flatMap(({ file, text }) => [
      ...nodeGlobalsRead(file, text).map((name) => `${file} reads ${name}`),
      ...(/getBuiltinModule/.test(text) ? [`${file} mentions getBuiltinModule`] : []),
    ]);
    expect(offenders).toEqual([]);
  });

  it('nothing but src/node.ts imports crypto/node.ts, so only `@totp/core/node` brings node:crypto in', () => {
    const importers = MODULES.filter(({ file, specifiers }) =>
      specifiers.some((specifier) => resolveRelative(file, specifier) === NODE_PROVIDER),
    ).map(({ file }) => file);
    expect(importers).toEqual([NODE_ENTRY]);
    expect(Object.keys(nodeEntry)).toEqual(['nodeCrypto']);
    expect(nodeEntry.nodeCrypto).toBe(nodeCrypto);
  });

  it('the scans would notice what they look for', () => {
    expect(importedSpecifiers("import { createHmac } from 'node:crypto';")).toEqual(['node:crypto']);
    expect(importedSpecifiers('import type { Hash } from "crypto";')).toEqual(['crypto']);
    expect(importedSpecifiers("const c = await import('node:crypto');")).toEqual(['node:crypto']);
    expect(importedSpecifiers("import 'node:buffer';")).toEqual(['node:buffer']);
    expect(importedSpecifiers("const c = require('crypto');")).toEqual(['crypto']);
    expect(importedSpecifiers("export { x } from 'fs';\nimport {\n  a,\n  b,\n} from './crypto/node';")).toEqual(['fs', './crypto/node']);
    expect(importedSpecifiers("// import x from 'node:fs'\nconst s = \"from 'node:fs'\";")).toEqual([]);
    expect(['fs', 'node:fs', 'node:test', 'crypto', 'node:sqlite'].every(isBuiltin)).toBe(true);
    expect(['@noble/hashes', './node', 'jose', 'nodemailer'].some(isBuiltin)).toBe(false);
    expect(
      nodeGlobalsRead('x.ts', 'const a = process.env.X; Buffer.from([1]); const b = options.process; const o = { Buffer: 1 };'),
    ).toEqual(['process', 'Buffer']);
    expect(resolveRelative(join('otp', 'totp.ts'), '../crypto/node')).toBe(NODE_PROVIDER);
    expect(resolveRelative(NODE_ENTRY, './crypto/node.js')).toBe(NODE_PROVIDER);
    expect(resolveRelative(NODE_ENTRY, './otp')).toBe(join('otp', 'index.ts'));
    expect(resolveRelative('index.ts', 'jose')).toBeNull();
  });
});
