// Tests for the TOTP secret at rest: the frozen storage format, an independent AES-256-GCM (node:crypto) reading and
// writing it, key rotation, and the binding of each ciphertext to its row, on both crypto providers.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from './keyring';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';
import { SecretBoxError, decryptSecret, encryptSecret, type EncryptedSecret, type SecretBinding } from './secret-box';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const NONCE = hex.decode('cafebabefacedbaddecaf888');
const SECRET = new TextEncoder().encode('12345678901234567890'); // RFC 6238 Appendix B's SHA-1 seed
const BINDING: SecretBinding = {
  organizationId: 'organization-test-0d9c3e8a-7f1b-4c1e-9a57-2b9f4c6d8e10',
  memberId: 'member-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
  totpRegistrationId: 'member-totp-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
};
const ring = (...keys: [string, Uint8Array][]): Keyring =>
  createKeyring(
    'encryption keys',
    keys.map(([id, key]) => ({ id, key })),
    { exactBytes: 32 },
  );
const KEYRING = ring(['k1', KEY]);
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
/** `crypto` with its randomBytes replaced: every nonce is `nonce`. */
const withNonce = (crypto: CryptoProvider, nonce: Uint8Array): CryptoProvider => ({ ...crypto, randomBytes: () => nonce.slice() });

