// Core's layers (docs/architecture.md, "The shape"): otp → crypto → domain → service → testing, bottom to top. A module
// may import its own layer or a lower one, never a higher one, and no group of modules may import each other in a cycle.

import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importedSpecifiers, shippedModules, SRC } from './source-tree.testkit';

const LAYERS = ['otp', 'crypto', 'domain', 'service', 'testing'] as const;
/** The public entry points at the root of src: they may import anything, and nothing inside a layer may import them. */
const ENTRY_POINTS = ['index.ts', 'node.ts'];
/** The package's own subpaths, should a module import itself by name instead of by path. */
const SELF_IMPORTS: Record<string, string> = {
  '@totp/core': 'index.ts',
  '@totp/core/node': 'node.ts',
  '@totp/core/otp': join('otp', 'index.ts'),
  '@totp/core/testing': join('testing', 'index.ts'),
};

interface Module {
  file: string;
  imports: string[];
}

/** The src module `specifier` names from `from` (`./x` is x.ts or x/index.ts), or null for another package. */
function resolveImport(from: string, specifier: string, files: ReadonlySet<string>): string | null {
  if (Object.hasOwn(SELF_IMPORTS, specifier)) return SELF_IMPORTS[specifier]!;
  if (!specifier.startsWith('.')) return null;
  const base = resolve(SRC, from, '..', specifier.replace(/\.(js|ts)$/, ''));
  const candidates = [`${base}.ts`, join(base, 'index.ts')].map((path) => relative(SRC, path));
  return candidates.find((file) => files.has(file)) ?? candidates[0]!;
}

/** The modules under src and the src modules each imports. */
function readModules(): Module[] {
  const files = shippedModules();
  const known = new Set(files);
  return files.map((file) => ({
    file,
    imports: importedSpecifiers(readFileSync(join(SRC, file), 'utf8'))
      .map((specifier) => resolveImport(file, specifier, known))
      .filter((target): target is string => target !== null),
  }));
}

/** A module's layer as its rank (0 = otp), or the entry points' rank above every layer; null for a stray root module. */
function rank(file: string): number | null {
  if (ENTRY_POINTS.includes(file)) return LAYERS.length;
  const top = file.split(sep)[0]!;
  const index = (LAYERS as readonly string[]).indexOf(top);
  return index === -1 || !file.includes(sep) ? null : index;
}
const layerName = (file: string) => (ENTRY_POINTS.includes(file) ? 'an entry point' : (file.split(sep)[0] ?? file));

/** One line per import that runs upward, or per module in no layer. */
function layerViolations(modules: readonly Module[]): string[] {
  const found: string[] = [];
  for (const { file, imports } of modules) {
    const own = rank(file);
    if (own === null) {
      found.push(`${file}: not in a layer (put it in ${LAYERS.join('/')}, or make it an entry point)`);
      continue;
    }
    if (ENTRY_POINTS.includes(file)) continue;
    for (const target of imports) {
      const theirs = rank(target);
      if (theirs === null || theirs > own) {
        found.push(
          `${file} (${layerName(file)}) imports ${target} (${theirs === null ? 'no layer' : layerName(target)}), which is above it`,
        );
      }
    }
  }
  return found;
}

/**
 * Every import cycle: for each group of modules that reach each other (Tarjan's strongly connected components), a
 * shortest ring through its alphabetically first module. Type-only imports count: they tie the files together too.
 */
function importCycles(modules: readonly Module[]): string[][] {
  return stronglyConnected(modules).map(({ component, graph }) => shortestRing(component, graph));
}

/** One line per cycle, naming a ring of imports and every module caught in it. */
function describeCycles(modules: readonly Module[]): string[] {
  return stronglyConnected(modules).map(({ component, graph }) => {
    const ring = shortestRing(component, graph);
    const others = [...component].sort().filter((file) => !ring.includes(file));
    return `${[...ring, ring[0]].join(' → ')}${others.length > 0 ? ` (the cycle also takes in ${others.join(', ')})` : ''}`;
  });
}

function stronglyConnected(modules: readonly Module[]): Array<{ component: string[]; graph: ReadonlyMap<string, string[]> }> {
  const graph = new Map(modules.map(({ file, imports }) => [file, [...new Set(imports)].filter((target) => target !== file)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const connect = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) components.push(component);
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) connect(file);
  // A module importing itself is a cycle of one.
  for (const [file, { length }] of modules.map(({ file: f, imports }) => [f, imports.filter((t) => t === f)] as const)) {
    if (length > 0) components.push([file]);
  }
  return components.map((component) => ({ component, graph }));
}

/** A shortest cycle through the first (alphabetically) module of a strongly connected component, for the message. */
function shortestRing(component: string[], graph: ReadonlyMap<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const target of graph.get(file) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const ring = [file];
        while (ring[0] !== start) ring.unshift(previous.get(ring[0]!)!);
        return ring;
      }
      if (!previous.has(target)) {
        previous.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start];
}

