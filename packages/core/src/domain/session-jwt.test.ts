// Tests for session JWTs: the claims Stytch's shape gives them, signing under the current key, and reading them back
// (signature, issuer, audience), on both crypto providers and against jose, an independent JWT library.

import { base64urlnopad } from '@scure/base';
import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from '../crypto/keyring';
import { nobleCrypto } from '../crypto/noble';
import { nodeCrypto } from '../crypto/node';
import type { CryptoProvider } from '../crypto/provider';
import type { MemberSessionRecord, OrganizationRecord } from './model';
import { rfc3339 } from './objects';
import {
  ORGANIZATION_CLAIM,
  RESERVED_CLAIMS,
  SESSION_CLAIM,
  SESSION_JWT_LIFETIME_SECONDS,
  readSessionJwt,
  signSessionJwt,
  type SessionJwtSettings,
} from './session-jwt';

const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => 0x30 + i);
const KEY_2 = new Uint8Array(48).fill(0x77);
const signingKeys = (...keys: [string, Uint8Array][]): Keyring =>
  createKeyring(
    'session signing keys',
    keys.map(([id, key]) => ({ id, key })),
    { minBytes: 32 },
  );
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
const SETTINGS: SessionJwtSettings = { keyring: signingKeys(['s1', KEY_1]), issuer: '@totp', audience: '@totp', crypto: nobleCrypto };
const NOW_MS = 1_767_225_600_789; // 2026-01-01T00:00:00.789Z
const NOW_S = Math.floor(NOW_MS / 1000);

const ORGANIZATION = {
  organizationId: 'organization-test-0d9c3e8a-7f1b-4c1e-9a57-2b9f4c6d8e10',
  organizationSlug: 'acme',
} as OrganizationRecord;
function session(customClaims: Record<string, unknown> = {}): MemberSessionRecord {
  const at = new Date(NOW_MS);
  const factor = {
    type: 'totp',
    delivery_method: 'authenticator_app',
    last_authenticated_at: rfc3339(at),
    created_at: rfc3339(at),
    updated_at: rfc3339(at),
  };
  return {
    memberSessionId: 'member-session-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
    tokenHash: '00'.repeat(32),
    organizationId: ORGANIZATION.organizationId,
    memberId: 'member-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
    startedAt: new Date(NOW_MS - 3_600_000),
    lastAccessedAt: at,
    expiresAt: new Date(NOW_MS + 3_600_000),
    authenticationFactors: [
      { ...factor, type: 'password', delivery_method: 'knowledge' },
      { ...factor, authenticator_app_factor: { totp_id: 'member-totp-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' } },
    ],
    customClaims,
    revokedAt: null,
  };
}

/** The same claims signed by jose's SignJWT (WebCrypto): a token from an independent signer that readSessionJwt must read. */
async function signedByJose(record: MemberSessionRecord, settings: SessionJwtSettings, key: Uint8Array, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const custom: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record.customClaims)) {
    if (!RESERVED_CLAIMS.has(name)) custom[name] = value;
  }
  return new SignJWT({
    ...custom,
    [SESSION_CLAIM]: {
      id: record.memberSessionId,
      started_at: rfc3339(record.startedAt),
      last_accessed_at: rfc3339(record.lastAccessedAt),
      expires_at: rfc3339(record.expiresAt),
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: record.authenticationFactors,
      roles: [],
    },
    [ORGANIZATION_CLAIM]: { organization_id: ORGANIZATION.organizationId, slug: ORGANIZATION.organizationSlug },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: settings.keyring.current.id })
    .setSubject(record.memberId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + SESSION_JWT_LIFETIME_SECONDS)
    .sign(key);
}

/** The claims a session JWT of `record` carries at NOW_MS, written out by hand. */
function expectedClaims(record: MemberSessionRecord, custom: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...custom,
    sub: record.memberId,
    iss: '@totp',
    aud: '@totp',
    iat: NOW_S,
    nbf: NOW_S,
    exp: NOW_S + 300,
    [SESSION_CLAIM]: {
      id: record.memberSessionId,
      started_at: '2025-12-31T23:00:00Z',
      last_accessed_at: '2026-01-01T00:00:00Z',
      expires_at: '2026-01-01T01:00:00Z',
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: record.authenticationFactors,
      roles: [],
    },
    [ORGANIZATION_CLAIM]: { organization_id: ORGANIZATION.organizationId, slug: 'acme' },
  };
}

