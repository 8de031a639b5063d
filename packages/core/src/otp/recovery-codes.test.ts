// Tests for recovery-code generation (unbiased, from an injected CSPRNG) and normalisation of what a person typed.
// Hashing codes for storage is crypto/recovery-code-hashes.ts, tested beside it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, isCanonicalRecoveryCode, normalizeRecoveryCode } from './recovery-codes';
import type { RandomBytes } from './random';

const CODE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A deterministic source that yields every byte value exactly once per block of 256, each block in a different
 * order (a Fisher-Yates shuffle driven by mulberry32 from `seed`), so equal counts are exact, not statistical.
 */
function evenRandomBytes(seed: number): RandomBytes {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  let block: number[] = [];
  return (length) =>
    Uint8Array.from({ length }, () => {
      if (block.length === 0) {
        block = Array.from({ length: 256 }, (_, i) => i);
        for (let i = 255; i > 0; i--) {
          const j = Math.floor(next() * (i + 1));
          [block[i], block[j]] = [block[j] as number, block[i] as number];
        }
      }
      return block.pop() as number;
    });
}

describe('generateRecoveryCodes', () => {
  it(`makes ${RECOVERY_CODE_COUNT} distinct codes of the form xxxx-xxxx-xxxx by default`, () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(CODE);
  });

  it('always makes well-formed, distinct codes, for any count from 1 to 100', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), (count) => {
        const codes = generateRecoveryCodes({ count });
        expect(codes).toHaveLength(count);
        expect(new Set(codes).size).toBe(count);
        for (const code of codes) expect(code).toMatch(CODE);
      }),
      { numRuns: 30 },
    );
  });

  it('draws every character equally often from a source that yields every byte equally often (no modulo bias)', () => {
    // 21 codes × 12 characters = 252 characters, the accepted bytes of one 256-byte block: with `byte % 36` on
    // bytes below 252 each character covers exactly 7 of them. Mapping all 256 bytes would give a-d 8 each.
    const counts = new Map<string, number>();
    for (const [seed, count] of [...Array.from({ length: 40 }, (_, i) => [i + 1, 21]), [1001, 42], [1002, 84]] as const) {
      const codes = generateRecoveryCodes({ count, randomBytes: evenRandomBytes(seed) });
      const perCall = new Map<string, number>();
      for (const char of codes.join('').replace(/-/g, '')) perCall.set(char, (perCall.get(char) ?? 0) + 1);
      expect(perCall.size).toBe(36);
      for (const n of perCall.values()) expect(n).toBe((count / 21) * 7);
      for (const [char, n] of perCall) counts.set(char, (counts.get(char) ?? 0) + n);
    }
    expect([...counts.keys()].sort().join('')).toBe([...ALPHABET].sort().join(''));
    expect(new Set(counts.values())).toEqual(new Set([40 * 7 + 2 * 7 + 4 * 7]));
  });

  it('maps accepted bytes to characters by byte % 36 and draws again for bytes 252..255', () => {
    const stream = [252, 253, 254, 255, 0, 35, 36, 251, 1, 2, 3, 4, 5, 6, 7, 8];
    let position = 0;
    const randomBytes: RandomBytes = (length) => Uint8Array.from({ length }, () => stream[position++ % stream.length] as number);
    expect(generateRecoveryCodes({ count: 1, randomBytes })).toEqual(['a9a9-bcde-fghi']);
  });

  it('is deterministic for a deterministic source', () => {
    expect(generateRecoveryCodes({ randomBytes: evenRandomBytes(7) })).toEqual(generateRecoveryCodes({ randomBytes: evenRandomBytes(7) }));
    expect(generateRecoveryCodes({ randomBytes: evenRandomBytes(7) })).not.toEqual(
      generateRecoveryCodes({ randomBytes: evenRandomBytes(8) }),
    );
  });

  it('refuses a count outside 1..100', () => {
    for (const count of [0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => generateRecoveryCodes({ count })).toThrow(new RangeError(`count must be an integer from 1 to 100, got ${count}`));
    }
    expect(() => generateRecoveryCodes({ count: '10' as unknown as number })).toThrow(TypeError);
    expect(() => generateRecoveryCodes(null as unknown as object)).toThrow(TypeError);
  });

  it('refuses a broken random source instead of looping forever or weakening codes', () => {
    expect(() => generateRecoveryCodes({ randomBytes: (n) => new Uint8Array(n).fill(255) })).toThrow(/bytes above 251; it is not a CSPRNG/);
    expect(() => generateRecoveryCodes({ randomBytes: (n) => new Uint8Array(n) })).toThrow(/same recovery codes; it is not a CSPRNG/);
    expect(() => generateRecoveryCodes({ randomBytes: () => new Uint8Array(3) })).toThrow(TypeError);
    expect(() => generateRecoveryCodes({ randomBytes: 'x' as unknown as RandomBytes })).toThrow(TypeError);
  });
});