/** The associated-data layout, written out independently of secret-box.ts: u32be(length) ‖ UTF-8, per field. */
function referenceAad(binding: SecretBinding): Buffer {
  const fields = ['totp-core/secret-box/v1', binding.organizationId, binding.memberId, binding.totpRegistrationId];
  return Buffer.concat(
    fields.map((field) => {
      const bytes = Buffer.from(field, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    }),
  );
}

/** Asserts `action` throws SecretBoxError (the stored value or the server's keys are wrong), matching `message`. */
function expectSecretBoxError(action: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(SecretBoxError);
  expect((error as Error).name).toBe('SecretBoxError');
  if (message) expect((error as Error).message).toMatch(message);
}

/** A change to this value means every stored secret becomes unreadable: it needs a new AAD label, not a new golden. */
const GOLDEN: EncryptedSecret = { keyId: 'k1', ciphertext: 'yv66vvrO263eyviIu5GTEp9MeCN_O2zvSCm8CToY-WG-G9UpOHyPQMHef7hfcHiS' };

describe.each(PROVIDERS)('with %s', (_name, crypto) => {
  const options = (binding: SecretBinding = BINDING, keyring: Keyring = KEYRING) => ({ binding, keyring, crypto });

  describe('encryptSecret', () => {
    it('produces the frozen storage format: base64url(nonce ‖ ciphertext ‖ tag) with length-prefixed IDs as AAD', () => {
      expect(encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, crypto: withNonce(crypto, NONCE) })).toEqual(GOLDEN);
      expect(decryptSecret(GOLDEN, options())).toEqual(SECRET);
    });

    it('is readable by an independent AES-GCM (node:crypto) given the documented associated data', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), bindingArbitrary(), (secret, binding) => {
          const { ciphertext } = encryptSecret(secret, options(binding));
          const stored = base64urlnopad.decode(ciphertext);
          expect(stored.length).toBe(12 + secret.length + 16);
          const decipher = createDecipheriv('aes-256-gcm', KEY, stored.subarray(0, 12));
          decipher.setAAD(referenceAad(binding));
          decipher.setAuthTag(stored.subarray(stored.length - 16));
          const plain = Buffer.concat([decipher.update(stored.subarray(12, stored.length - 16)), decipher.final()]);
          expect(new Uint8Array(plain)).toEqual(secret);
        }),
        { numRuns: 50 },
      );
    });

    it('uses a fresh random nonce each time, so equal secrets give unrelated ciphertexts', () => {
      const nonces = Array.from({ length: 50 }, () => base64urlnopad.decode(encryptSecret(SECRET, options()).ciphertext).subarray(0, 12));
      expect(new Set(nonces.map((nonce) => hex.encode(nonce))).size).toBe(50);
    });

    it("asks the provider's randomBytes for exactly 12 bytes and refuses anything else back", () => {
      const asked: number[] = [];
      const counting: CryptoProvider = { ...crypto, randomBytes: (n) => (asked.push(n), new Uint8Array(n)) };
      encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, crypto: counting });
      expect(asked).toEqual([12]);
      for (const randomBytes of [
        () => new Uint8Array(8),
        () => new Uint8Array(16),
        () => [1] as unknown as Uint8Array,
        () => 'x'.repeat(12),
      ]) {
        expect(() =>
          encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, crypto: { ...crypto, randomBytes } as CryptoProvider }),
        ).toThrow(new TypeError("the crypto provider's randomBytes must return exactly the requested length (12)"));
      }
    });

    it('encrypts under the current key and keeps reading data written under older keys', () => {
      const old = encryptSecret(SECRET, options(BINDING, ring(['k1', KEY])));
      const rotated = ring(['k2', new Uint8Array(32).fill(2)], ['k1', KEY]);
      const fresh = encryptSecret(SECRET, options(BINDING, rotated));
      expect(old.keyId).toBe('k1');
      expect(fresh.keyId).toBe('k2');
      expect(decryptSecret(old, options(BINDING, rotated))).toEqual(SECRET);
      expect(decryptSecret(fresh, options(BINDING, rotated))).toEqual(SECRET);
      expectSecretBoxError(() => decryptSecret(fresh, options()), /key 'k2'.*not in the encryption keys/);
    });

    it('leaves the key ring whole: the key copies it reads are wiped, never the ring', () => {
      for (let i = 0; i < 3; i++) expect(decryptSecret(encryptSecret(SECRET, options()), options())).toEqual(SECRET);
      expect(KEYRING.current.key).toEqual(KEY);
      expect(KEYRING.get('k1')).toEqual(KEY);
    });

    it('refuses programmer misuse with TypeError or RangeError', () => {
      expect(() => encryptSecret('JBSWY3DP' as unknown as Uint8Array, options())).toThrow(TypeError);
      expect(() => encryptSecret(new Uint8Array(0), options())).toThrow(RangeError);
      expect(() => encryptSecret(new Uint8Array(1025), options())).toThrow(RangeError);
      expect(() => encryptSecret(SECRET, undefined as unknown as ReturnType<typeof options>)).toThrow(TypeError);
      expect(() => encryptSecret(SECRET, { binding: BINDING, crypto } as ReturnType<typeof options>)).toThrow(
        new TypeError('keyring must be a Keyring (see createKeyring)'),
      );
      expect(() => encryptSecret(SECRET, { keyring: KEYRING, crypto } as ReturnType<typeof options>)).toThrow(TypeError);
      expect(() => encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING } as ReturnType<typeof options>)).toThrow(
        new TypeError('crypto must be a CryptoProvider (nobleCrypto, nodeCrypto or your own)'),
      );
      // A ring of 16-byte keys is an AES-128 ring: refused, not silently used with another cipher.
      const short = createKeyring('encryption keys', [{ id: 'k1', key: new Uint8Array(16) }], { exactBytes: 16 });
      expect(() => encryptSecret(SECRET, options(BINDING, short))).toThrow(RangeError);
      for (const field of ['organizationId', 'memberId', 'totpRegistrationId'] as const) {
        expect(() => encryptSecret(SECRET, options({ ...BINDING, [field]: '' }))).toThrow(
          new TypeError(`binding.${field} must be a non-empty string`),
        );
        expect(() => encryptSecret(SECRET, options({ ...BINDING, [field]: 7 as unknown as string }))).toThrow(TypeError);
        expect(() => encryptSecret(SECRET, options({ ...BINDING, [field]: '\uD800' }))).toThrow(/unpaired surrogate/);
        expect(() => encryptSecret(SECRET, options({ ...BINDING, [field]: 'x'.repeat(1025) }))).toThrow(RangeError);
      }
    });
  });

  describe('decryptSecret', () => {
    const stored = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, crypto: withNonce(crypto, NONCE) });

    it('round-trips any secret under any binding', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), bindingArbitrary(), (secret, binding) => {
          expect(decryptSecret(encryptSecret(secret, options(binding)), options(binding))).toEqual(secret);
        }),
      );
    });

    it('reads a value written by an independent AES-GCM (node:crypto)', () => {
      const cipher = createCipheriv('aes-256-gcm', KEY, NONCE);
      cipher.setAAD(referenceAad(BINDING));
      const body = Buffer.concat([NONCE, cipher.update(SECRET), cipher.final(), cipher.getAuthTag()]);
      expect(decryptSecret({ keyId: 'k1', ciphertext: body.toString('base64url') }, options())).toEqual(SECRET);
    });

    it('fails for any different binding', () => {
      fc.assert(
        fc.property(bindingArbitrary(), bindingArbitrary(), (a, b) => {
          fc.pre(a.organizationId !== b.organizationId || a.memberId !== b.memberId || a.totpRegistrationId !== b.totpRegistrationId);
          const encrypted = encryptSecret(SECRET, options(a));
          expectSecretBoxError(() => decryptSecret(encrypted, options(b)), /failed authentication/);
        }),
      );
    });

    it('keeps IDs apart even when their concatenations are equal', () => {
      const a: SecretBinding = { organizationId: 'ab', memberId: 'c', totpRegistrationId: 'r' };
      const b: SecretBinding = { organizationId: 'a', memberId: 'bc', totpRegistrationId: 'r' };
      expectSecretBoxError(() => decryptSecret(encryptSecret(SECRET, options(a)), options(b)), /failed authentication/);
    });

    it('detects a flipped bit anywhere in the stored value', () => {
      const bytes = base64urlnopad.decode(stored.ciphertext);
      for (let i = 0; i < bytes.length; i++) {
        for (const bit of [0x01, 0x80]) {
          const tampered = bytes.slice();
          tampered[i] = (tampered[i] as number) ^ bit;
          expectSecretBoxError(
            () => decryptSecret({ keyId: 'k1', ciphertext: base64urlnopad.encode(tampered) }, options()),
            /failed authentication/,
          );
        }
      }
    });

    it('fails under the wrong key with the right ID, keeping what the provider threw as the cause', () => {
      let error: unknown;
      try {
        decryptSecret(stored, options(BINDING, ring(['k1', new Uint8Array(32).fill(1)])));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SecretBoxError);
      expect((error as Error).message).toMatch(/failed authentication/);
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it('reports malformed stored values as SecretBoxError', () => {
      expectSecretBoxError(() => decryptSecret({ keyId: 'k1', ciphertext: 'not base64!' }, options()), /not base64url/);
      expectSecretBoxError(() => decryptSecret({ keyId: 'k1', ciphertext: `${stored.ciphertext}==` }, options()), /not base64url/);
      expectSecretBoxError(() => decryptSecret({ keyId: 'k1', ciphertext: stored.ciphertext.slice(0, 36) }, options()), /too short/);
      expectSecretBoxError(() => decryptSecret({ keyId: 'k1', ciphertext: '' }, options()), /too short/);
      expectSecretBoxError(() => decryptSecret({ keyId: 'k 1', ciphertext: stored.ciphertext }, options()), /keyId is not a valid key ID/);
      expectSecretBoxError(() => decryptSecret({ ciphertext: stored.ciphertext } as EncryptedSecret, options()), /keyId/);
      expectSecretBoxError(() => decryptSecret(null as unknown as EncryptedSecret, options()), /expected \{ keyId, ciphertext \}/);
    });

    it('refuses programmer misuse with TypeError', () => {
      expect(() => decryptSecret(stored, { binding: BINDING, keyring: {} as Keyring, crypto })).toThrow(TypeError);
      expect(() => decryptSecret(stored, { binding: null as unknown as SecretBinding, keyring: KEYRING, crypto })).toThrow(TypeError);
      expect(() => decryptSecret(stored, null as unknown as ReturnType<typeof options>)).toThrow(TypeError);
      expect(() => decryptSecret(stored, { binding: BINDING, keyring: KEYRING, crypto: {} as CryptoProvider })).toThrow(
        new TypeError('crypto must be a CryptoProvider (nobleCrypto, nodeCrypto or your own)'),
      );
    });

    it('returns the secret as a plain Uint8Array of its own, which the caller may wipe without harm to the key ring', () => {
      const secret = decryptSecret(GOLDEN, options());
      expect(Object.getPrototypeOf(secret)).toBe(Uint8Array.prototype);
      expect(secret.buffer.byteLength).toBe(secret.length);
      secret.fill(0);
      expect(decryptSecret(GOLDEN, options())).toEqual(SECRET);
    });
  });

  describe('the associated data, for any Unicode IDs', () => {
    // Round trips alone cannot see a mistake encryptSecret and decryptSecret share, so every stored value is also
    // compared with one sealed independently (node:crypto) over referenceAad.
    function expectRoundTrip(secret: Uint8Array, binding: SecretBinding, nonce: Uint8Array): void {
      const stored = encryptSecret(secret, { binding, keyring: KEYRING, crypto: withNonce(crypto, nonce) });
      expect(stored).toEqual({ keyId: 'k1', ciphertext: sealedIndependently(secret, binding, nonce) });
      expect(decryptSecret(stored, options(binding))).toEqual(secret);
    }

    it('round-trips, and matches the documented layout, for IDs of 1- to 4-byte characters', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 1, maxLength: 64 }),
          anyBinding,
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          expectRoundTrip,
        ),
        { numRuns: 300 },
      );
    });

    it('refuses a binding with one character of one ID changed, non-ASCII ones included', () => {
      let nonAscii = 0;
      fc.assert(
        fc.property(oneCharacterChanged, ({ binding, other, nonAsciiOnly }) => {
          fc.pre(FIELDS.some((field) => other[field] !== binding[field]));
          if (nonAsciiOnly) nonAscii += 1;
          const encrypted = encryptSecret(SECRET, options(binding));
          expectSecretBoxError(() => decryptSecret(encrypted, options(other)), /failed authentication/);
          expect(decryptSecret(encrypted, options(binding))).toEqual(SECRET);
        }),
        { numRuns: 300 },
      );
      // The case that matters most was drawn: same UTF-8 lengths, so only the non-ASCII bytes themselves differ.
      expect(nonAscii).toBeGreaterThan(20);
    });

    it('refuses a binding with a character moved from one ID to the next', () => {
      fc.assert(
        fc.property(characterMoved, ({ binding, other }) => {
          fc.pre(FIELDS.some((field) => other[field] !== binding[field]));
          const encrypted = encryptSecret(SECRET, options(binding));
          expectSecretBoxError(() => decryptSecret(encrypted, options(other)), /failed authentication/);
        }),
        { numRuns: 200 },
      );
      // The same bytes in the same order, only the boundary moved: ('é', 'a\u{1F511}') is not ('éa', '\u{1F511}').
      const a: SecretBinding = { organizationId: 'é', memberId: 'a\u{1F511}', totpRegistrationId: 'r' };
      const b: SecretBinding = { organizationId: 'éa', memberId: '\u{1F511}', totpRegistrationId: 'r' };
      expectSecretBoxError(() => decryptSecret(encryptSecret(SECRET, options(a)), options(b)));
    });

    it('matches the layout for IDs up to their 1024-character limit, and refuses such a binding with its last character changed', () => {
      const bindings: SecretBinding[] = [
        { organizationId: '\u{1F511}'.repeat(60), memberId: '€'.repeat(60), totpRegistrationId: 'é'.repeat(60) },
        { organizationId: 'x'.repeat(1024), memberId: '€'.repeat(1024), totpRegistrationId: '\u{1F511}'.repeat(512) },
        BINDING,
        { organizationId: 'o', memberId: 'm', totpRegistrationId: 'r' },
        { organizationId: 'é', memberId: '€', totpRegistrationId: '\u{1F511}' },
      ];
      const lastChanged = (binding: SecretBinding): SecretBinding => {
        const points = Array.from(binding.totpRegistrationId);
        points.push(points.pop() === 'y' ? 'z' : 'y');
        return { ...binding, totpRegistrationId: points.join('') };
      };
      for (const binding of bindings) {
        expectRoundTrip(SECRET, binding, NONCE);
        const stored = encryptSecret(SECRET, options(binding));
        expectSecretBoxError(() => decryptSecret(stored, options(lastChanged(binding))), /failed authentication/);
      }
    });
  });
});

