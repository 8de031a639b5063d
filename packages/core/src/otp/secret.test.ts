// Tests for secret generation and the base32 text form of secrets.
// Vectors from RFC 4648 §10 (base32) and the RFC 6238 SHA-1 seed; properties with fast-check.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SECRET_BYTES,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  SecretFormatError,
  decodeSecret,
  encodeSecret,
  generateSecret,
} from './secret';

const ascii = (text: string) => new TextEncoder().encode(text);

/**
 * Asserts `run` throws SecretFormatError (what the service answers as bad_request), not a TypeError or RangeError
 * (programmer misuse, a 500), with a message that names the secret and matches `pattern`.
 */
function expectFormatError(run: () => unknown, pattern: RegExp = /secret/): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SecretFormatError);
  expect((thrown as Error).name).toBe('SecretFormatError');
  expect((thrown as Error).message).toMatch(/secret/);
  expect((thrown as Error).message).toMatch(pattern);
}

describe('generateSecret', () => {
  it('makes 20 bytes from the system CSPRNG by default', () => {
    expect(DEFAULT_SECRET_BYTES).toBe(20);
    const a = generateSecret();
    const b = generateSecret();
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(20);
    expect(a).not.toEqual(b);
  });

  it('draws from the injected randomBytes, asking for exactly `bytes`', () => {
    const asked: number[] = [];
    const secret = generateSecret({
      bytes: 32,
      randomBytes: (length) => {
        asked.push(length);
        return new Uint8Array(length).fill(7);
      },
    });
    expect(asked).toEqual([32]);
    expect(secret).toEqual(new Uint8Array(32).fill(7));
  });

  it('makes any length from 16 to 128 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_SECRET_BYTES, max: MAX_SECRET_BYTES }), (bytes) => {
        expect(generateSecret({ bytes }).length).toBe(bytes);
      }),
    );
  });

  it.each([0, 15, 129, 20.5, Number.NaN, Number.POSITIVE_INFINITY, -20])(
    'refuses bytes = %s with a RangeError naming the range',
    (bytes) => {
      expect(() => generateSecret({ bytes })).toThrow(RangeError);
      expect(() => generateSecret({ bytes })).toThrow(/bytes must be an integer from 16 to 128/);
    },
  );

  it('refuses a non-number bytes, a non-function randomBytes, and a source that returns the wrong length', () => {
    expect(() => generateSecret({ bytes: '20' as unknown as number })).toThrow(TypeError);
    expect(() => generateSecret({ randomBytes: 'crypto' as unknown as () => Uint8Array })).toThrow(TypeError);
    expect(() => generateSecret({ randomBytes: () => new Uint8Array(4) })).toThrow(/randomBytes must return/);
    expect(() => generateSecret({ randomBytes: () => [1, 2, 3] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => generateSecret(null as unknown as object)).toThrow(TypeError);
  });
});

