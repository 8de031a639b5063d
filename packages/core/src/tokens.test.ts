import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { forceFallbackCryptoForTesting } from './internal/native-crypto';
import { onCryptoPath } from './internal/crypto-paths.testkit';
import { hashToken, newOpaqueToken, TOKEN_BYTES } from './tokens';

afterEach(() => forceFallbackCryptoForTesting(false));

const on = onCryptoPath;

describe('hashToken', () => {
  it.each(['native', 'noble'] as const)('is the lower-case hex SHA-256 of the UTF-8 bytes (FIPS 180-2 vectors, %s path)', (path) => {
    on(path, () => {
      expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      // U+00E9 is two bytes in UTF-8 (c3 a9); hashing UTF-16 or Latin-1 would give another digest.
      expect(hashToken('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
      // A lone surrogate is hashed as U+FFFD (ef bf bd), as TextEncoder writes it, on both paths.
      expect(hashToken('\uD800')).toBe(hashToken('\uFFFD'));
    });
  });

  it('gives the same digest on node:crypto and on @noble/hashes for any string, as stored hashes must', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
    );
    fc.assert(
      fc.property(anyText, (token) => {
        const digest = on('native', () => hashToken(token));
        expect(digest).toMatch(/^[0-9a-f]{64}$/);
        expect(on('noble', () => hashToken(token))).toBe(digest);
      }),
    );
  });

  it('hashes what newOpaqueToken makes: 43 base64url characters from 32 random bytes', () => {
    const token = newOpaqueToken(() => new Uint8Array(TOKEN_BYTES).fill(0xfb));
    expect(token).toBe('-_v7'.repeat(10) + '-_s');
    expect(on('native', () => hashToken(token))).toBe(on('noble', () => hashToken(token)));
  });
});
