// Tests for compact JWS with HS256 (RFC 7515 §7.1, RFC 7518 §3.2): round trips on both providers, interoperation with
// jose in both directions, and refusal of every altered, malformed, oversized or unsupported token.

import { base64urlnopad } from '@scure/base';
import fc from 'fast-check';
import { compactVerify, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signHs256, verifyHs256 } from './jws';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';

const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x30 + i);
const OTHER_KEY = new Uint8Array(32).fill(0x77);
const PAYLOAD = { sub: 'member-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b', iat: 1_767_225_600, note: 'ünïcödé ✓ \u{1F511}' };
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const encoder = new TextEncoder();

/** A key lookup that knows `kid` only, and hands out a fresh copy (as Keyring.get does). */
const keysWith = (kid: string, key: Uint8Array) => (asked: string) => (asked === kid ? key.slice() : undefined);
const encodeJson = (value: unknown) => base64urlnopad.encode(encoder.encode(JSON.stringify(value)));
/** A compact JWS with any header and payload text, correctly signed with HMAC-SHA-256 under `key`. */
function signedWithHeader(header: unknown, payload: unknown, key: Uint8Array = KEY): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${base64urlnopad.encode(nobleCrypto.hmac('SHA-256', key, encoder.encode(input)))}`;
}

describe.each(PROVIDERS)('signHs256 and verifyHs256 on %s', (_name, crypto) => {
  const verify = (jws: string, keyFor = keysWith('s1', KEY)) => verifyHs256(jws, keyFor, crypto);

  it('round-trip any JSON object payload, under a key named in the header', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }),
        fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
        (dictionary, kid) => {
          const payload = JSON.parse(JSON.stringify(dictionary)) as Record<string, unknown>;
          const jws = signHs256(payload, kid, KEY, crypto);
          expect(jws).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
          expect(decodeProtectedHeader(jws)).toEqual({ alg: 'HS256', typ: 'JWT', kid });
          expect(verifyHs256(jws, keysWith(kid, KEY), crypto)).toEqual(payload);
        },
      ),
    );
  });

  it('ask keyFor for the kid the header names, and wipe the copy it returns', () => {
    const jws = signHs256(PAYLOAD, 'key-2026', KEY, crypto);
    const asked: string[] = [];
    const handedOut: Uint8Array[] = [];
    const payload = verifyHs256(
      jws,
      (kid) => {
        asked.push(kid);
        const copy = KEY.slice();
        handedOut.push(copy);
        return copy;
      },
      crypto,
    );
    expect(payload).toEqual(PAYLOAD);
    expect(asked).toEqual(['key-2026']);
    expect(handedOut[0]).toEqual(new Uint8Array(32));
  });

  it('sign the same bytes on either provider, and leave the key as it was', () => {
    const key = KEY.slice();
    const jws = signHs256(PAYLOAD, 's1', key, crypto);
    expect(key).toEqual(KEY);
    const other = crypto === nobleCrypto ? nodeCrypto : nobleCrypto;
    expect(signHs256(PAYLOAD, 's1', KEY, other)).toBe(jws);
    expect(verifyHs256(jws, keysWith('s1', KEY), other)).toEqual(PAYLOAD);
  });

  it('refuse a wrong key and a kid the caller does not know', () => {
    const jws = signHs256(PAYLOAD, 's1', KEY, crypto);
    expect(verify(jws, keysWith('s1', OTHER_KEY))).toBeNull();
    expect(verify(jws, keysWith('s2', KEY))).toBeNull();
    // A token signed under another key but claiming a kid we know.
    expect(verify(signHs256(PAYLOAD, 's1', OTHER_KEY, crypto))).toBeNull();
    // The kid is only looked up, never trusted: '__proto__' or 'constructor' find nothing in a Map-backed lookup.
    const keys = new Map([['s1', KEY]]);
    for (const kid of ['__proto__', 'constructor', 'toString', '']) {
      expect(verifyHs256(signHs256(PAYLOAD, kid, KEY, crypto), (asked) => keys.get(asked)?.slice(), crypto)).toBeNull();
    }
  });

  it('refuse alg none, HS512, RS256, a lower-case hs256 and a missing alg, even when the MAC is right', async () => {
    const base = { typ: 'JWT', kid: 's1' };
    for (const alg of ['none', 'HS512', 'HS384', 'RS256', 'hs256', 'HS256 ', undefined, null, 256]) {
      expect(verify(signedWithHeader({ ...base, alg }, PAYLOAD)), String(alg)).toBeNull();
    }
    // alg none with an empty signature, as an attacker sends it.
    const [, payload] = signHs256(PAYLOAD, 's1', KEY, crypto).split('.');
    expect(verify(`${encodeJson({ alg: 'none', typ: 'JWT', kid: 's1' })}.${payload}.`)).toBeNull();
    // A token jose signed with HS512 under the right key.
    const hs512 = await new SignJWT(PAYLOAD).setProtectedHeader({ alg: 'HS512', kid: 's1' }).sign(new Uint8Array(64).fill(1));
    expect(verify(hs512, keysWith('s1', new Uint8Array(64).fill(1)))).toBeNull();
    // A kid that is not a string, or none.
    expect(verify(signedWithHeader({ alg: 'HS256', kid: 1 }, PAYLOAD))).toBeNull();
    expect(verify(signedWithHeader({ alg: 'HS256' }, PAYLOAD))).toBeNull();
    // The control: the same construction with a proper header verifies.
    expect(verify(signedWithHeader({ alg: 'HS256', kid: 's1' }, PAYLOAD))).toEqual(PAYLOAD);
  });

  it('refuse a header with "crit", which names extensions this code does not understand (RFC 7515 §4.1.11)', () => {
    expect(verify(signedWithHeader({ alg: 'HS256', kid: 's1', crit: ['exp'], exp: 1 }, PAYLOAD))).toBeNull();
    expect(verify(signedWithHeader({ alg: 'HS256', kid: 's1', crit: [] }, PAYLOAD))).toBeNull();
    expect(verify(signedWithHeader({ alg: 'HS256', kid: 's1', crit: null }, PAYLOAD))).toBeNull();
  });

  it('refuse any one character changed, anywhere in the token', () => {
    const jws = signHs256(PAYLOAD, 's1', KEY, crypto);
    expect(verify(jws)).toEqual(PAYLOAD);
    for (let i = 0; i < jws.length; i++) {
      if (jws[i] === '.') continue;
      for (const replacement of [ALPHABET[(ALPHABET.indexOf(jws[i]!) + 1) % 64]!, ALPHABET[(ALPHABET.indexOf(jws[i]!) + 32) % 64]!]) {
        const altered = jws.slice(0, i) + replacement + jws.slice(i + 1);
        expect(verify(altered), `position ${i}`).toBeNull();
      }
    }
  });

  it('refuse any flipped bit of any decoded segment (fast-check)', () => {
    const jws = signHs256(PAYLOAD, 's1', KEY, crypto);
    const segments = jws.split('.').map((part) => base64urlnopad.decode(part));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (segment, at, bit) => {
        const parts = segments.map((part) => part.slice());
        const target = parts[segment]!;
        target[at % target.length]! ^= 1 << bit;
        expect(verify(parts.map((part) => base64urlnopad.encode(part)).join('.'))).toBeNull();
      }),
    );
  });

  it('refuse malformed segments without throwing', () => {
    const jws = signHs256(PAYLOAD, 's1', KEY, crypto);
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const signOver = (h: string, p: string) =>
      `${h}.${p}.${base64urlnopad.encode(crypto.hmac('SHA-256', KEY, encoder.encode(`${h}.${p}`)))}`;
    const notUtf8 = base64urlnopad.encode(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d));
    const malformed: Array<[string, string]> = [
      ['two segments', `${header}.${payload}`],
      ['four segments', `${jws}.${signature}`],
      ['an empty header', `.${payload}.${signature}`],
      ['an empty payload', `${header}..${signature}`],
      ['an empty signature', `${header}.${payload}.`],
      ['a truncated signature', `${header}.${payload}.${signature.slice(0, -4)}`],
      ['a signature with a byte more', `${header}.${payload}.${signature}AA`],
      ['padding', `${header}.${payload}.${signature}=`],
      ['standard base64 characters', `${header}.${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}+`],
      ['a space', `${header}.${payload} .${signature}`],
      ['a header that is not JSON', signOver(base64urlnopad.encode(encoder.encode('{alg: HS256}')), payload)],
      ['a header that is an array', signOver(encodeJson(['HS256', 's1']), payload)],
      ['a header that is a string', signOver(encodeJson('HS256'), payload)],
      ['a header that is null', signOver(encodeJson(null), payload)],
      ['a payload that is an array', signOver(header, encodeJson([PAYLOAD]))],
      ['a payload that is a number', signOver(header, encodeJson(42))],
      ['a payload that is a string', signOver(header, encodeJson('claims'))],
      ['a payload that is null', signOver(header, encodeJson(null))],
      ['a payload that is not UTF-8', signOver(header, notUtf8)],
      ['a header that is not UTF-8', signOver(notUtf8, payload)],
    ];
    for (const [what, token] of malformed) expect(verify(token), what).toBeNull();
    for (const value of [undefined, null, 42, {}, [jws], new String(jws)]) expect(verify(value as unknown as string)).toBeNull();
  });

  it('refuse a token over 16 KB unread: no key is looked up and no MAC computed', () => {
    let lookups = 0;
    let macs = 0;
    const counting: CryptoProvider = { ...crypto, hmac: (...args) => (macs++, crypto.hmac(...args)) };
    const keyFor = (kid: string) => (lookups++, keysWith('s1', KEY)(kid));
    /** A valid token of exactly `length` characters (the padding claim's length chosen to hit it). */
    const ofLength = (length: number) => {
      const bare = signHs256({ ...PAYLOAD, pad: '' }, 's1', KEY, crypto).length;
      // Each 3 characters of ASCII claim text are 4 of base64url; find the claim length that lands on `length`.
      for (let pad = Math.floor(((length - bare) * 3) / 4) - 3; ; pad++) {
        const jws = signHs256({ ...PAYLOAD, pad: 'x'.repeat(pad) }, 's1', KEY, crypto);
        if (jws.length >= length) return jws;
      }
    };
    const atLimit = ofLength(16 * 1024);
    expect(atLimit.length).toBeLessThanOrEqual(16 * 1024);
    expect(verifyHs256(atLimit, keyFor, counting)).not.toBeNull();
    expect([lookups, macs]).toEqual([1, 1]);
    const over = signHs256({ ...PAYLOAD, pad: 'x'.repeat(13_000) }, 's1', KEY, crypto);
    expect(over.length).toBeGreaterThan(16 * 1024);
    expect(verifyHs256(over, keyFor, counting)).toBeNull();
    expect(verifyHs256('a'.repeat(10_000_000), keyFor, counting)).toBeNull();
    expect([lookups, macs]).toEqual([1, 1]);
  });
});

describe('jose, an independent implementation, and signHs256 agree', () => {
  it.each(PROVIDERS)("jose's compactVerify and jwtVerify accept what signHs256 writes (%s)", async (_name, crypto) => {
    const claims = { ...PAYLOAD, iss: '@totp', aud: '@totp', exp: PAYLOAD.iat + 300, nbf: PAYLOAD.iat };
    const jws = signHs256(claims, 's1', KEY, crypto);
    const { payload, protectedHeader } = await compactVerify(jws, KEY, { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 's1' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);
    const verified = await jwtVerify(jws, KEY, {
      issuer: '@totp',
      audience: '@totp',
      algorithms: ['HS256'],
      currentDate: new Date(PAYLOAD.iat * 1000),
    });
    expect(verified.payload).toEqual(claims);
    await expect(compactVerify(jws, OTHER_KEY)).rejects.toThrow(/signature verification failed/);
  });

  it('jose accepts it for any payload (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 6 }), async (dictionary) => {
        const jws = signHs256(dictionary, 's1', KEY, nodeCrypto);
        const { payload } = await compactVerify(jws, KEY);
        expect(new TextDecoder().decode(payload)).toBe(JSON.stringify(dictionary));
      }),
      { numRuns: 50 },
    );
  });

  it.each(PROVIDERS)('verifyHs256 accepts what jose signs with HS256 and a kid, whatever the header order (%s)', async (_name, crypto) => {
    const jws = await new SignJWT(PAYLOAD).setProtectedHeader({ kid: 's1', alg: 'HS256' }).sign(KEY);
    expect(verifyHs256(jws, keysWith('s1', KEY), crypto)).toEqual(PAYLOAD);
  });
});
