import { createCipheriv, createDecipheriv } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TotpError } from './errors';
import { forceFallbackCryptoForTesting } from './internal/native-crypto';
import { onCryptoPath } from './internal/crypto-paths.testkit';
import { createKeyring, type Keyring } from './keyring';
import type { EncryptedSecret } from './model';
import { decryptSecret, encryptSecret, type SecretBinding } from './secret-box';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const NONCE = hex.decode('cafebabefacedbaddecaf888');
const SECRET = new TextEncoder().encode('12345678901234567890'); // RFC 6238 Appendix B's SHA-1 seed
const BINDING: SecretBinding = {
  organizationId: 'organization-test-0d9c3e8a-7f1b-4c1e-9a57-2b9f4c6d8e10',
  memberId: 'member-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
  totpRegistrationId: 'member-totp-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
};
const ring = (...keys: [string, Uint8Array][]): Keyring =>
  createKeyring('encryption keys', keys.map(([id, key]) => ({ id, key })), { exactBytes: 32 });
const KEYRING = ring(['k1', KEY]);
const fixedNonce = () => NONCE.slice();

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

function expectInternalError(action: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('internal_server_error');
  if (message) expect((error as TotpError).message).toMatch(message);
}

describe('AES-256-GCM primitive (@noble/ciphers)', () => {
  it('matches GCM spec Test Case 16 (256-bit key, 96-bit IV, with AAD; McGrew & Viega, as used by NIST CAVP)', () => {
    const key = hex.decode('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const iv = hex.decode('cafebabefacedbaddecaf888');
    const aad = hex.decode('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const plaintext = hex.decode(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    );
    const expected =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b';
    expect(hex.encode(gcm(key, iv, aad).encrypt(plaintext))).toBe(expected);
    expect(gcm(key, iv, aad).decrypt(hex.decode(expected))).toEqual(plaintext);
  });
});

describe('encryptSecret', () => {
  it('produces the frozen storage format: base64url(nonce ‖ ciphertext ‖ tag) with length-prefixed IDs as AAD', () => {
    // A change to this value means every stored secret becomes unreadable: it needs a new AAD label, not a new golden.
    const encrypted = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: fixedNonce });
    expect(encrypted).toEqual({ keyId: 'k1', ciphertext: 'yv66vvrO263eyviIu5GTEp9MeCN_O2zvSCm8CToY-WG-G9UpOHyPQMHef7hfcHiS' });
  });

  it('is readable by an independent AES-GCM (node:crypto) given the documented associated data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), bindingArbitrary(), (secret, binding) => {
        const { ciphertext } = encryptSecret(secret, { binding, keyring: KEYRING });
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
    const a = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING });
    const b = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING });
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(base64urlnopad.decode(a.ciphertext).subarray(0, 12)).not.toEqual(base64urlnopad.decode(b.ciphertext).subarray(0, 12));
  });

  it('asks randomBytes for exactly 12 bytes and refuses anything else back', () => {
    const asked: number[] = [];
    encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: (n) => (asked.push(n), new Uint8Array(n)) });
    expect(asked).toEqual([12]);
    expect(() => encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: () => new Uint8Array(8) })).toThrow(TypeError);
    expect(() => encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: () => [1] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: 'x' as unknown as () => Uint8Array })).toThrow(TypeError);
  });

  it('encrypts under the current key and keeps reading data written under older keys', () => {
    const old = encryptSecret(SECRET, { binding: BINDING, keyring: ring(['k1', KEY]) });
    const rotated = ring(['k2', new Uint8Array(32).fill(2)], ['k1', KEY]);
    const fresh = encryptSecret(SECRET, { binding: BINDING, keyring: rotated });
    expect(old.keyId).toBe('k1');
    expect(fresh.keyId).toBe('k2');
    expect(decryptSecret(old, { binding: BINDING, keyring: rotated })).toEqual(SECRET);
    expect(decryptSecret(fresh, { binding: BINDING, keyring: rotated })).toEqual(SECRET);
    expectInternalError(() => decryptSecret(fresh, { binding: BINDING, keyring: KEYRING }), /key 'k2'.*not in the encryption keys/);
  });

  it('refuses programmer misuse with TypeError or RangeError', () => {
    const options = { binding: BINDING, keyring: KEYRING };
    expect(() => encryptSecret('JBSWY3DP' as unknown as Uint8Array, options)).toThrow(TypeError);
    expect(() => encryptSecret(new Uint8Array(0), options)).toThrow(RangeError);
    expect(() => encryptSecret(new Uint8Array(1025), options)).toThrow(RangeError);
    expect(() => encryptSecret(SECRET, undefined as unknown as typeof options)).toThrow(TypeError);
    expect(() => encryptSecret(SECRET, { binding: BINDING } as typeof options)).toThrow(new TypeError('keyring must be a Keyring (see createKeyring)'));
    expect(() => encryptSecret(SECRET, { keyring: KEYRING } as typeof options)).toThrow(TypeError);
    for (const field of ['organizationId', 'memberId', 'totpRegistrationId'] as const) {
      expect(() => encryptSecret(SECRET, { ...options, binding: { ...BINDING, [field]: '' } })).toThrow(new TypeError(`binding.${field} must be a non-empty string`));
      expect(() => encryptSecret(SECRET, { ...options, binding: { ...BINDING, [field]: 7 as unknown as string } })).toThrow(TypeError);
      expect(() => encryptSecret(SECRET, { ...options, binding: { ...BINDING, [field]: '\uD800' } })).toThrow(/unpaired surrogate/);
      expect(() => encryptSecret(SECRET, { ...options, binding: { ...BINDING, [field]: 'x'.repeat(1025) } })).toThrow(RangeError);
    }
  });
});

