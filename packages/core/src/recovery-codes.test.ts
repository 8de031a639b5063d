import { createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { forceFallbackCryptoForTesting } from './internal/native-crypto';
import { onCryptoPath } from './internal/crypto-paths.testkit';
import { createKeyring } from './keyring';
import {
  RECOVERY_CODE_COUNT,
  generateRecoveryCodes,
  hashRecoveryCode,
  hashRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeLookupHashes,
} from './recovery-codes';
import type { RandomBytes } from './runtime';

const CODE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PEPPER_BYTES = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const pepper = createKeyring('recovery code pepper', [{ id: 'p1', key: PEPPER_BYTES }], { minBytes: 32 });

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

describe('HMAC-SHA-256 (@noble/hashes), the primitive under the stored hashes', () => {
  it('matches RFC 4231 test case 2 (a key shorter than the block)', () => {
    const mac = hmac(sha256, utf8ToBytes('Jefe'), utf8ToBytes('what do ya want for nothing?'));
    expect(bytesToHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('matches RFC 4231 test case 6 (a 131-byte key, longer than the block, as a long pepper may be)', () => {
    const mac = hmac(sha256, new Uint8Array(131).fill(0xaa), utf8ToBytes('Test Using Larger Than Block-Size Key - Hash Key First'));
    expect(bytesToHex(mac)).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  it('hashRecoveryCode matches RFC 4231 test case 2 run through a keyring', () => {
    const jefe = createKeyring('rfc 4231 keys', [{ id: 'jefe', key: utf8ToBytes('Jefe') }], { minBytes: 1 });
    // The code is not the RFC's message, so the expected value comes from node:crypto, an independent HMAC.
    const expected = createHmac('sha256', 'Jefe').update('abcd-efgh-2345').digest('hex');
    expect(hashRecoveryCode('abcd-efgh-2345', jefe)).toEqual({ keyId: 'jefe', hash: expected });
  });
});

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
    expect(generateRecoveryCodes({ randomBytes: evenRandomBytes(7) })).not.toEqual(generateRecoveryCodes({ randomBytes: evenRandomBytes(8) }));
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

describe('hashRecoveryCode', () => {
  it('is HMAC-SHA-256 of the canonical code under the current pepper, as lower-case hex', () => {
    const expected = createHmac('sha256', PEPPER_BYTES).update('abcd-efgh-2345', 'utf8').digest('hex');
    expect(hashRecoveryCode('abcd-efgh-2345', pepper)).toEqual({ keyId: 'p1', hash: expected });
    expect(hashRecoveryCode('abcd-efgh-2345', pepper).hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('needs a canonical code, so a raw input can never be hashed by mistake', () => {
    for (const raw of ['ABCD-EFGH-2345', 'abcdefgh2345', ' abcd-efgh-2345', 'abcd-efgh-234']) {
      expect(() => hashRecoveryCode(raw, pepper)).toThrow(RangeError);
    }
    expect(() => hashRecoveryCode(12 as unknown as string, pepper)).toThrow(TypeError);
    expect(() => hashRecoveryCode('abcd-efgh-2345', {} as typeof pepper)).toThrow(new TypeError('pepper must be a Keyring (see createKeyring)'));
  });
});

describe('hashes on node:crypto and on @noble/hashes (internal/native-crypto.ts)', () => {
  afterEach(() => forceFallbackCryptoForTesting(false));
  const on = onCryptoPath;

  it('are the same for any code and any pepper length, and match an independent HMAC', () => {
    const canonical = fc
      .array(fc.constantFrom(...ALPHABET), { minLength: 12, maxLength: 12 })
      .map((c) => `${c.slice(0, 4).join('')}-${c.slice(4, 8).join('')}-${c.slice(8).join('')}`);
    fc.assert(
      fc.property(canonical, fc.uint8Array({ minLength: 32, maxLength: 200 }), (code, key) => {
        const rotated = createKeyring('recovery code pepper', [{ id: 'new', key }, { id: 'old', key: PEPPER_BYTES }], { minBytes: 32 });
        const expected = createHmac('sha256', key).update(code).digest('hex');
        for (const path of ['native', 'noble'] as const) {
          expect(on(path, () => hashRecoveryCode(code, rotated))).toEqual({ keyId: 'new', hash: expected });
          expect(on(path, () => recoveryCodeLookupHashes(code, rotated))).toEqual([
            { keyId: 'new', hash: expected },
            { keyId: 'old', hash: createHmac('sha256', PEPPER_BYTES).update(code).digest('hex') },
          ]);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('recoveryCodeLookupHashes', () => {
  it('gives one hash per pepper key, current first, so codes stored before a rotation are found', () => {
    const oldPepper = createKeyring('recovery code pepper', [{ id: 'p1', key: PEPPER_BYTES }], { minBytes: 32 });
    const stored = hashRecoveryCode('abcd-efgh-2345', oldPepper);
    const rotated = createKeyring(
      'recovery code pepper',
      [
        { id: 'p2', key: new Uint8Array(48).fill(2) },
        { id: 'p1', key: PEPPER_BYTES },
      ],
      { minBytes: 32 },
    );
    const lookups = recoveryCodeLookupHashes('abcd-efgh-2345', rotated);
    expect(lookups.map((h) => h.keyId)).toEqual(['p2', 'p1']);
    expect(lookups[0]).toEqual(hashRecoveryCode('abcd-efgh-2345', rotated));
    expect(lookups[1]).toEqual(stored);
    expect(lookups[0]?.hash).not.toBe(lookups[1]?.hash);
  });

  it('needs a canonical code', () => {
    expect(() => recoveryCodeLookupHashes('ABCD EFGH 2345', pepper)).toThrow(RangeError);
  });
});

describe('hashRecoveryCodes', () => {
  it('normalises and hashes every code, in order', () => {
    const codes = generateRecoveryCodes();
    const hashes = hashRecoveryCodes(codes, pepper);
    expect(hashes).toEqual(codes.map((code) => hashRecoveryCode(code, pepper)));
    expect(hashRecoveryCodes(['ABCD EFGH 2345'], pepper)).toEqual([hashRecoveryCode('abcd-efgh-2345', pepper)]);
    expect(hashRecoveryCodes([], pepper)).toEqual([]);
  });

  it('refuses a malformed code by its index, without quoting it', () => {
    expect(() => hashRecoveryCodes(['abcd-efgh-2345', 'oops-oops'], pepper)).toThrow(
      new RangeError('codes[1] is not a well-formed recovery code (xxxx-xxxx-xxxx over a-z and 0-9)'),
    );
  });

  it('refuses two spellings of one code, which would collide in the store', () => {
    expect(() => hashRecoveryCodes(['abcd-efgh-2345', 'ABCDEFGH2345'], pepper)).toThrow(/codes\[1\] repeats an earlier code/);
  });

  it('refuses a non-array, more than 100 codes, or a non-keyring', () => {
    expect(() => hashRecoveryCodes('abcd-efgh-2345' as unknown as string[], pepper)).toThrow(TypeError);
    expect(() => hashRecoveryCodes(generateRecoveryCodes({ count: 100 }).concat('zzzz-zzzz-zzzz'), pepper)).toThrow(RangeError);
    expect(() => hashRecoveryCodes([], undefined as unknown as typeof pepper)).toThrow(TypeError);
  });
});
