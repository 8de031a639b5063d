// Tests for opaque session tokens: their form, and the SHA-256 (FIPS 180-4) a store keeps, alike on both providers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';
import { hashToken, newOpaqueToken, TOKEN_BYTES } from './tokens';

const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];

describe('hashToken', () => {
  it.each(PROVIDERS)('is the lower-case hex SHA-256 of the UTF-8 bytes (FIPS 180-2 vectors, %s)', (_name, crypto) => {
    expect(hashToken(crypto, 'abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // U+00E9 is two bytes in UTF-8 (c3 a9); hashing UTF-16 or Latin-1 would give another digest.
    expect(hashToken(crypto, 'é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    // A lone surrogate is hashed as U+FFFD (ef bf bd), as TextEncoder writes it, on both providers.
    expect(hashToken(crypto, '\uD800')).toBe(hashToken(crypto, '\uFFFD'));
  });

  it('gives the same digest on nodeCrypto and nobleCrypto for any string, as stored hashes must', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    );
    fc.assert(
      fc.property(anyText, (token) => {
        const digest = hashToken(nodeCrypto, token);
        expect(digest).toMatch(/^[0-9a-f]{64}$/);
        expect(hashToken(nobleCrypto, token)).toBe(digest);
      }),
    );
  });
});

describe('newOpaqueToken', () => {
  it("is 43 base64url characters of 32 bytes from the provider's randomBytes, and hashes alike on both providers", () => {
    const asked: number[] = [];
    const fixed: CryptoProvider = {
      ...nobleCrypto,
      randomBytes: (length) => {
        asked.push(length);
        return new Uint8Array(length).fill(0xfb);
      },
    };
    const token = newOpaqueToken(fixed);
    expect(asked).toEqual([TOKEN_BYTES]);
    expect(token).toBe('-_v7'.repeat(10) + '-_s');
    expect(hashToken(nodeCrypto, token)).toBe(hashToken(nobleCrypto, token));
  });

  it.each(PROVIDERS)('gives a fresh 256-bit token on every call (%s)', (_name, crypto) => {
    const tokens = Array.from({ length: 100 }, () => newOpaqueToken(crypto));
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(tokens).size).toBe(100);
  });
});
