// Tests for recovery codes at rest: HMAC-SHA-256 (RFC 2104, RFC 4231 vectors) of the canonical code under a pepper
// keyring, checked against an independent HMAC (node:crypto) on both crypto providers, and across pepper rotation.

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes } from '../otp/recovery-codes';
import { createKeyring } from './keyring';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';
import { hashRecoveryCode, hashRecoveryCodes, recoveryCodeLookupHashes } from './recovery-code-hashes';

const ascii = (text: string) => new TextEncoder().encode(text);
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PEPPER_BYTES = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);
const pepper = createKeyring('recovery code pepper', [{ id: 'p1', key: PEPPER_BYTES }], { minBytes: 32 });
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
/** Any canonical code, xxxx-xxxx-xxxx over [a-z0-9]. */
const canonicalCode = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 12, maxLength: 12 })
  .map((c) => `${c.slice(0, 4).join('')}-${c.slice(4, 8).join('')}-${c.slice(8).join('')}`);

describe.each(PROVIDERS)('with %s', (_name, crypto) => {
  describe("the provider's HMAC-SHA-256, the primitive under the stored hashes", () => {
    it('matches RFC 4231 test case 2 (a key shorter than the block)', () => {
      const mac = crypto.hmac('SHA-256', ascii('Jefe'), ascii('what do ya want for nothing?'));
      expect(Buffer.from(mac).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    });

    it('matches RFC 4231 test case 6 (a 131-byte key, longer than the block, as a long pepper may be)', () => {
      const mac = crypto.hmac('SHA-256', new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'));
      expect(Buffer.from(mac).toString('hex')).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
    });
  });

  describe('hashRecoveryCode', () => {
    it('is HMAC-SHA-256 of the canonical code under the current pepper, as lower-case hex', () => {
      const expected = createHmac('sha256', PEPPER_BYTES).update('abcd-efgh-2345', 'utf8').digest('hex');
      expect(hashRecoveryCode('abcd-efgh-2345', pepper, crypto)).toEqual({ keyId: 'p1', hash: expected });
      expect(hashRecoveryCode('abcd-efgh-2345', pepper, crypto).hash).toMatch(/^[0-9a-f]{64}$/);
      // A short key, run through a keyring: the code is not the RFC's message, so node:crypto gives the value.
      const jefe = createKeyring('rfc 4231 keys', [{ id: 'jefe', key: ascii('Jefe') }], { minBytes: 1 });
      expect(hashRecoveryCode('abcd-efgh-2345', jefe, crypto)).toEqual({
        keyId: 'jefe',
        hash: createHmac('sha256', 'Jefe').update('abcd-efgh-2345').digest('hex'),
      });
    });

    it('wipes only its own copy of the pepper: the ring gives the same hash every time', () => {
      const first = hashRecoveryCode('abcd-efgh-2345', pepper, crypto);
      expect(hashRecoveryCode('abcd-efgh-2345', pepper, crypto)).toEqual(first);
      expect(recoveryCodeLookupHashes('abcd-efgh-2345', pepper, crypto)).toEqual([first]);
      expect(pepper.current.key).toEqual(PEPPER_BYTES);
    });

    it('needs a canonical code, so a raw input can never be hashed by mistake', () => {
      for (const raw of ['ABCD-EFGH-2345', 'abcdefgh2345', ' abcd-efgh-2345', 'abcd-efgh-234']) {
        expect(() => hashRecoveryCode(raw, pepper, crypto)).toThrow(RangeError);
      }
      expect(() => hashRecoveryCode(12 as unknown as string, pepper, crypto)).toThrow(TypeError);
      expect(() => hashRecoveryCode('abcd-efgh-2345', {} as typeof pepper, crypto)).toThrow(
        new TypeError('pepper must be a Keyring (see createKeyring)'),
      );
    });
  });

  describe('recoveryCodeLookupHashes', () => {
    it('gives one hash per pepper key, current first, so codes stored before a rotation are found', () => {
      const stored = hashRecoveryCode('abcd-efgh-2345', pepper, crypto);
      const rotated = createKeyring(
        'recovery code pepper',
        [
          { id: 'p2', key: new Uint8Array(48).fill(2) },
          { id: 'p1', key: PEPPER_BYTES },
        ],
        { minBytes: 32 },
      );
      const lookups = recoveryCodeLookupHashes('abcd-efgh-2345', rotated, crypto);
      expect(lookups.map((h) => h.keyId)).toEqual(['p2', 'p1']);
      expect(lookups[0]).toEqual(hashRecoveryCode('abcd-efgh-2345', rotated, crypto));
      expect(lookups[1]).toEqual(stored);
      expect(lookups[0]?.hash).not.toBe(lookups[1]?.hash);
    });

    it('needs a canonical code', () => {
      expect(() => recoveryCodeLookupHashes('ABCD EFGH 2345', pepper, crypto)).toThrow(RangeError);
    });
  });

  describe('hashRecoveryCodes', () => {
    it('normalises and hashes every code, in order', () => {
      const codes = generateRecoveryCodes();
      expect(hashRecoveryCodes(codes, pepper, crypto)).toEqual(codes.map((code) => hashRecoveryCode(code, pepper, crypto)));
      expect(hashRecoveryCodes(['ABCD EFGH 2345'], pepper, crypto)).toEqual([hashRecoveryCode('abcd-efgh-2345', pepper, crypto)]);
      expect(hashRecoveryCodes([], pepper, crypto)).toEqual([]);
    });

    it('refuses a malformed code by its index, without quoting it', () => {
      expect(() => hashRecoveryCodes(['abcd-efgh-2345', 'oops-oops'], pepper, crypto)).toThrow(
        new RangeError('codes[1] is not a well-formed recovery code (xxxx-xxxx-xxxx over a-z and 0-9)'),
      );
    });

    it('refuses two spellings of one code, which would collide in the store', () => {
      expect(() => hashRecoveryCodes(['abcd-efgh-2345', 'ABCDEFGH2345'], pepper, crypto)).toThrow(/codes\[1\] repeats an earlier code/);
    });

    it('refuses a non-array, more than 100 codes, or a non-keyring', () => {
      expect(() => hashRecoveryCodes('abcd-efgh-2345' as unknown as string[], pepper, crypto)).toThrow(TypeError);
      expect(() => hashRecoveryCodes(generateRecoveryCodes({ count: 100 }).concat('zzzz-zzzz-zzzz'), pepper, crypto)).toThrow(RangeError);
      expect(() => hashRecoveryCodes(['abcd-efgh-2345'], undefined as unknown as typeof pepper, crypto)).toThrow(TypeError);
    });
  });
});

describe('nobleCrypto and nodeCrypto store and look up the same hashes', () => {
  it('for any code and any pepper length, and both match an independent HMAC', () => {
    fc.assert(
      fc.property(canonicalCode, fc.uint8Array({ minLength: 32, maxLength: 200 }), (code, key) => {
        const rotated = createKeyring(
          'recovery code pepper',
          [
            { id: 'new', key },
            { id: 'old', key: PEPPER_BYTES },
          ],
          { minBytes: 32 },
        );
        const expected = createHmac('sha256', key).update(code).digest('hex');
        for (const [, crypto] of PROVIDERS) {
          expect(hashRecoveryCode(code, rotated, crypto)).toEqual({ keyId: 'new', hash: expected });
          expect(recoveryCodeLookupHashes(code, rotated, crypto)).toEqual([
            { keyId: 'new', hash: expected },
            { keyId: 'old', hash: createHmac('sha256', PEPPER_BYTES).update(code).digest('hex') },
          ]);
        }
      }),
      { numRuns: 50 },
    );
  });
});