const MODULES = readModules();

describe('the layers of @totp/core', () => {
  it('scans every module that ships, in every layer', () => {
    const files = MODULES.map((module) => module.file);
    for (const layer of LAYERS)
      expect(
        files.some((file) => file.startsWith(layer + sep)),
        layer,
      ).toBe(true);
    for (const entry of ENTRY_POINTS) expect(files).toContain(entry);
    expect(files.some((file) => /\.(test|testkit)\.ts$/.test(file))).toBe(false);
    // The scan sees imports: crypto/noble.ts imports from otp/.
    expect(MODULES.find((module) => module.file === join('crypto', 'noble.ts'))?.imports).toContain(join('otp', 'totp.ts'));
  });

  it('no module imports from a layer above its own (otp → crypto → domain → service → testing), nor an entry point', () => {
    expect(layerViolations(MODULES)).toEqual([]);
  });

  it('no modules import each other in a cycle', () => {
    expect(describeCycles(MODULES)).toEqual([]);
  });
});

describe('the checks above would notice what they look for', () => {
  const files = new Set([
    'index.ts',
    join('otp', 'a.ts'),
    join('otp', 'b.ts'),
    join('crypto', 'c.ts'),
    join('domain', 'd.ts'),
    join('otp', 'index.ts'),
  ]);
  const module = (file: string, ...specifiers: string[]): Module => ({
    file,
    imports: specifiers.map((specifier) => resolveImport(file, specifier, files)).filter((target): target is string => target !== null),
  });

  it('reads every form of import, and resolves paths, index files and the package name', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../crypto/c.js';",
      "export * from './b';",
      'export {',
      '  x,',
      "} from '../domain/d';",
      "const lazy = await import('../service/s');",
      "// import { no } from './comment';",
      'const text = "from \'./string\'";',
    ].join('\n');
    expect(importedSpecifiers(text)).toEqual(['./a', '../crypto/c.js', './b', '../domain/d', '../service/s']);
    expect(resolveImport(join('otp', 'a.ts'), '../crypto/c.js', files)).toBe(join('crypto', 'c.ts'));
    expect(resolveImport(join('domain', 'd.ts'), '../otp', files)).toBe(join('otp', 'index.ts'));
    expect(resolveImport(join('domain', 'd.ts'), '@totp/core', files)).toBe('index.ts');
    expect(resolveImport(join('domain', 'd.ts'), '@noble/hashes/sha2.js', files)).toBeNull();
  });

  it('reports an upward import, an import of an entry point and a stray module, by file', () => {
    const modules = [
      module(join('otp', 'a.ts'), '../crypto/c', './b'),
      module(join('crypto', 'c.ts'), '../otp/a', '../domain/d'),
      module(join('domain', 'd.ts'), '../crypto/c', '../otp', '../index', '@totp/core'),
      module('index.ts', './domain/d'),
      module('helpers.ts'),
    ];
    expect(layerViolations(modules)).toEqual([
      `${join('otp', 'a.ts')} (otp) imports ${join('crypto', 'c.ts')} (crypto), which is above it`,
      `${join('crypto', 'c.ts')} (crypto) imports ${join('domain', 'd.ts')} (domain), which is above it`,
      `${join('domain', 'd.ts')} (domain) imports index.ts (an entry point), which is above it`,
      `${join('domain', 'd.ts')} (domain) imports index.ts (an entry point), which is above it`,
      'helpers.ts: not in a layer (put it in otp/crypto/domain/service/testing, or make it an entry point)',
    ]);
  });

  it('reports a cycle within one layer, across layers, through three modules, and of one module', () => {
    const a = join('otp', 'a.ts');
    const b = join('otp', 'b.ts');
    const c = join('crypto', 'c.ts');
    const d = join('domain', 'd.ts');
    expect(importCycles([module(a, './b'), module(b, './a')])).toEqual([[a, b]]);
    expect(importCycles([module(a, '../crypto/c'), module(c, '../domain/d'), module(d, '../otp/a')])).toEqual([[c, d, a]]);
    expect(importCycles([module(a, './a')])).toEqual([[a]]);
    expect(importCycles([module(a, './b'), module(b, '../crypto/c'), module(c), module(d, '../otp/a')])).toEqual([]);
    // A hub and its spokes (each spoke imports a type back from the hub) are one cycle, every spoke named.
    expect(describeCycles([module(a, './b', '../crypto/c'), module(b, './a'), module(c, '../otp/a')])).toEqual([
      `${c} → ${a} → ${c} (the cycle also takes in ${b})`,
    ]);
  });
});
