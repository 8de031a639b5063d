import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  aes256GcmDecrypt,
  aes256GcmEncrypt,
  base64urlOfUtf8,
  base64urlToBytes,
  forceFallbackCryptoForTesting,
  flatHex,
  hmacSha256,
  hmacSha256Hex,
  hmacSha256Base64url,
  sha256HexOfUtf8,
  usesNativeCrypto,
} from './native-crypto';
import { onCryptoPath } from './crypto-paths.testkit';

afterEach(() => forceFallbackCryptoForTesting(false));

const PATHS = ['native', 'fallback'] as const;
type Path = (typeof PATHS)[number];

const on = onCryptoPath;

/** Where an action throws, what it threw; the same on both paths is part of the contract. */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

const ascii = (text: string) => new TextEncoder().encode(text);
/** Any UTF-16 text, lone surrogates included (TextEncoder and node:crypto both write those as U+FFFD). */
const anyText = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }));
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce12 = fc.uint8Array({ minLength: 12, maxLength: 12 });

/** A result is a plain Uint8Array owning its whole ArrayBuffer: not a Buffer, and not a view into a shared pool. */
function expectPlainBytes(bytes: Uint8Array): void {
  expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
  expect(bytes.byteOffset).toBe(0);
  expect(bytes.buffer.byteLength).toBe(bytes.length);
}