describe.each(PROVIDERS)('signSessionJwt (HMAC from %s)', (_name, crypto) => {
  const settings: SessionJwtSettings = { ...SETTINGS, crypto };

  it("verifies with jose's jwtVerify, and carries the documented header and claims", async () => {
    const jwt = signSessionJwt(session({ plan: 'pro', iss: 'forged', sub: 'forged' }), ORGANIZATION, settings, NOW_MS);
    expect(jwt.split('.').every((part) => /^[A-Za-z0-9_-]+$/.test(part))).toBe(true);
    const { payload, protectedHeader } = await jwtVerify(jwt, KEY_1, {
      issuer: '@totp',
      audience: '@totp',
      algorithms: ['HS256'],
      currentDate: new Date(NOW_MS),
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 's1' });
    expect(payload).toEqual(expectedClaims(session(), { plan: 'pro' }));
    // The signature is over the first two parts exactly as sent (RFC 7515 §5.1): changing either breaks it.
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const otherClaims = base64urlnopad.encode(new TextEncoder().encode(JSON.stringify({ ...payload, sub: 'someone-else' })));
    await expect(jwtVerify(`${header}.${otherClaims}.${signature}`, KEY_1)).rejects.toThrow(/signature verification failed/);
    await expect(jwtVerify(`${header}.${claims}.${signature}`, KEY_2)).rejects.toThrow(/signature verification failed/);
  });

  it('carries any custom claims (reserved names dropped, any JSON values, any text), as jose reads them', async () => {
    const name = fc.oneof(fc.string(), fc.constantFrom(...RESERVED_CLAIMS, 'constructor', '0', 'kid', '__proto__'));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, fc.jsonValue(), { maxKeys: 6 }), async (dictionary) => {
        const custom = JSON.parse(JSON.stringify(dictionary)) as Record<string, unknown>;
        const record = session(custom);
        const jwt = signSessionJwt(record, ORGANIZATION, settings, NOW_MS);
        const { payload } = await jwtVerify(jwt, KEY_1, { currentDate: new Date(NOW_MS) });
        const kept = Object.fromEntries(Object.entries(custom).filter(([claim]) => !RESERVED_CLAIMS.has(claim)));
        // Compared as JSON text of sorted entries: a "__proto__" claim is an own property on both sides.
        const sorted = (value: object) => JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(sorted(payload)).toBe(sorted(expectedClaims(record, kept)));
        expect(readSessionJwt(jwt, settings)).toBe(record.memberSessionId);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a custom claim named "__proto__" as a claim, without touching any prototype', () => {
    const record = session(JSON.parse('{"__proto__": {"admin": true}, "plan": "pro"}') as Record<string, unknown>);
    const jwt = signSessionJwt(record, ORGANIZATION, settings, NOW_MS);
    const payload = JSON.parse(new TextDecoder().decode(base64urlnopad.decode(jwt.split('.')[1]!))) as Record<string, unknown>;
    expect(Object.keys(payload).slice(0, 2)).toEqual(['__proto__', 'plan']);
    expect(JSON.stringify(payload)).toContain('"__proto__":{"admin":true}');
    expect((payload as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it('signs with the current key and names it in kid; older keys still verify', async () => {
    const before = signSessionJwt(session(), ORGANIZATION, settings, NOW_MS);
    const rotated: SessionJwtSettings = { ...settings, keyring: signingKeys(['s2', KEY_2], ['s1', KEY_1]) };
    const after = signSessionJwt(session(), ORGANIZATION, rotated, NOW_MS);
    expect(decodeProtectedHeader(after).kid).toBe('s2');
    await expect(jwtVerify(after, KEY_2, { currentDate: new Date(NOW_MS) })).resolves.toBeDefined();
    expect(readSessionJwt(before, rotated)).toBe(session().memberSessionId);
    expect(readSessionJwt(after, rotated)).toBe(session().memberSessionId);
    expect(readSessionJwt(after, settings)).toBeNull();
  });

  it('leaves the key ring intact: signing again gives the same token', () => {
    const first = signSessionJwt(session(), ORGANIZATION, settings, NOW_MS);
    const second = signSessionJwt(session(), ORGANIZATION, settings, NOW_MS);
    expect(second).toBe(first);
    expect(settings.keyring.current.key).toEqual(KEY_1);
    expect(readSessionJwt(first, settings)).toBe(session().memberSessionId);
    expect(settings.keyring.get('s1')).toEqual(KEY_1);
  });

  it('refuses a time that is not a finite number rather than writing "iat": null', () => {
    expect(() => signSessionJwt(session(), ORGANIZATION, settings, Number.NaN)).toThrow(TypeError);
    expect(() => signSessionJwt(session(), ORGANIZATION, settings, Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});

describe('the two providers', () => {
  it('sign the same token, and each reads what the other signed', () => {
    const byNoble = signSessionJwt(session({ plan: 'pro' }), ORGANIZATION, { ...SETTINGS, crypto: nobleCrypto }, NOW_MS);
    const byNode = signSessionJwt(session({ plan: 'pro' }), ORGANIZATION, { ...SETTINGS, crypto: nodeCrypto }, NOW_MS);
    expect(byNode).toBe(byNoble);
    expect(readSessionJwt(byNoble, { ...SETTINGS, crypto: nodeCrypto })).toBe(session().memberSessionId);
    expect(readSessionJwt(byNode, { ...SETTINGS, crypto: nobleCrypto })).toBe(session().memberSessionId);
  });
});

describe.each(PROVIDERS)('readSessionJwt (HMAC from %s)', (_name, crypto) => {
  const settings: SessionJwtSettings = { ...SETTINGS, crypto };
  const ID = session().memberSessionId;

  it('reads tokens jose signed and tokens signSessionJwt signed', async () => {
    expect(readSessionJwt(await signedByJose(session(), settings, KEY_1, NOW_MS), settings)).toBe(ID);
    expect(readSessionJwt(signSessionJwt(session(), ORGANIZATION, settings, NOW_MS), settings)).toBe(ID);
  });

  it('accepts an audience list that holds the audience', async () => {
    const jwt = await new SignJWT({ [SESSION_CLAIM]: { id: ID } })
      .setProtectedHeader({ alg: 'HS256', kid: 's1' })
      .setIssuer('@totp')
      .setAudience(['another', '@totp'])
      .sign(KEY_1);
    expect(readSessionJwt(jwt, settings)).toBe(ID);
  });

  it('refuses a bad signature, an unknown kid, alg none, another issuer or audience, and what is not a JWT', async () => {
    const jwt = signSessionJwt(session(), ORGANIZATION, settings, NOW_MS);
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    const encode = (value: unknown) => base64urlnopad.encode(new TextEncoder().encode(JSON.stringify(value)));
    expect(readSessionJwt(`${header}.${claims}.${flipped}`, settings)).toBeNull();
    expect(readSessionJwt(`${encode({ alg: 'HS256', typ: 'JWT', kid: 'nope' })}.${claims}.${signature}`, settings)).toBeNull();
    expect(readSessionJwt(`${encode({ alg: 'none', typ: 'JWT', kid: 's1' })}.${claims}.`, settings)).toBeNull();
    expect(readSessionJwt(jwt, { ...settings, issuer: 'someone-else' })).toBeNull();
    expect(readSessionJwt(jwt, { ...settings, audience: 'someone-else' })).toBeNull();
    expect(readSessionJwt('not a jwt', settings)).toBeNull();
    const otherKey: SessionJwtSettings = { ...settings, keyring: signingKeys(['s1', KEY_2]) };
    expect(readSessionJwt(jwt, otherKey)).toBeNull();
    // Validly signed, but by jose with another issuer or without the session claim.
    const signed = (build: (jwt: SignJWT) => SignJWT) =>
      build(new SignJWT({ [SESSION_CLAIM]: { id: ID } }).setProtectedHeader({ alg: 'HS256', kid: 's1' })).sign(KEY_1);
    expect(readSessionJwt(await signed((j) => j.setIssuer('evil').setAudience('@totp')), settings)).toBeNull();
    expect(
      readSessionJwt(
        await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 's1' }).setIssuer('@totp').setAudience('@totp').sign(KEY_1),
        settings,
      ),
    ).toBeNull();
    const numericId = await new SignJWT({ [SESSION_CLAIM]: { id: 42 } })
      .setProtectedHeader({ alg: 'HS256', kid: 's1' })
      .setIssuer('@totp')
      .setAudience('@totp')
      .sign(KEY_1);
    expect(readSessionJwt(numericId, settings)).toBeNull();
  });

  it('is null, never an exception, for hostile input', () => {
    for (const input of [
      undefined,
      null,
      42,
      {},
      [],
      '',
      '..',
      'a.b.c',
      'x'.repeat(1_000_000),
      `${'a'.repeat(20_000)}.b.c`,
      '\uD800.\uD800.\uD800',
    ]) {
      expect(readSessionJwt(input as unknown as string, settings)).toBeNull();
    }
  });
});
