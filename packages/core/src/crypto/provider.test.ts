// Tests for the two CryptoProviders: the standards' vectors (RFC 2202, RFC 4231, FIPS 180-4, McGrew–Viega GCM), and
// properties that nobleCrypto and nodeCrypto give the same bytes. A custom provider can be checked the same way.

import { hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, isCryptoProvider, type CryptoProvider } from './provider';

type Hash = 'SHA-1' | 'SHA-256' | 'SHA-512';

const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
const HASHES: Hash[] = ['SHA-1', 'SHA-256', 'SHA-512'];
const ascii = (text: string) => new TextEncoder().encode(text);
const bytes = (length: number, value: number) => new Uint8Array(length).fill(value);

/** What a provider returns: a Uint8Array (node's digests are Buffers) owning its whole buffer, not a view into a pool. */
function expectOwnedBytes(value: Uint8Array): void {
  expect(value).toBeInstanceOf(Uint8Array);
  expect(value.byteOffset).toBe(0);
  expect(value.buffer.byteLength).toBe(value.length);
}

/** The error `action` threw; fails when it throws nothing. */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

interface HmacVector {
  name: string;
  key: Uint8Array;
  data: Uint8Array;
  mac: string;
}

const RFC_4231_KEY_4 = hex.decode('0102030405060708090a0b0c0d0e0f10111213141516171819');
const LONG_DATA_4231 =
  'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.';