describe('nobleCrypto and nodeCrypto write and read the same stored values', () => {
  it('each decrypts what the other encrypted, for any secret, binding and nonce, and both write the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 128 }),
        bindingArbitrary(),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        (secret, binding, nonce) => {
          const byNoble = encryptSecret(secret, { binding, keyring: KEYRING, crypto: withNonce(nobleCrypto, nonce) });
          const byNode = encryptSecret(secret, { binding, keyring: KEYRING, crypto: withNonce(nodeCrypto, nonce) });
          expect(byNode).toEqual(byNoble);
          expect(decryptSecret(byNoble, { binding, keyring: KEYRING, crypto: nodeCrypto })).toEqual(secret);
          expect(decryptSecret(byNode, { binding, keyring: KEYRING, crypto: nobleCrypto })).toEqual(secret);
        },
      ),
      { numRuns: 50 },
    );
  });
});

const ranges = [
  [0x00, 0x7f],
  [0x80, 0x7ff],
  [0x800, 0xffff],
  [0x10000, 0x10ffff],
] as const; // 1 to 4 UTF-8 bytes
/** A code point of `bytes` UTF-8 bytes (never a surrogate), from any natural number. */
const ofLength = (bytes: number, n: number) => {
  const [lo, hi] = ranges[bytes - 1]!;
  const c = lo + (n % (hi - lo + 1));
  return String.fromCodePoint(c >= 0xd800 && c <= 0xdfff ? c + 0x800 : c);
};
const codePoint = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat()).map(([bytes, n]) => ofLength(bytes, n));
const wellFormed = (text: string) => !/\p{Cs}/u.test(text); // String.prototype.isWellFormed, in ES2022 terms
const id = fc
  .oneof(
    fc.array(codePoint, { minLength: 1, maxLength: 30, size: 'max' }).map((points) => points.join('')),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.string({ minLength: 1, maxLength: 60 }),
  )
  .filter((text) => text.length <= 60 && wellFormed(text));