describe('decryptSecret', () => {
  const stored = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: fixedNonce });

  it('round-trips any secret under any binding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), bindingArbitrary(), (secret, binding) => {
        const encrypted = encryptSecret(secret, { binding, keyring: KEYRING });
        expect(decryptSecret(encrypted, { binding, keyring: KEYRING })).toEqual(secret);
      }),
    );
  });

  it('reads a value written by an independent AES-GCM (node:crypto)', () => {
    const cipher = createCipheriv('aes-256-gcm', KEY, NONCE);
    cipher.setAAD(referenceAad(BINDING));
    const body = Buffer.concat([NONCE, cipher.update(SECRET), cipher.final(), cipher.getAuthTag()]);
    expect(decryptSecret({ keyId: 'k1', ciphertext: body.toString('base64url') }, { binding: BINDING, keyring: KEYRING })).toEqual(SECRET);
  });

  it('fails for any different binding', () => {
    fc.assert(
      fc.property(bindingArbitrary(), bindingArbitrary(), (a, b) => {
        fc.pre(a.organizationId !== b.organizationId || a.memberId !== b.memberId || a.totpRegistrationId !== b.totpRegistrationId);
        const encrypted = encryptSecret(SECRET, { binding: a, keyring: KEYRING });
        expectInternalError(() => decryptSecret(encrypted, { binding: b, keyring: KEYRING }), /failed authentication/);
      }),
    );
  });

  it('keeps IDs apart even when their concatenations are equal', () => {
    const a: SecretBinding = { organizationId: 'ab', memberId: 'c', totpRegistrationId: 'r' };
    const b: SecretBinding = { organizationId: 'a', memberId: 'bc', totpRegistrationId: 'r' };
    const encrypted = encryptSecret(SECRET, { binding: a, keyring: KEYRING });
    expectInternalError(() => decryptSecret(encrypted, { binding: b, keyring: KEYRING }));
  });

  it('detects a flipped bit anywhere in the stored value', () => {
    const bytes = base64urlnopad.decode(stored.ciphertext);
    for (let i = 0; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expectInternalError(() =>
        decryptSecret({ keyId: 'k1', ciphertext: base64urlnopad.encode(tampered) }, { binding: BINDING, keyring: KEYRING }),
      );
    }
  });

  it('fails under the wrong key with the right ID', () => {
    expectInternalError(() => decryptSecret(stored, { binding: BINDING, keyring: ring(['k1', new Uint8Array(32).fill(1)]) }), /failed authentication/);
  });

  it('reports malformed stored values as internal errors', () => {
    const options = { binding: BINDING, keyring: KEYRING };
    expectInternalError(() => decryptSecret({ keyId: 'k1', ciphertext: 'not base64!' }, options), /not base64url/);
    expectInternalError(() => decryptSecret({ keyId: 'k1', ciphertext: `${stored.ciphertext}==` }, options), /not base64url/);
    expectInternalError(() => decryptSecret({ keyId: 'k1', ciphertext: stored.ciphertext.slice(0, 36) }, options), /too short/);
    expectInternalError(() => decryptSecret({ keyId: 'k1', ciphertext: '' }, options), /too short/);
    expectInternalError(() => decryptSecret({ keyId: 'k 1', ciphertext: stored.ciphertext }, options), /keyId is not a valid key ID/);
    expectInternalError(() => decryptSecret({ ciphertext: stored.ciphertext } as EncryptedSecret, options), /keyId/);
    expectInternalError(() => decryptSecret(null as unknown as EncryptedSecret, options), /expected \{ keyId, ciphertext \}/);
  });

  it('refuses programmer misuse with TypeError', () => {
    expect(() => decryptSecret(stored, { binding: BINDING, keyring: {} as Keyring })).toThrow(TypeError);
    expect(() => decryptSecret(stored, { binding: null as unknown as SecretBinding, keyring: KEYRING })).toThrow(TypeError);
    expect(() => decryptSecret(stored, null as unknown as { binding: SecretBinding; keyring: Keyring })).toThrow(TypeError);
  });
});