/** RFC 2202 §3 (HMAC-SHA-1), all seven cases; case 5's full 160-bit output. */
const RFC_2202: HmacVector[] = [
  { name: 'test case 1', key: bytes(20, 0x0b), data: ascii('Hi There'), mac: 'b617318655057264e28bc0b6fb378c8ef146be00' },
  { name: 'test case 2', key: ascii('Jefe'), data: ascii('what do ya want for nothing?'), mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
  { name: 'test case 3', key: bytes(20, 0xaa), data: bytes(50, 0xdd), mac: '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
  { name: 'test case 4', key: RFC_4231_KEY_4, data: bytes(50, 0xcd), mac: '4c9007f4026250c6bc8414f9bf50c86c2d7235da' },
  { name: 'test case 5', key: bytes(20, 0x0c), data: ascii('Test With Truncation'), mac: '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04' },
  {
    name: 'test case 6 (an 80-byte key, hashed first)',
    key: bytes(80, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: 'aa4ae5e15272d00e95705637ce8a3b55ed402112',
  },
  {
    name: 'test case 7 (a long key and data longer than a block)',
    key: bytes(80, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
    mac: 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91',
  },
];

/** RFC 4231 §4.2–4.8, except test case 5 (a truncated output), for HMAC-SHA-256 and HMAC-SHA-512. */
function rfc4231(sha256: string[], sha512: string[]): { 'SHA-256': HmacVector[]; 'SHA-512': HmacVector[] } {
  const inputs: Array<Omit<HmacVector, 'mac'>> = [
    { name: 'test case 1', key: bytes(20, 0x0b), data: ascii('Hi There') },
    { name: 'test case 2 (a key shorter than the output)', key: ascii('Jefe'), data: ascii('what do ya want for nothing?') },
    { name: 'test case 3', key: bytes(20, 0xaa), data: bytes(50, 0xdd) },
    { name: 'test case 4', key: RFC_4231_KEY_4, data: bytes(50, 0xcd) },
    {
      name: 'test case 6 (a 131-byte key, hashed first)',
      key: bytes(131, 0xaa),
      data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    },
    { name: 'test case 7 (a long key and data longer than a block)', key: bytes(131, 0xaa), data: ascii(LONG_DATA_4231) },
  ];
  return {
    'SHA-256': inputs.map((input, i) => ({ ...input, mac: sha256[i]! })),
    'SHA-512': inputs.map((input, i) => ({ ...input, mac: sha512[i]! })),
  };
}
const RFC_4231 = rfc4231(
  [
    'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  ],
  [
    '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    'fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb',
    'b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd',
    '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
    'e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58',
  ],
);
const HMAC_VECTORS: Array<[Hash, string, HmacVector]> = [
  ...RFC_2202.map((v): [Hash, string, HmacVector] => ['SHA-1', `RFC 2202 ${v.name}`, v]),
  ...RFC_4231['SHA-256'].map((v): [Hash, string, HmacVector] => ['SHA-256', `RFC 4231 ${v.name}`, v]),
  ...RFC_4231['SHA-512'].map((v): [Hash, string, HmacVector] => ['SHA-512', `RFC 4231 ${v.name}`, v]),
];

/** FIPS 180-4's SHA-256 examples (the NIST example values: one block, two blocks, a million 'a'), and the empty message. */
const SHA256_VECTORS: Array<[string, Uint8Array, string]> = [
  ['"abc" (one block)', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'the 448-bit message (two blocks)',
    ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
  ['one million "a"', bytes(1_000_000, 0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ['the empty message', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
];

/** McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13–16: AES-256 with a 96-bit IV (NIST CAVP's). */
const GCM_VECTORS = [
  {
    name: 'Test Case 13 (empty plaintext)',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    aad: '',
    pt: '',
    ct: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b',
  },
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
    name: 'Test Case 15 (four blocks)',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    iv: 'cafebabefacedbaddecaf888',
    aad: '',
    pt: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255',
    ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad',
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
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

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce12 = fc.uint8Array({ minLength: GCM_NONCE_BYTES, maxLength: GCM_NONCE_BYTES });

describe.each(PROVIDERS)('%s', (_name, crypto) => {
  it('is a frozen CryptoProvider', () => {
    expect(isCryptoProvider(crypto)).toBe(true);
    expect(Object.isFrozen(crypto)).toBe(true);
  });

  describe('hmac', () => {
    it.each(HMAC_VECTORS)('HMAC-%s matches %s', (hash, _vector, { key, data, mac }) => {
      const keyCopy = key.slice();
      const dataCopy = data.slice();
      const out = crypto.hmac(hash, key, data);
      expect(hex.encode(out)).toBe(mac);
      expectOwnedBytes(out);
      // Inputs are read, never written.
      expect(key).toEqual(keyCopy);
      expect(data).toEqual(dataCopy);
    });

    it('gives a fresh array each time: wiping one result changes no later one', () => {
      const { key, data, mac } = RFC_4231['SHA-256'][1]!;
      const first = crypto.hmac('SHA-256', key, data);
      first.fill(0);
      expect(hex.encode(crypto.hmac('SHA-256', key, data))).toBe(mac);
    });
  });

  describe('sha256', () => {
    it.each(SHA256_VECTORS)('matches FIPS 180-4 for %s', (_what, message, digest) => {
      const out = crypto.sha256(message);
      expect(hex.encode(out)).toBe(digest);
      expectOwnedBytes(out);
    });
  });

  describe('AES-256-GCM', () => {
    it.each(GCM_VECTORS)('seals and opens $name', ({ key, iv, aad, pt, ct, tag }) => {
      const [k, n, a, p] = [key, iv, aad, pt].map((text) => hex.decode(text)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const sealed = crypto.aes256GcmSeal(k, n, p, a);
      expect(hex.encode(sealed)).toBe(ct + tag);
      expect(sealed.length).toBe(p.length + GCM_TAG_BYTES);
      expectOwnedBytes(sealed);
      const opened = crypto.aes256GcmOpen(k, n, hex.decode(ct + tag), a);
      expect(hex.encode(opened)).toBe(pt);
      expectOwnedBytes(opened);
    });

    it('refuses a flipped bit in the ciphertext, the tag, the nonce or the associated data, and a wrong key', () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
      const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
      const aad = ascii('bound to this row');
      const plaintext = ascii('a TOTP secret of 20b');
      const sealed = crypto.aes256GcmSeal(key, nonce, plaintext, aad);
      expect(crypto.aes256GcmOpen(key, nonce, sealed, aad)).toEqual(plaintext);
      const flip = (value: Uint8Array, bit: number) => {
        const copy = value.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        return copy;
      };
      const attempts: Array<[string, () => Uint8Array]> = [];
      // Every bit of ciphertext and tag (the last 16 bytes), of the nonce and of the associated data.
      for (let bit = 0; bit < sealed.length * 8; bit++) {
        const where = bit < plaintext.length * 8 ? 'ciphertext' : 'tag';
        attempts.push([`${where} bit ${bit}`, () => crypto.aes256GcmOpen(key, nonce, flip(sealed, bit), aad)]);
      }
      for (let bit = 0; bit < nonce.length * 8; bit++)
        attempts.push([`nonce bit ${bit}`, () => crypto.aes256GcmOpen(key, flip(nonce, bit), sealed, aad)]);
      for (let bit = 0; bit < aad.length * 8; bit++)
        attempts.push([`aad bit ${bit}`, () => crypto.aes256GcmOpen(key, nonce, sealed, flip(aad, bit))]);
      attempts.push(['another key', () => crypto.aes256GcmOpen(flip(key, 0), nonce, sealed, aad)]);
      attempts.push(['no associated data', () => crypto.aes256GcmOpen(key, nonce, sealed, new Uint8Array(0))]);
      attempts.push(['the tag alone', () => crypto.aes256GcmOpen(key, nonce, sealed.subarray(plaintext.length), aad)]);
      attempts.push(['a truncated tag', () => crypto.aes256GcmOpen(key, nonce, sealed.subarray(0, sealed.length - 1), aad)]);
      attempts.push(['less than a tag', () => crypto.aes256GcmOpen(key, nonce, sealed.subarray(0, 15), aad)]);
      for (const [what, attempt] of attempts) expect(thrown(attempt), what).toBeInstanceOf(Error);
    });

    it('leaves the key, nonce, associated data and input untouched', () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
      const nonce = Uint8Array.from({ length: 12 }, (_, i) => i + 100);
      const aad = ascii('aad');
      const plaintext = ascii('plaintext of two blocks and a bit');
      const copies = [key, nonce, aad, plaintext].map((value) => value.slice());
      const sealed = crypto.aes256GcmSeal(key, nonce, plaintext, aad);
      const sealedCopy = sealed.slice();
      crypto.aes256GcmOpen(key, nonce, sealed, aad);
      expect([key, nonce, aad, plaintext]).toEqual(copies);
      expect(sealed).toEqual(sealedCopy);
    });
  });

  describe('randomBytes', () => {
    it('returns a new array of the requested length each time, with different bytes', () => {
      for (const length of [0, 1, 12, 16, 32, 1000, 65_536]) {
        const a = crypto.randomBytes(length);
        const b = crypto.randomBytes(length);
        expect(a).toHaveLength(length);
        expect(b).toHaveLength(length);
        expectOwnedBytes(a);
        expect(a).not.toBe(b);
        expect(a.buffer).not.toBe(b.buffer);
        if (length >= 12) expect(hex.encode(a)).not.toBe(hex.encode(b));
      }
    });

    it('gives no repeated 12-byte nonce in 10,000 draws, and bytes that are not constant', () => {
      const seen = new Set(Array.from({ length: 10_000 }, () => hex.encode(crypto.randomBytes(GCM_NONCE_BYTES))));
      expect(seen.size).toBe(10_000);
      // 64 KB of a CSPRNG holds every byte value (the chance that one is missing is about 256 × e^-256).
      expect(new Set(crypto.randomBytes(65_536)).size).toBe(256);
    });
  });
});

describe('nobleCrypto and nodeCrypto give the same bytes (fast-check)', () => {
  it('HMAC-SHA-1, HMAC-SHA-256 and HMAC-SHA-512, for keys of any length (past the block size too) and any message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 500 }),
        (hash, key, message) => {
          expect(hex.encode(nodeCrypto.hmac(hash, key, message))).toBe(hex.encode(nobleCrypto.hmac(hash, key, message)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('SHA-256, for any message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (message) => {
        expect(hex.encode(nodeCrypto.sha256(message))).toBe(hex.encode(nobleCrypto.sha256(message)));
      }),
    );
  });

  it('AES-256-GCM: both seal alike, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(key32, nonce12, fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (key, nonce, plaintext, aad) => {
        const byNode = nodeCrypto.aes256GcmSeal(key, nonce, plaintext, aad);
        const byNoble = nobleCrypto.aes256GcmSeal(key, nonce, plaintext, aad);
        expect(hex.encode(byNode)).toBe(hex.encode(byNoble));
        expect(nodeCrypto.aes256GcmOpen(key, nonce, byNoble, aad)).toEqual(plaintext);
        expect(nobleCrypto.aes256GcmOpen(key, nonce, byNode, aad)).toEqual(plaintext);
      }),
    );
  });

  it('AES-256-GCM: both refuse any single altered byte of what the other sealed', () => {
    fc.assert(
      fc.property(
        key32,
        nonce12,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (key, nonce, plaintext, aad, at, delta) => {
          const sealed = nobleCrypto.aes256GcmSeal(key, nonce, plaintext, aad);
          sealed[at % sealed.length]! ^= delta;
          for (const [, crypto] of PROVIDERS) expect(thrown(() => crypto.aes256GcmOpen(key, nonce, sealed, aad))).toBeInstanceOf(Error);
        },
      ),
    );
  });
});

describe('isCryptoProvider', () => {
  it('is false when any method is missing or not a function', () => {
    expect(isCryptoProvider({ ...nobleCrypto })).toBe(true);
    for (const name of ['hmac', 'sha256', 'aes256GcmSeal', 'aes256GcmOpen', 'randomBytes'] as const) {
      expect(isCryptoProvider({ ...nobleCrypto, [name]: undefined }), name).toBe(false);
      expect(isCryptoProvider({ ...nobleCrypto, [name]: 'function' }), name).toBe(false);
    }
    for (const value of [undefined, null, 'nodeCrypto', 42, [], () => nobleCrypto]) expect(isCryptoProvider(value)).toBe(false);
  });
});