// Long IDs too (20 to 40 code points, at most 60 UTF-16 units).
const longId = fc
  .array(codePoint, { minLength: 20, maxLength: 40 })
  .map((points) => points.join(''))
  .filter((text) => text.length <= 60);
const anyBinding = fc.oneof(
  fc.record({ organizationId: id, memberId: id, totpRegistrationId: id }),
  fc.record({ organizationId: longId, memberId: longId, totpRegistrationId: longId }),
);
const FIELDS = ['organizationId', 'memberId', 'totpRegistrationId'] as const;

/** `binding` with one ID changed: one character swapped for another of as many UTF-8 bytes, or for any other. */
const oneCharacterChanged = fc
  .tuple(anyBinding, fc.constantFrom(...FIELDS), fc.nat(), fc.nat(), fc.boolean())
  .map(([binding, field, at, n, sameLength]) => {
    const points = Array.from(binding[field]);
    const i = at % points.length;
    const old = points[i]!;
    const bytes = Buffer.byteLength(old, 'utf8');
    points[i] = ofLength(sameLength ? bytes : (n % 4) + 1, n);
    return { binding, other: { ...binding, [field]: points.join('') }, nonAsciiOnly: sameLength && bytes > 1 };
  });
/** `binding` with a character moved across the boundary between two adjacent IDs (both stay non-empty). */
const characterMoved = fc.tuple(anyBinding, fc.integer({ min: 0, max: 1 }), fc.boolean()).map(([binding, k, forward]) => {
  const left = Array.from(binding[FIELDS[k]!]);
  const right = Array.from(binding[FIELDS[k + 1]!]);
  if (forward && left.length > 1) right.unshift(left.pop()!);
  else if (!forward && right.length > 1) left.push(right.shift()!);
  return { binding, other: { ...binding, [FIELDS[k]!]: left.join(''), [FIELDS[k + 1]!]: right.join('') } };
});

/** What an independent AES-GCM (node:crypto) stores for `secret` under `binding` with `nonce`. */
function sealedIndependently(secret: Uint8Array, binding: SecretBinding, nonce: Uint8Array): string {
  const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
  cipher.setAAD(referenceAad(binding));
  return Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

function bindingArbitrary(): fc.Arbitrary<SecretBinding> {
  const id = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.uuid());
  return fc.record({ organizationId: id, memberId: id, totpRegistrationId: id });
}