describe('the associated data, as encryptSecret and decryptSecret build it (any Unicode IDs)', () => {
  // encryptSecret writes the IDs into a new array, decryptSecret into a shared buffer that grows past 256 bytes, both
  // sized by a hand-written UTF-8 length and with an ASCII fast path. Round trips alone cannot see a mistake the two
  // share, so every stored value is also compared with one sealed independently over referenceAad.
  const ranges = [[0x00, 0x7f], [0x80, 0x7ff], [0x800, 0xffff], [0x10000, 0x10ffff]] as const; // 1 to 4 UTF-8 bytes
  /** A code point of `bytes` UTF-8 bytes (never a surrogate), from any natural number. */
  const ofLength = (bytes: number, n: number) => {
    const [lo, hi] = ranges[bytes - 1]!;
    const c = lo + (n % (hi - lo + 1));
    return String.fromCodePoint(c >= 0xd800 && c <= 0xdfff ? c + 0x800 : c);
  };
  const codePoint = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat()).map(([bytes, n]) => ofLength(bytes, n));
  const wellFormed = (text: string) => !/\p{Cs}/u.test(text); // String.prototype.isWellFormed, in ES2022 terms
  const id = fc.oneof(
    fc.array(codePoint, { minLength: 1, maxLength: 30, size: 'max' }).map((points) => points.join('')),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.string({ minLength: 1, maxLength: 60 }),
  ).filter((text) => text.length <= 60 && wellFormed(text));
  // Long IDs too (20 to 40 code points, at most 60 UTF-16 units): about half of these bindings pass 256 bytes.
  const longId = fc.array(codePoint, { minLength: 20, maxLength: 40 }).map((points) => points.join('')).filter((text) => text.length <= 60);
  const anyBinding = fc.oneof(
    fc.record({ organizationId: id, memberId: id, totpRegistrationId: id }),
    fc.record({ organizationId: longId, memberId: longId, totpRegistrationId: longId }),
  );
  const FIELDS = ['organizationId', 'memberId', 'totpRegistrationId'] as const;

  /** What an independent AES-GCM (node:crypto) stores for `secret` under `binding` with `nonce`. */
  function sealedIndependently(secret: Uint8Array, binding: SecretBinding, nonce: Uint8Array): string {
    const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
    cipher.setAAD(referenceAad(binding));
    return Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }
  function expectRoundTrip(secret: Uint8Array, binding: SecretBinding, nonce: Uint8Array): void {
    const stored = encryptSecret(secret, { binding, keyring: KEYRING, randomBytes: () => nonce.slice() });
    expect(stored).toEqual({ keyId: 'k1', ciphertext: sealedIndependently(secret, binding, nonce) });
    expect(decryptSecret(stored, { binding, keyring: KEYRING })).toEqual(secret);
  }

  it('round-trips, and matches the documented layout, for IDs of 1- to 4-byte characters', () => {
    let long = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), anyBinding, fc.uint8Array({ minLength: 12, maxLength: 12 }), (secret, binding, nonce) => {
        if (referenceAad(binding).length > 256) long += 1;
        expectRoundTrip(secret, binding, nonce);
      }),
      { numRuns: 300 },
    );
    // Some associated data was longer than the shared buffer's first 256 bytes, so it grew during the run.
    expect(long).toBeGreaterThan(10);
  });

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

  it('refuses a binding with one character of one ID changed, non-ASCII ones included', () => {
    let nonAscii = 0;
    fc.assert(
      fc.property(oneCharacterChanged, ({ binding, other, nonAsciiOnly }) => {
        fc.pre(FIELDS.some((field) => other[field] !== binding[field]));
        if (nonAsciiOnly) nonAscii += 1;
        const encrypted = encryptSecret(SECRET, { binding, keyring: KEYRING });
        expectInternalError(() => decryptSecret(encrypted, { binding: other, keyring: KEYRING }), /failed authentication/);
        expect(decryptSecret(encrypted, { binding, keyring: KEYRING })).toEqual(SECRET);
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
        const encrypted = encryptSecret(SECRET, { binding, keyring: KEYRING });
        expectInternalError(() => decryptSecret(encrypted, { binding: other, keyring: KEYRING }), /failed authentication/);
      }),
      { numRuns: 200 },
    );
    // The same bytes in the same order, only the boundary moved: ('é', 'a\u{1F511}') is not ('éa', '\u{1F511}').
    const a: SecretBinding = { organizationId: 'é', memberId: 'a\u{1F511}', totpRegistrationId: 'r' };
    const b: SecretBinding = { organizationId: 'éa', memberId: '\u{1F511}', totpRegistrationId: 'r' };
    expectInternalError(() => decryptSecret(encryptSecret(SECRET, { binding: a, keyring: KEYRING }), { binding: b, keyring: KEYRING }));
  });

  it('handles bindings over 256 bytes of UTF-8 (the shared buffer grows), then short ones, on either path', () => {
    const nonce = NONCE;
    // 39 bytes of label and lengths, then the IDs: totals just under, at, and past the buffer's first 256 bytes.
    const sized = (total: number, filler: string): SecretBinding => {
      const each = Math.floor((total - 39) / 3);
      const last = total - 39 - 2 * each;
      const text = (bytes: number) => filler.repeat(Math.floor(bytes / Buffer.byteLength(filler))) + 'x'.repeat(bytes % Buffer.byteLength(filler));
      return { organizationId: text(each), memberId: text(each), totpRegistrationId: text(last) };
    };
    const bindings = [
      ...[255, 256, 257, 300].flatMap((total) => ['x', 'é', '€', '\u{1F511}'].map((filler) => sized(total, filler))),
      { organizationId: '\u{1F511}'.repeat(60), memberId: '€'.repeat(60), totpRegistrationId: 'é'.repeat(60) },
      { organizationId: 'x'.repeat(1024), memberId: '€'.repeat(1024), totpRegistrationId: '\u{1F511}'.repeat(512) },
      BINDING,
      { organizationId: 'o', memberId: 'm', totpRegistrationId: 'r' },
      { organizationId: 'é', memberId: '€', totpRegistrationId: '\u{1F511}' },
    ];
    expect(bindings.slice(0, 16).map((binding) => referenceAad(binding).length)).toEqual([255, 256, 257, 300].flatMap((total) => Array(4).fill(total)));
    /** The binding with the last character of its last ID replaced. */
    const lastChanged = (binding: SecretBinding): SecretBinding => {
      const points = Array.from(binding.totpRegistrationId);
      points.push(points.pop() === 'y' ? 'z' : 'y');
      return { ...binding, totpRegistrationId: points.join('') };
    };
    for (const path of ['native', 'noble'] as const) {
      onCryptoPath(path, () => {
        const stored = bindings.map((binding) => encryptSecret(SECRET, { binding, keyring: KEYRING, randomBytes: () => nonce.slice() }));
        // Long, then short, then long again: each decrypt sees exactly its own associated data, never a longer
        // buffer's leftovers, and a long binding differing only in its last character is still refused.
        for (const order of [bindings.keys(), [...bindings.keys()].reverse()]) {
          for (const i of order) {
            const binding = bindings[i]!;
            expect(stored[i]!.ciphertext).toBe(sealedIndependently(SECRET, binding, nonce));
            expect(decryptSecret(stored[i]!, { binding, keyring: KEYRING })).toEqual(SECRET);
            expectInternalError(() => decryptSecret(stored[i]!, { binding: lastChanged(binding), keyring: KEYRING }), /failed authentication/);
          }
        }
      });
    }
  });
});

