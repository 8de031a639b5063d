// Attack pinned: someone who steals a database dump (or reads what the service hands the store) tries to read or
// brute-force members' recovery codes; and someone posting hostile `recovery_code` values tries to crash or confuse
// normalisation. The stored value must not contain the code in any spelling, must depend on the server-side pepper,
// and hostile input must give null (normalize) or TypeError/RangeError (the rest), never anything else.

import { hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from './keyring';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  hashRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeLookupHashes,
} from './recovery-codes';

const PEPPER_BYTES = hex.decode('9e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99');
const pepper = createKeyring('recovery code pepper', [{ id: 'p1', key: PEPPER_BYTES }], { minBytes: 32 });
const otherPepper = createKeyring('recovery code pepper', [{ id: 'p1', key: new Uint8Array(32).fill(1) }], { minBytes: 32 });

const HOSTILE: unknown[] = [
  undefined,
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  0n,
  true,
  Symbol('code'),
  () => 'abcd-efgh-2345',
  [],
  ['abcd-efgh-2345'],
  {},
  { toString: () => 'abcd-efgh-2345', valueOf: () => 'abcd-efgh-2345' },
  JSON.parse('{"__proto__": "abcd-efgh-2345"}'),
  '__proto__',
  'constructor',
  'a'.repeat(10_000_000),
  '-'.repeat(10_000_000),
  '\uD800'.repeat(12),
  '１２３４-５６７８-９０１２', // full-width digits
  '١٢٣٤٥٦٧٨٩٠١٢', // Arabic-Indic digits
  'abcd-efgh-2345\u200B', // zero-width space
  'abcd\u0000efgh\u00002345',
  'a\u0301bcd-efgh-2345', // combining accent
];

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('what is stored never reveals a code', () => {
  it('a stored hash contains no spelling of its code, and neither does the pepper ID', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (count) => {
        const codes = generateRecoveryCodes({ count });
        const stored = JSON.stringify(hashRecoveryCodes(codes, pepper));
        for (const code of codes) {
          const bare = code.replace(/-/g, '');
          for (const form of [code, bare, code.toUpperCase(), bare.toUpperCase(), bare.slice(0, 8), bare.slice(4)]) {
            expect(stored).not.toContain(form);
          }
        }
        expect(stored).not.toContain(hex.encode(PEPPER_BYTES));
      }),
      { numRuns: 50 },
    );
  });

  it('the hash depends on the pepper, so a dump without it gives nothing to brute-force offline', () => {
    fc.assert(
      fc.property(fc.constantFrom(...generateRecoveryCodes({ count: 50 })), (code) => {
        expect(hashRecoveryCode(code, pepper).hash).not.toBe(hashRecoveryCode(code, otherPepper).hash);
        expect(recoveryCodeLookupHashes(code, pepper)).toEqual([hashRecoveryCode(code, pepper)]);
      }),
    );
  });

  it('different codes never share a hash', () => {
    const codes = generateRecoveryCodes({ count: 100 });
    expect(new Set(hashRecoveryCodes(codes, pepper).map((h) => h.hash)).size).toBe(100);
  });

  it('error messages about a bad code give its index, never the code', () => {
    const error = caught(() => hashRecoveryCodes(['abcd-efgh-2345', 'secret-code-zz'], pepper));
    expect(String(error)).not.toContain('secret');
    const repeated = caught(() => hashRecoveryCodes(['abcd-efgh-2345', 'ABCD EFGH 2345'], pepper));
    expect(String(repeated)).not.toMatch(/abcd|efgh|2345/i);
  });
});

describe('hostile input', () => {
  it('normalizeRecoveryCode returns null and never throws', () => {
    for (const input of HOSTILE) expect(normalizeRecoveryCode(input)).toBeNull();
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true }), (input) => {
        const result = normalizeRecoveryCode(input);
        expect(result === null || /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/.test(result)).toBe(true);
      }),
    );
  });

  it('only ASCII is folded, so no Unicode look-alike normalises into a real code', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (input) => {
        const result = normalizeRecoveryCode(input);
        if (result !== null) expect(input).toMatch(/^[A-Za-z0-9\t\n\v\f\r -]+$/);
      }),
    );
  });

  it('hashRecoveryCode and recoveryCodeLookupHashes throw only TypeError or RangeError', () => {
    const peppers: unknown[] = [pepper, undefined, null, {}, { current: {} }, { current: { id: 'p1', key: 'bytes' }, get: () => undefined }, '__proto__'];
    for (const code of [...HOSTILE, 'abcd-efgh-2345']) {
      for (const keyring of peppers) {
        for (const action of [
          () => hashRecoveryCode(code as string, keyring as Keyring),
          () => recoveryCodeLookupHashes(code as string, keyring as Keyring),
        ]) {
          const error = caught(action);
          if (code === 'abcd-efgh-2345' && keyring === pepper) expect(error).toBeUndefined();
          else expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
        }
      }
    }
  });

  it('hashRecoveryCodes throws only TypeError or RangeError', () => {
    const lists: unknown[] = [undefined, null, 'abcd-efgh-2345', { length: 1, 0: 'abcd-efgh-2345' }, HOSTILE, [Number.NaN], Array(1000).fill('abcd-efgh-2345'), JSON.parse('{"__proto__": []}')];
    for (const list of lists) {
      const error = caught(() => hashRecoveryCodes(list as string[], pepper));
      expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
    }
  });

  it('generateRecoveryCodes refuses hostile options with TypeError or RangeError and ignores inherited ones', () => {
    const options: unknown[] = [null, 'x', { count: Number.NaN }, { count: '10' }, { count: 1e9 }, { count: -0.5 }, { count: 10n }, { randomBytes: 42 }];
    for (const option of options) {
      const error = caught(() => generateRecoveryCodes(option as object));
      expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
    }
    // A polluted prototype must not choose the count or the random source.
    const inherited = Object.create({ count: 1, randomBytes: (n: number) => new Uint8Array(n) }) as object;
    expect(generateRecoveryCodes(inherited)).toHaveLength(10);
    expect(generateRecoveryCodes(JSON.parse('{"__proto__": {"count": 1}}') as object)).toHaveLength(10);
  });
});