describe('normalizeRecoveryCode', () => {
  it('gives the canonical form for case, spacing and dash variants', () => {
    const cases: [string, string][] = [
      ['abcd-efgh-2345', 'abcd-efgh-2345'],
      ['ABCD-EFGH-2345', 'abcd-efgh-2345'],
      ['abcdefgh2345', 'abcd-efgh-2345'],
      ['  abcd efgh 2345  ', 'abcd-efgh-2345'],
      ['ab-cd--ef-gh-23-45', 'abcd-efgh-2345'],
      ['\tAbCd\r\nEfGh\v2345\f', 'abcd-efgh-2345'],
      ['-abcd-efgh-2345-', 'abcd-efgh-2345'],
    ];
    for (const [input, expected] of cases) expect(normalizeRecoveryCode(input)).toBe(expected);
  });

  it('returns null for anything that cannot be a code', () => {
    const cases: unknown[] = [
      '',
      'abcd-efgh-234',
      'abcd-efgh-23456',
      'abcd_efgh_2345',
      'abcd.efgh.2345',
      'ａｂｃｄ-efgh-2345', // full-width letters
      'аbcd-efgh-2345', // Cyrillic а
      '\u212Abcd-efgh-2345', // Kelvin sign, which toLowerCase() turns into k
      'İbcd-efgh-2345', // toLowerCase() makes it i + combining dot
      'abcd\u00A0efgh\u00A02345', // no-break space is not ASCII whitespace
      'abcd–efgh–2345', // en dash
      'abcd-efgh-2345\u0000',
      `${' '.repeat(52)}abcdefgh2345`, // 64 characters: accepted below; 65 is not
      undefined,
      null,
      123456789012,
      ['abcd-efgh-2345'],
      { toString: () => 'abcd-efgh-2345' },
    ];
    expect(normalizeRecoveryCode(`${' '.repeat(52)}abcdefgh2345`)).toBe('abcd-efgh-2345');
    expect(normalizeRecoveryCode(`${' '.repeat(53)}abcdefgh2345`)).toBeNull();
    for (const input of cases.filter((value) => value !== `${' '.repeat(52)}abcdefgh2345`)) {
      expect(normalizeRecoveryCode(input), JSON.stringify(input)).toBeNull();
    }
  });

  it('is idempotent for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[ a-zA-Z0-9\t-]{0,20}$/)), (input) => {
        const once = normalizeRecoveryCode(input);
        expect(normalizeRecoveryCode(once)).toBe(once);
      }),
    );
  });

  it('accepts any dash, whitespace and case variant of a generated code', () => {
    const variant = fc
      .tuple(
        fc.constantFrom(...generateRecoveryCodes({ count: 100 })),
        fc.array(fc.constantFrom('', '', '-', ' ', '--', '\t', ' - ', '\n'), { minLength: 13, maxLength: 13 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      )
      .map(([code, separators, upper]) => {
        const chars = [...code.replace(/-/g, '')].map((c, i) => (upper[i] ? c.toUpperCase() : c));
        return { code, input: separators.map((s, i) => s + (chars[i] ?? '')).join('') };
      });
    fc.assert(
      fc.property(variant, ({ code, input }) => {
        fc.pre(input.length <= 64);
        expect(normalizeRecoveryCode(input)).toBe(code);
      }),
    );
  });
});

describe('isCanonicalRecoveryCode', () => {
  it('is true exactly for what normalizeRecoveryCode returns', () => {
    expect(isCanonicalRecoveryCode('abcd-efgh-2345')).toBe(true);
    const others = [
      'ABCD-EFGH-2345',
      'abcdefgh2345',
      ' abcd-efgh-2345',
      'abcd-efgh-234',
      'abcd-efgh-2345\n',
      'abcdefghijklmn',
      'abcd--efgh2345',
      'abcdefgh-2345-',
      12,
      null,
    ];
    for (const other of others) {
      expect(isCanonicalRecoveryCode(other), String(other)).toBe(false);
    }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[ a-zA-Z0-9-]{10,16}$/), fc.stringMatching(/^[a-z0-9-]{14}$/)), (input) => {
        const normal = normalizeRecoveryCode(input);
        expect(isCanonicalRecoveryCode(input)).toBe(normal === input);
        if (normal !== null) expect(isCanonicalRecoveryCode(normal)).toBe(true);
      }),
    );
  });
});