describe('the implementation in use', () => {
  it('is node:crypto on this Node (process.getBuiltinModule exists from 20.16), and the noble path when forced', () => {
    expect(typeof process.getBuiltinModule).toBe('function');
    expect(usesNativeCrypto()).toBe(true);
    forceFallbackCryptoForTesting(true);
    expect(usesNativeCrypto()).toBe(false);
    forceFallbackCryptoForTesting(false);
    expect(usesNativeCrypto()).toBe(true);
  });

  /**
   * A fresh copy of the module, whose first call looks node:crypto up while `process.getBuiltinModule` is replaced.
   * The lookup happens once, on first use, so it is made inside the replacement.
   */
  async function choiceWith(getBuiltinModule: unknown): Promise<{ native: boolean; module: typeof import('./native-crypto') }> {
    const original = process.getBuiltinModule;
    vi.resetModules();
    const module = await import('./native-crypto');
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = getBuiltinModule;
    try {
      return { native: module.usesNativeCrypto(), module };
    } finally {
      process.getBuiltinModule = original;
    }
  }
  const getBuiltinModule = process.getBuiltinModule.bind(process);
  const real = (id: string) => getBuiltinModule(id);
  type Crypto = typeof import('node:crypto');
  const withCrypto = (change: (crypto: Crypto) => Partial<Crypto>) => (id: string) =>
    id === 'node:crypto' ? { ...(real(id) as Crypto), ...change(real(id) as Crypto) } : real(id);

  it('looks node:crypto up through process.getBuiltinModule', async () => {
    expect((await choiceWith(real)).native).toBe(true);
  });

  it('falls back to noble where there is no process.getBuiltinModule (browsers, edge runtimes, Node < 20.16)', async () => {
    const { native, module } = await choiceWith(undefined);
    expect(native).toBe(false);
    expect(module.sha256HexOfUtf8('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('falls back when the lookup throws or finds no node:crypto or no Buffer', async () => {
    expect((await choiceWith(() => { throw new Error('no such module'); })).native).toBe(false);
    expect((await choiceWith(() => undefined)).native).toBe(false);
    expect((await choiceWith((id: string) => (id === 'node:buffer' ? {} : real(id)))).native).toBe(false);
  });

  it('falls back when node:crypto lacks AES-256-GCM', async () => {
    const unsupported = () => () => {
      throw new Error('Unknown cipher');
    };
    expect((await choiceWith(withCrypto(() => ({ createCipheriv: unsupported() as never })))).native).toBe(false);
  });

  it('falls back when node:crypto gives bytes that differ from the noble path, or accepts a forged tag', async () => {
    const wrongTag = withCrypto((crypto) => ({
      createCipheriv: ((...args: Parameters<Crypto['createCipheriv']>) => {
        const cipher = crypto.createCipheriv(...args) as ReturnType<Crypto['createCipheriv']> & { getAuthTag(): Buffer };
        const getAuthTag = cipher.getAuthTag.bind(cipher);
        cipher.getAuthTag = () => {
          const tag = getAuthTag();
          tag[0]! ^= 1;
          return tag;
        };
        return cipher;
      }) as never,
    }));
    expect((await choiceWith(wrongTag)).native).toBe(false);
    expect((await choiceWith(withCrypto(() => ({ hash: (() => '00') as never })))).native).toBe(false);
    const acceptsAnyTag = withCrypto((crypto) => ({
      createDecipheriv: ((...args: Parameters<Crypto['createDecipheriv']>) => {
        const decipher = crypto.createDecipheriv(...args);
        // Hands out what update() gave without ever checking the tag.
        (decipher as { final: () => Buffer }).final = () => Buffer.alloc(0);
        return decipher;
      }) as never,
    }));
    expect((await choiceWith(acceptsAnyTag)).native).toBe(false);
    expect((await choiceWith(withCrypto((crypto) => ({ createHmac: ((_: string, key: Uint8Array) => crypto.createHmac('sha512', key)) as never })))).native).toBe(false);
    // The digest's own base64url encoding is used for JWS signatures: a runtime that encodes it wrongly is not trusted.
    const paddedBase64url = withCrypto((crypto) => ({
      createHmac: ((algorithm: string, key: Uint8Array) => {
        const mac = crypto.createHmac(algorithm, key);
        const digest = mac.digest.bind(mac) as (encoding?: BufferEncoding) => Buffer | string;
        (mac as { digest: unknown }).digest = (encoding?: BufferEncoding) =>
          encoding === 'base64url' ? (digest() as Buffer).toString('base64') : digest(encoding);
        return mac;
      }) as never,
    }));
    expect((await choiceWith(paddedBase64url)).native).toBe(false);
  });
});

describe.each(PATHS)('on the %s path', (path) => {
  describe('AES-256-GCM', () => {
    // McGrew & Viega's GCM spec test cases 13, 14 and 16 (256-bit keys), as used by NIST CAVP.
    const vectors = [
      { name: 'Test Case 13 (empty plaintext)', key: '00'.repeat(32), iv: '00'.repeat(12), aad: '', pt: '', ct: '', tag: '530f8afbc74536b9a963b4f1c4cb738b' },
      {
        name: 'Test Case 14 (one zero block)',
        key: '00'.repeat(32),
        iv: '00'.repeat(12),
        aad: '',
        pt: '00'.repeat(16),
        ct: 'cea7403d4d606b6e074ec5d3baf39d18',
        tag: 'd0d1c8a799996bf0265b98b5d48ab919',
      },
      {
        name: 'Test Case 16 (with associated data, a partial last block)',
        key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
        iv: 'cafebabefacedbaddecaf888',
        aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
        pt: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
        ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
        tag: '76fc6ece0f4e1768cddf8853bb2d551b',
      },
    ];
    it.each(vectors)('matches $name', ({ key, iv, aad, pt, ct, tag }) => {
      const parameters = { key: hex.decode(key), nonce: hex.decode(iv), aad: hex.decode(aad) };
      on(path, () => {
        const sealed = aes256GcmEncrypt(hex.decode(pt), parameters);
        expect(hex.encode(sealed)).toBe(ct + tag);
        expectPlainBytes(sealed);
        const opened = aes256GcmDecrypt(hex.decode(ct + tag), parameters);
        expect(hex.encode(opened)).toBe(pt);
        expectPlainBytes(opened);
      });
    });

    it('refuses any altered byte, a wrong key, nonce or associated data, with one error whichever path runs', () => {
      const key = new Uint8Array(32).fill(7);
      const nonce = new Uint8Array(12).fill(8);
      const aad = ascii('bound to this row');
      const sealed = on(path, () => aes256GcmEncrypt(ascii('a TOTP secret'), { key, nonce, aad }));
      const attempts: [Uint8Array, { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array }][] = [
        [sealed, { key: new Uint8Array(32).fill(9), nonce, aad }],
        [sealed, { key, nonce: new Uint8Array(12).fill(9), aad }],
        [sealed, { key, nonce, aad: ascii('bound to another row') }],
        [sealed, { key, nonce, aad: new Uint8Array(0) }],
      ];
      for (let i = 0; i < sealed.length; i++) {
        const altered = sealed.slice();
        altered[i]! ^= 0x80;
        attempts.push([altered, { key, nonce, aad }]);
      }
      for (const [bytes, parameters] of attempts) {
        const error = thrown(() => on(path, () => aes256GcmDecrypt(bytes, parameters)));
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toBe('AES-GCM authentication failed');
      }
    });

    it('refuses a key that is not 32 bytes, a nonce that is not 12, and a sealed value shorter than the tag', () => {
      const nonce = new Uint8Array(12);
      const aad = new Uint8Array(0);
      on(path, () => {
        expect(() => aes256GcmEncrypt(new Uint8Array(1), { key: new Uint8Array(16), nonce, aad })).toThrow(
          new RangeError('AES-256-GCM key must be 32 bytes, got 16'),
        );
        expect(() => aes256GcmDecrypt(new Uint8Array(32), { key: new Uint8Array(24), nonce, aad })).toThrow(RangeError);
        expect(() => aes256GcmEncrypt(new Uint8Array(1), { key: new Uint8Array(32), nonce: new Uint8Array(16), aad })).toThrow(
          new RangeError('AES-256-GCM nonce must be 12 bytes, got 16'),
        );
        expect(() => aes256GcmDecrypt(new Uint8Array(15), { key: new Uint8Array(32), nonce, aad })).toThrow(
          new RangeError('sealed must be at least 16 bytes (the tag), got 15'),
        );
      });
    });

    it('leaves the key, nonce, associated data and input untouched', () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
      const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 100);
      const aad = ascii('aad');
      const plaintext = ascii('plaintext of two blocks and a bit');
      const copies = [key, nonce, aad, plaintext].map((bytes) => bytes.slice());
      const sealed = on(path, () => aes256GcmEncrypt(plaintext, { key, nonce, aad }));
      const sealedCopy = sealed.slice();
      on(path, () => aes256GcmDecrypt(sealed, { key, nonce, aad }));
      expect([key, nonce, aad, plaintext]).toEqual(copies);
      expect(sealed).toEqual(sealedCopy);
    });
  });

  describe('HMAC-SHA-256', () => {
    // RFC 4231 §4.2–4.8, except test case 5 (a truncated output). Text messages are also given as text.
    const vectors: { name: string; key: Uint8Array; data: Uint8Array | string; mac: string }[] = [
      { name: 'test case 1', key: new Uint8Array(20).fill(0x0b), data: 'Hi There', mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
      { name: 'test case 2 (a key shorter than the output)', key: ascii('Jefe'), data: 'what do ya want for nothing?', mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
      { name: 'test case 3', key: new Uint8Array(20).fill(0xaa), data: new Uint8Array(50).fill(0xdd), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
      {
        name: 'test case 4',
        key: hex.decode('0102030405060708090a0b0c0d0e0f10111213141516171819'),
        data: new Uint8Array(50).fill(0xcd),
        mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
      },
      {
        name: 'test case 6 (a 131-byte key, hashed first)',
        key: new Uint8Array(131).fill(0xaa),
        data: 'Test Using Larger Than Block-Size Key - Hash Key First',
        mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
      },
      {
        name: 'test case 7 (a long key and data longer than a block)',
        key: new Uint8Array(131).fill(0xaa),
        data: 'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
        mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
      },
    ];
    it.each(vectors)('matches RFC 4231 $name', ({ key, data, mac }) => {
      on(path, () => {
        const fromBytes = hmacSha256(key, typeof data === 'string' ? ascii(data) : data);
        expect(hex.encode(fromBytes)).toBe(mac);
        expectPlainBytes(fromBytes);
        if (typeof data === 'string') {
          expect(hex.encode(hmacSha256(key, data))).toBe(mac);
          expect(hmacSha256Hex(key, data)).toBe(mac);
        }
      });
    });

    it.each(vectors.filter((v) => typeof v.data === 'string'))('gives RFC 4231 $name as unpadded base64url (a JWS signature)', ({ key, data, mac }) => {
      const encoded = on(path, () => hmacSha256Base64url(key, data as string));
      expect(encoded).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(hex.encode(base64urlnopad.decode(encoded))).toBe(mac);
    });

    it('leaves the key untouched', () => {
      const key = new Uint8Array(100).fill(0x5c);
      on(path, () => hmacSha256(key, 'message'));
      expect(key).toEqual(new Uint8Array(100).fill(0x5c));
    });
  });

  describe('SHA-256 and base64url of text', () => {
    it('match FIPS 180-2 Appendix B and RFC 4648 §10', () => {
      on(path, () => {
        expect(sha256HexOfUtf8('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        expect(sha256HexOfUtf8('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        expect(sha256HexOfUtf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
          '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
        );
        const rfc4648 = ['', 'Zg', 'Zm8', 'Zm9v', 'Zm9vYg', 'Zm9vYmE', 'Zm9vYmFy'];
        expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(base64urlOfUtf8)).toEqual(rfc4648);
        // The URL-safe alphabet and no padding (0x3f 0x3e 0x3e is "Pz4+" in base64).
        expect(base64urlOfUtf8('?>>')).toBe('Pz4-');
        expect(base64urlOfUtf8('???')).toBe('Pz8_');
        // UTF-8: U+00E9 is c3 a9.
        expect(base64urlOfUtf8('é')).toBe('w6k');
      });
    });
  });
});

describe('the native and noble paths give the same bytes', () => {
  it('AES-256-GCM: each opens what the other sealed, and both seal alike', () => {
    fc.assert(
      fc.property(key32, nonce12, fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (key, nonce, aad, plaintext) => {
        const parameters = { key, nonce, aad };
        const sealedNative = on('native', () => aes256GcmEncrypt(plaintext, parameters));
        const sealedFallback = on('fallback', () => aes256GcmEncrypt(plaintext, parameters));
        expect(hex.encode(sealedNative)).toBe(hex.encode(sealedFallback));
        expect(on('native', () => aes256GcmDecrypt(sealedFallback, parameters))).toEqual(plaintext);
        expect(on('fallback', () => aes256GcmDecrypt(sealedNative, parameters))).toEqual(plaintext);
      }),
    );
  });

  it('HMAC-SHA-256, for keys of any length and messages as bytes or text (lone surrogates included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.oneof(fc.uint8Array({ maxLength: 300 }), anyText), (key, message) => {
        expect(hex.encode(on('native', () => hmacSha256(key, message)))).toBe(hex.encode(on('fallback', () => hmacSha256(key, message))));
      }),
    );
  });

  it.each([
    ['hex', hmacSha256Hex, hex.encode],
    ['base64url', hmacSha256Base64url, base64urlnopad.encode],
  ] as const)('HMAC-SHA-256 as %s, for keys of any length and any text (lone surrogates included)', (_name, encoded, encode) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), anyText, (key, message) => {
        const native = on('native', () => encoded(key, message));
        expect(native).toBe(on('fallback', () => encoded(key, message)));
        expect(native).toBe(encode(on('native', () => hmacSha256(key, message))));
      }),
    );
  });

  it('flatHex writes what a hex encoder writes, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(flatHex(bytes)).toBe(hex.encode(bytes));
      }),
    );
  });

  it('SHA-256 hex and base64url of any text (lone surrogates included)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(on('native', () => sha256HexOfUtf8(text))).toBe(on('fallback', () => sha256HexOfUtf8(text)));
        expect(on('native', () => base64urlOfUtf8(text))).toBe(on('fallback', () => base64urlOfUtf8(text)));
      }),
    );
    expect(on('native', () => sha256HexOfUtf8('\uD800'))).toBe(on('native', () => sha256HexOfUtf8('\uFFFD')));
  });
});

