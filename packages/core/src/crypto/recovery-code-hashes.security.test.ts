// Attack pinned: someone who steals a database dump (or reads what the service hands the store) tries to read or
// brute-force members' recovery codes; and someone posting hostile `recovery_code` values tries to crash the hashing.
// The stored value must not contain the code in any spelling, must depend on the server-side pepper, and hostile
// input, pepper or provider must give TypeError/RangeError, never anything else, on either crypto provider.

import { hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes } from '../otp/recovery-codes';
import { createKeyring, type Keyring } from './keyring';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';
import { hashRecoveryCode, hashRecoveryCodes, recoveryCodeLookupHashes } from './recovery-code-hashes';
import { caught, HOSTILE_RECOVERY_CODES as HOSTILE } from '../otp/hostile-input.testkit';

const PEPPER_BYTES = hex.decode('9e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99e29e99');
const pepper = createKeyring('recovery code pepper', [{ id: 'p1', key: PEPPER_BYTES }], { minBytes: 32 });
const otherPepper = createKeyring('recovery code pepper', [{ id: 'p1', key: new Uint8Array(32).fill(1) }], { minBytes: 32 });
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];

describe.each(PROVIDERS)('what is stored never reveals a code (%s)', (_name, crypto) => {
  it('a stored hash contains no spelling of its code, and neither does the pepper ID', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (count) => {
        const codes = generateRecoveryCodes({ count });
        const stored = JSON.stringify(hashRecoveryCodes(codes, pepper, crypto));
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
        expect(hashRecoveryCode(code, pepper, crypto).hash).not.toBe(hashRecoveryCode(code, otherPepper, crypto).hash);
        expect(recoveryCodeLookupHashes(code, pepper, crypto)).toEqual([hashRecoveryCode(code, pepper, crypto)]);
      }),
    );
  });

  it('different codes never share a hash', () => {
    const codes = generateRecoveryCodes({ count: 100 });
    expect(new Set(hashRecoveryCodes(codes, pepper, crypto).map((h) => h.hash)).size).toBe(100);
  });

  it('error messages about a bad code give its index, never the code', () => {
    const error = caught(() => hashRecoveryCodes(['abcd-efgh-2345', 'secret-code-zz'], pepper, crypto));
    expect(String(error)).not.toContain('secret');
    const repeated = caught(() => hashRecoveryCodes(['abcd-efgh-2345', 'ABCD EFGH 2345'], pepper, crypto));
    expect(String(repeated)).not.toMatch(/abcd|efgh|2345/i);
  });
});

describe.each(PROVIDERS)('hostile input (%s)', (_name, crypto) => {
  it('hashRecoveryCode and recoveryCodeLookupHashes throw only TypeError or RangeError', () => {
    const peppers: unknown[] = [
      pepper,
      undefined,
      null,
      {},
      { current: {} },
      { current: { id: 'p1', key: 'bytes' }, get: () => undefined },
      // The Keyring shape, but a key that is not bytes.
      { purpose: 'pepper', ids: ['p1'], current: { id: 'p1', key: 'bytes' }, get: () => 'bytes' },
      { purpose: 'pepper', ids: ['p1'], current: { id: 'p1', key: [1, 2, 3] }, get: () => undefined },
      '__proto__',
    ];
    for (const code of [...HOSTILE, 'abcd-efgh-2345']) {
      for (const keyring of peppers) {
        for (const action of [
          () => hashRecoveryCode(code as string, keyring as Keyring, crypto),
          () => recoveryCodeLookupHashes(code as string, keyring as Keyring, crypto),
        ]) {
          const error = caught(action);
          if (code === 'abcd-efgh-2345' && keyring === pepper) expect(error).toBeUndefined();
          else expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
        }
      }
    }
  });

  it('hashRecoveryCodes throws only TypeError or RangeError', () => {
    const lists: unknown[] = [
      undefined,
      null,
      'abcd-efgh-2345',
      { length: 1, 0: 'abcd-efgh-2345' },
      HOSTILE,
      [Number.NaN],
      Array(1000).fill('abcd-efgh-2345'),
      JSON.parse('{"__proto__": []}'),
    ];
    for (const list of lists) {
      const error = caught(() => hashRecoveryCodes(list as string[], pepper, crypto));
      expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
    }
  });
});

describe('a missing or malformed crypto provider', () => {
  it('is a TypeError, never a hash', () => {
    for (const crypto of [undefined, null, {}, 'nodeCrypto', { hmac: 'SHA-256' }]) {
      for (const action of [
        () => hashRecoveryCode('abcd-efgh-2345', pepper, crypto as unknown as CryptoProvider),
        () => recoveryCodeLookupHashes('abcd-efgh-2345', pepper, crypto as unknown as CryptoProvider),
        () => hashRecoveryCodes(['abcd-efgh-2345'], pepper, crypto as unknown as CryptoProvider),
      ]) {
        expect(caught(action), String(crypto)).toBeInstanceOf(TypeError);
      }
    }
    // The pepper's own bytes survive a failed call: only the copy handed to the provider is wiped.
    expect(pepper.current.key).toEqual(PEPPER_BYTES);
  });
});