describe('encodeSecret', () => {
  it('is upper-case RFC 4648 base32 without padding', () => {
    expect(encodeSecret(ascii('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    // 16 bytes = 128 bits = 25.6 characters: 26, where padded base32 would add "======".
    expect(encodeSecret(new Uint8Array(16))).toBe('A'.repeat(26));
    expect(encodeSecret(new Uint8Array(20).fill(0xff))).toBe('7'.repeat(32));
  });

  it('refuses anything but a Uint8Array of 16 to 128 bytes', () => {
    expect(() => encodeSecret('GEZDGNBV' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => encodeSecret(Array.from({ length: 20 }, () => 0) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => encodeSecret(new Uint16Array(20) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => encodeSecret(new Uint8Array(15))).toThrow(RangeError);
    expect(() => encodeSecret(new Uint8Array(129))).toThrow(/16 to 128 bytes/);
  });
});

describe('decodeSecret', () => {
  it('decodes the RFC 4648 §10 vectors, padded or not (minBytes lowered to reach them)', () => {
    const vectors: Array<[string, string]> = [
      ['MY======', 'f'],
      ['MZXQ====', 'fo'],
      ['MZXW6===', 'foo'],
      ['MZXW6YQ=', 'foob'],
      ['MZXW6YTB', 'fooba'],
      ['MZXW6YTBOI======', 'foobar'],
    ];
    for (const [text, plain] of vectors) {
      expect(decodeSecret(text, { minBytes: 1 })).toEqual(ascii(plain));
      expect(decodeSecret(text.replace(/=+$/, ''), { minBytes: 1 })).toEqual(ascii(plain));
    }
  });

  it('reads a secret however a person typed it: any case, spaces and tabs anywhere, padding or none', () => {
    const seed = ascii('12345678901234567890');
    for (const text of [
      'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
      'gezdgnbvgy3tqojqgezdgnbvgy3tqojq',
      'gezd gnbv gy3t qojq gezd gnbv gy3t qojq', // as authenticator apps display it
      ' GEZDgnbvGY3TQOJQ\tGEZDGNBVGY3TQOJQ ',
      'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', // 32 characters: correct padding is none
    ]) {
      expect(decodeSecret(text)).toEqual(seed);
    }
    // 16 bytes → 26 characters; the correct padding is six '='.
    const sixteen = new Uint8Array(16).fill(0xab);
    const text = encodeSecret(sixteen);
    expect(decodeSecret(text)).toEqual(sixteen);
    expect(decodeSecret(`${text}======`)).toEqual(sixteen);
    expect(decodeSecret(`${text.toLowerCase()} ===  ===`)).toEqual(sixteen);
  });

  it.each([
    ['a character outside the alphabet', 'GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ', /alphabet/],
    ['a zero (often mistaken for O)', 'GEZDGNBVGY3TQOJ0GEZDGNBVGY3TQOJQ', /alphabet/],
    ['an eight', 'GEZDGNBVGY3TQOJ8GEZDGNBVGY3TQOJQ', /alphabet/],
    ['a newline', 'GEZDGNBVGY3TQOJQ\nGEZDGNBVGY3TQOJQ', /alphabet/],
    ['a hyphen', 'GEZDGNBV-GY3TQOJQGEZDGNBVGY3TQOJQ', /alphabet/],
    ['a dotless ı (upper-cases to I)', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJı', /alphabet/],
    ['a long ſ (upper-cases to S)', 'ſEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', /alphabet/],
    ['a full-width Ａ', 'ＡEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', /alphabet/],
    ['"=" in the middle', 'GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ', /"="/],
    ['"=" padding a full block', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ========', /padding/],
    ['too little padding', 'AAAAAAAAAAAAAAAAAAAAAAAAAA=====', /padding/],
    ['too much padding', 'AAAAAAAAAAAAAAAAAAAAAAAAAA=======', /padding/],
    ['an impossible length (27 characters)', 'A'.repeat(27), /length/],
    ['an impossible length (25 characters)', 'A'.repeat(25), /length/],
    ['nothing', '', /empty/],
    ['only spaces', '   \t ', /empty/],
    ['only padding', '========', /empty/],
  ])('refuses %s with a SecretFormatError', (_what, text, pattern) => {
    expectFormatError(() => decodeSecret(text), pattern);
  });

  it('ignores non-zero unused trailing bits, as authenticator apps do (RFC 4648 §3.5 allows either)', () => {
    // 26 characters carry 130 bits: 16 bytes and 2 unused bits. "…A" is the canonical spelling; "…B", "…C"
    // and "…D" differ only in those 2 bits, as a secret minted from random characters may.
    const canonical = `${'A'.repeat(25)}A`;
    for (const last of ['B', 'C', 'D']) expect(decodeSecret(`${'A'.repeat(25)}${last}`)).toEqual(decodeSecret(canonical));
    // "…E" changes a used bit, so it is a different secret.
    expect(decodeSecret(`${'A'.repeat(25)}E`)).not.toEqual(decodeSecret(canonical));
    // Every remainder length: 2, 4, 5 and 7 characters in the last group, with all unused bits set.
    for (const [text, plain] of [
      ['M3', 'f'], // canonical MY
      ['MZX7', 'fo'], // canonical MZXQ
      ['MZXW7', 'foo'], // canonical MZXW6
      ['MZXW6YX', 'foob'], // canonical MZXW6YQ
    ] as const) {
      expect(decodeSecret(text, { minBytes: 1 })).toEqual(ascii(plain));
    }
  });

  it('never quotes the input in its message: the input is a secret', () => {
    const text = 'SECRETSECRETSECRETSECRETSECRET1';
    try {
      decodeSecret(text);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('SECRET');
    }
  });

  it('refuses fewer than minBytes (default 16) decoded bytes, saying the minimum', () => {
    // The classic tutorial secret is only 10 bytes.
    expectFormatError(() => decodeSecret('JBSWY3DPEHPK3PXP'), /at least 16 bytes/);
    expect(decodeSecret('JBSWY3DPEHPK3PXP', { minBytes: 10 })).toEqual(
      new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]),
    );
    expectFormatError(() => decodeSecret(encodeSecret(new Uint8Array(20)), { minBytes: 32 }), /at least 32 bytes/);
  });

  it('refuses more than 128 decoded bytes, and more than 1024 characters before reading any', () => {
    const tooLong = 'A'.repeat(Math.ceil((129 * 8) / 5)); // 207 characters, 129 bytes
    expectFormatError(() => decodeSecret(tooLong), /at most 128 bytes/);
    expectFormatError(() => decodeSecret(' '.repeat(1025)), /at most 1024 characters/);
    expectFormatError(() => decodeSecret('A'.repeat(1_000_000)), /at most 1024 characters/);
    // Spaces count towards the limit, but a 128-byte secret with a space every 4 characters fits.
    const max = encodeSecret(new Uint8Array(128).fill(1));
    expect(decodeSecret(max.replace(/(.{4})/g, '$1 '))).toEqual(new Uint8Array(128).fill(1));
  });

  it('throws TypeError for a non-string and RangeError for a minBytes outside 1..128', () => {
    for (const value of [undefined, null, 42, new Uint8Array(20), ['GEZDGNBV'], { toString: () => 'GEZDGNBV' }]) {
      expect(() => decodeSecret(value as unknown as string)).toThrow(TypeError);
    }
    for (const minBytes of [0, -1, 129, 1.5, Number.NaN]) {
      expect(() => decodeSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { minBytes })).toThrow(RangeError);
    }
    expect(() => decodeSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { minBytes: '16' as unknown as number })).toThrow(TypeError);
  });
});

describe('base32 properties (fast-check)', () => {
  const secretArb = fc.uint8Array({ minLength: MIN_SECRET_BYTES, maxLength: MAX_SECRET_BYTES });

  it('decode(encode(bytes)) is bytes for any 16..128 bytes, and the text is canonical', () => {
    fc.assert(
      fc.property(secretArb, (bytes) => {
        const text = encodeSecret(bytes);
        expect(text).toMatch(/^[A-Z2-7]+$/);
        expect(text.length).toBe(Math.ceil((bytes.length * 8) / 5));
        expect(decodeSecret(text)).toEqual(bytes);
      }),
    );
  });

  it('decoding ignores case, inserted spaces and tabs, and correct padding', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.array(fc.boolean(), { minLength: 205, maxLength: 205 }),
        fc.array(fc.constantFrom('', ' ', '\t', '  '), { minLength: 206, maxLength: 206 }),
        fc.boolean(),
        (bytes, lower, gaps, pad) => {
          const text = encodeSecret(bytes);
          const padding = pad ? '='.repeat((8 - (text.length % 8)) % 8) : '';
          const mangled = [...text].map((ch, i) => gaps[i]! + (lower[i] ? ch.toLowerCase() : ch)).join('') + gaps[text.length]! + padding;
          expect(decodeSecret(mangled)).toEqual(bytes);
        },
      ),
    );
  });
});