describe('base64urlToBytes: exactly @scure/base base64urlnopad.decode, whichever path runs', () => {
  // Node decodes only text the module judged canonical; everything else must still reach @scure/base. A check
  // that admits one text too many (a stray bit in the last digit, a foreign character, a length of 4n+1) makes
  // Node's lenient decoder answer where @scure/base throws, or answer different bytes.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const digit = fc.constantFrom(...ALPHABET);
  const foreign = fc.constantFrom('=', '+', '/', ' ', '\t', '\n', '\r', '\u00a0', '.', '\u0000', '\u00e9', '\uD800', '\u{1F511}');

  /** What decoding did: the bytes (as a plain Uint8Array), or the error's class and message. */
  function outcome(decode: () => Uint8Array): { bytes: Uint8Array } | { error: string } {
    let bytes: Uint8Array;
    try {
      bytes = decode();
    } catch (error) {
      return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
    }
    // A plain Uint8Array, never a Buffer (whose equality and methods differ), on either path.
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    return { bytes: Uint8Array.from(bytes) };
  }
  const expectSameAsScure = (text: string) => {
    const expected = outcome(() => base64urlnopad.decode(text));
    for (const path of PATHS) expect(on(path, () => outcome(() => base64urlToBytes(text)))).toEqual(expected);
  };

  /** Canonical text of random bytes: the last digit swapped for any other, padding added, a character inserted. */
  const perturbed = fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.oneof(digit, foreign, fc.constant('==')), fc.integer({ min: 0, max: 3 }))
    .map(([bytes, at, extra, how]) => {
      const text = base64urlnopad.encode(bytes);
      if (how === 0) return text.slice(0, -1) + ALPHABET[at % 64];
      if (how === 1) return text + extra;
      const i = at % (text.length + 1);
      return how === 2 ? text.slice(0, i) + extra + text.slice(i) : text.slice(0, i) + text.slice(i + 1);
    });

  it('agrees on arbitrary text: the alphabet, padding, "+" and "/", whitespace, other characters, any length', () => {
    const text = fc.oneof(
      fc.string({ unit: digit, maxLength: 70 }),
      fc.string({ unit: fc.oneof({ weight: 8, arbitrary: digit }, { weight: 1, arbitrary: foreign }), maxLength: 70 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      anyText,
    );
    fc.assert(fc.property(text, expectSameAsScure), { numRuns: 500 });
  });

  it('agrees on canonical encodings with their last digit changed, padded, or a character inserted or removed', () => {
    fc.assert(fc.property(perturbed, expectSameAsScure), { numRuns: 500 });
    // Every last digit after 1 and 2 bytes (4 and 2 stray bits): only 4 and 16 of the 64 are canonical.
    for (const head of ['A', 'AA']) for (const last of ALPHABET) expectSameAsScure(head + last);
    for (const bad of ['A', 'AAAAA', '====', 'AA==', 'AAA=', ' AAA', 'AAA\n', 'AA+/', 'AA\u0000']) expectSameAsScure(bad);
  });

  it('decodes the canonical encoding of any bytes to those bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base64urlnopad.encode(bytes);
        for (const path of PATHS) expect(Uint8Array.from(on(path, () => base64urlToBytes(text)))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });
});

describe('runtime neutrality', () => {
  const src = fileURLToPath(new URL('..', import.meta.url));
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  /** A module specifier after `from`, `import(`, `require(` or a bare `import`. */
  const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  const importedBuiltins = (text: string) => [...text.matchAll(IMPORT_PATTERN)].map((m) => m[1] as string).filter((s) => builtins.has(s));
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') && !/\.test(kit)?\.ts$/.test(entry.name) ? [join(dir, entry.name)] : [],
    );

  it('no module that ships (tests aside) imports a Node built-in; only native-crypto.ts reaches for one, at run time', () => {
    const files = sources(src);
    expect(files.map((file) => relative(src, file))).toContain(join('internal', 'native-crypto.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const specifier of importedBuiltins(text)) offenders.push(`${relative(src, file)} imports ${specifier}`);
      if (/getBuiltinModule/.test(text) && !file.endsWith(join('internal', 'native-crypto.ts'))) offenders.push(`${relative(src, file)} calls getBuiltinModule`);
    }
    expect(offenders).toEqual([]);
  });

  it('the scan above would notice a static or dynamic import of node:crypto', () => {
    const found = importedBuiltins;
    expect(found("import { createHmac } from 'node:crypto';")).toEqual(['node:crypto']);
    expect(found('import type { Hash } from "crypto";')).toEqual(['crypto']);
    expect(found("const c = await import('node:crypto');")).toEqual(['node:crypto']);
    expect(found("import 'node:buffer';")).toEqual(['node:buffer']);
    expect(found("const c = require('crypto');")).toEqual(['crypto']);
  });
});