describe('node:crypto and @noble/ciphers (internal/native-crypto.ts) write and read the same stored values', () => {
  afterEach(() => forceFallbackCryptoForTesting(false));
  const on = onCryptoPath;
  const GOLDEN = { keyId: 'k1', ciphertext: 'yv66vvrO263eyviIu5GTEp9MeCN_O2zvSCm8CToY-WG-G9UpOHyPQMHef7hfcHiS' };

  it('both produce the frozen storage format and read it back', () => {
    for (const path of ['native', 'noble'] as const) {
      expect(on(path, () => encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: fixedNonce }))).toEqual(GOLDEN);
      expect(on(path, () => decryptSecret(GOLDEN, { binding: BINDING, keyring: KEYRING }))).toEqual(SECRET);
    }
  });

  it('each decrypts what the other encrypted, for any secret and binding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), bindingArbitrary(), fc.uint8Array({ minLength: 12, maxLength: 12 }), (secret, binding, nonce) => {
        const options = { binding, keyring: KEYRING, randomBytes: () => nonce.slice() };
        const byNoble = on('noble', () => encryptSecret(secret, options));
        const byNative = on('native', () => encryptSecret(secret, options));
        expect(byNative).toEqual(byNoble);
        expect(on('native', () => decryptSecret(byNoble, { binding, keyring: KEYRING }))).toEqual(secret);
        expect(on('noble', () => decryptSecret(byNative, { binding, keyring: KEYRING }))).toEqual(secret);
      }),
      { numRuns: 50 },
    );
  });

  it('both refuse a tampered value, a wrong key and another binding alike', () => {
    const stored = encryptSecret(SECRET, { binding: BINDING, keyring: KEYRING, randomBytes: fixedNonce });
    const bytes = base64urlnopad.decode(stored.ciphertext);
    bytes[20]! ^= 0x01;
    const tampered = { keyId: 'k1', ciphertext: base64urlnopad.encode(bytes) };
    for (const path of ['native', 'noble'] as const) {
      on(path, () => {
        expectInternalError(() => decryptSecret(tampered, { binding: BINDING, keyring: KEYRING }), /failed authentication/);
        expectInternalError(() => decryptSecret(stored, { binding: BINDING, keyring: ring(['k1', new Uint8Array(32).fill(1)]) }), /failed authentication/);
        expectInternalError(() => decryptSecret(stored, { binding: { ...BINDING, memberId: 'member-test-other' }, keyring: KEYRING }), /failed authentication/);
      });
    }
  });

  it('return the secret as a plain Uint8Array of its own, which the caller may wipe without harm to the key ring', () => {
    for (const path of ['native', 'noble'] as const) {
      const secret = on(path, () => decryptSecret(GOLDEN, { binding: BINDING, keyring: KEYRING }));
      expect(Object.getPrototypeOf(secret)).toBe(Uint8Array.prototype);
      expect(secret.buffer.byteLength).toBe(secret.length);
      secret.fill(0);
      expect(on(path, () => decryptSecret(GOLDEN, { binding: BINDING, keyring: KEYRING }))).toEqual(SECRET);
    }
  });
});

function bindingArbitrary(): fc.Arbitrary<SecretBinding> {
  const id = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), fc.uuid());
  return fc.record({ organizationId: id, memberId: id, totpRegistrationId: id });
}
