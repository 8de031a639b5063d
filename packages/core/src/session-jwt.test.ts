import { base64urlnopad } from '@scure/base';
import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { rfc3339 } from './api-objects';
import { onCryptoPathAsync } from './internal/crypto-paths.testkit';
import { forceFallbackCryptoForTesting } from './internal/native-crypto';
import { createKeyring, type Keyring } from './keyring';
import type { MemberSessionRecord, OrganizationRecord } from './model';
import {
  ORGANIZATION_CLAIM,
  RESERVED_CLAIMS,
  SESSION_CLAIM,
  SESSION_JWT_LIFETIME_SECONDS,
  readSessionJwt,
  signSessionJwt,
  type SessionJwtSettings,
} from './session-jwt';

afterEach(() => forceFallbackCryptoForTesting(false));

const KEY_1 = Uint8Array.from({ length: 32 }, (_, i) => 0x30 + i);
const KEY_2 = new Uint8Array(48).fill(0x77);
const signingKeys = (...keys: [string, Uint8Array][]): Keyring =>
  createKeyring('session signing keys', keys.map(([id, key]) => ({ id, key })), { minBytes: 32 });
const SETTINGS: SessionJwtSettings = { keyring: signingKeys(['s1', KEY_1]), issuer: '@totp', audience: '@totp' };
const NOW_MS = 1_767_225_600_789; // 2026-01-01T00:00:00.789Z
const NOW_S = Math.floor(NOW_MS / 1000);

const ORGANIZATION = { organizationId: 'organization-test-0d9c3e8a-7f1b-4c1e-9a57-2b9f4c6d8e10', organizationSlug: 'acme' } as OrganizationRecord;
function session(customClaims: Record<string, unknown> = {}): MemberSessionRecord {
  const at = new Date(NOW_MS);
  const factor = { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: rfc3339(at), created_at: rfc3339(at), updated_at: rfc3339(at) };
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

/** What signSessionJwt produced before it signed by itself: the same claims through jose's SignJWT (WebCrypto). */
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

const PATHS = ['native', 'noble'] as const;
const on = onCryptoPathAsync;

describe.each(PATHS)('signSessionJwt (HMAC on the %s path)', (path) => {
  it('writes, byte for byte, the token jose signed before: same header, claims, order and signature', async () => {
    const claims = { plan: 'enterprise', nested: { a: [1, 2.5, null, true], 'ü': 'ünïcödé ✓ \u{1F511}' }, '123': 'integer-like key' };
    for (const record of [session(), session(claims)]) {
      const ours = await on(path, () => signSessionJwt(record, ORGANIZATION, SETTINGS, NOW_MS));
      expect(ours).toBe(await signedByJose(record, SETTINGS, KEY_1, NOW_MS));
    }
  });

  it('matches jose for any custom claims (reserved names dropped, any JSON values, any text)', async () => {
    // "__proto__" is the one deliberate difference (jose's assignment drops it; we keep it), tested below.
    const name = fc.oneof(fc.string().filter((n) => n !== '__proto__'), fc.constantFrom(...RESERVED_CLAIMS, 'constructor', '0', 'kid'));
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, fc.jsonValue(), { maxKeys: 6 }), async (custom) => {
        const record = session(JSON.parse(JSON.stringify(custom)) as Record<string, unknown>);
        expect(await on(path, () => signSessionJwt(record, ORGANIZATION, SETTINGS, NOW_MS))).toBe(await signedByJose(record, SETTINGS, KEY_1, NOW_MS));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a custom claim named "__proto__" as a claim, without touching any prototype', async () => {
    const record = session(JSON.parse('{"__proto__": {"admin": true}, "plan": "pro"}') as Record<string, unknown>);
    const jwt = await on(path, () => signSessionJwt(record, ORGANIZATION, SETTINGS, NOW_MS));
    const payload = JSON.parse(new TextDecoder().decode(base64urlnopad.decode(jwt.split('.')[1]!))) as Record<string, unknown>;
    expect(Object.keys(payload).slice(0, 2)).toEqual(['__proto__', 'plan']);
    expect(JSON.stringify(payload)).toContain('"__proto__":{"admin":true}');
    expect((payload as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  it("verifies with jose's jwtVerify, and carries the documented header and claims", async () => {
    const jwt = await on(path, () => signSessionJwt(session({ plan: 'pro', iss: 'forged', sub: 'forged' }), ORGANIZATION, SETTINGS, NOW_MS));
    expect(jwt.split('.').every((part) => /^[A-Za-z0-9_-]+$/.test(part))).toBe(true);
    const { payload, protectedHeader } = await jwtVerify(jwt, KEY_1, {
      issuer: '@totp',
      audience: '@totp',
      algorithms: ['HS256'],
      currentDate: new Date(NOW_MS),
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT', kid: 's1' });
    expect(payload).toEqual({
      plan: 'pro',
      sub: 'member-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
      iss: '@totp',
      aud: '@totp',
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 300,
      [SESSION_CLAIM]: {
        id: 'member-session-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
        started_at: '2025-12-31T23:00:00Z',
        last_accessed_at: '2026-01-01T00:00:00Z',
        expires_at: '2026-01-01T01:00:00Z',
        attributes: { user_agent: '', ip_address: '' },
        authentication_factors: session().authenticationFactors,
        roles: [],
      },
      [ORGANIZATION_CLAIM]: { organization_id: ORGANIZATION.organizationId, slug: 'acme' },
    });
    // The signature is over the first two parts exactly as sent (RFC 7515 §5.1): changing either breaks it.
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const otherClaims = base64urlnopad.encode(new TextEncoder().encode(JSON.stringify({ ...payload, sub: 'someone-else' })));
    await expect(jwtVerify(`${header}.${otherClaims}.${signature}`, KEY_1)).rejects.toThrow(/signature verification failed/);
    await expect(jwtVerify(`${header}.${claims}.${signature}`, KEY_2)).rejects.toThrow(/signature verification failed/);
  });

  it('signs with the current key and names it in kid; older keys still verify', async () => {
    const before = await on(path, () => signSessionJwt(session(), ORGANIZATION, SETTINGS, NOW_MS));
    const rotated: SessionJwtSettings = { ...SETTINGS, keyring: signingKeys(['s2', KEY_2], ['s1', KEY_1]) };
    const after = await on(path, () => signSessionJwt(session(), ORGANIZATION, rotated, NOW_MS));
    expect(decodeProtectedHeader(after).kid).toBe('s2');
    await expect(jwtVerify(after, KEY_2, { currentDate: new Date(NOW_MS) })).resolves.toBeDefined();
    expect(after).toBe(await signedByJose(session(), rotated, KEY_2, NOW_MS));
    expect(await readSessionJwt(before, rotated)).toBe(session().memberSessionId);
    expect(await readSessionJwt(after, rotated)).toBe(session().memberSessionId);
    expect(await readSessionJwt(after, SETTINGS)).toBeNull();
  });

  it('leaves the key ring intact: signing again gives the same token', async () => {
    const first = await on(path, () => signSessionJwt(session(), ORGANIZATION, SETTINGS, NOW_MS));
    const second = await on(path, () => signSessionJwt(session(), ORGANIZATION, SETTINGS, NOW_MS));
    expect(second).toBe(first);
    expect(SETTINGS.keyring.current.key).toEqual(KEY_1);
  });

  it('refuses a time that is not a finite number rather than writing "iat": null', async () => {
    await expect(on(path, () => signSessionJwt(session(), ORGANIZATION, SETTINGS, Number.NaN))).rejects.toThrow(TypeError);
    await expect(on(path, () => signSessionJwt(session(), ORGANIZATION, SETTINGS, Number.POSITIVE_INFINITY))).rejects.toThrow(TypeError);
  });
});

describe('readSessionJwt (jose, WebCrypto)', () => {
  const ID = session().memberSessionId;

  it('reads tokens jose signed and tokens signSessionJwt signed', async () => {
    expect(await readSessionJwt(await signedByJose(session(), SETTINGS, KEY_1, NOW_MS), SETTINGS)).toBe(ID);
    expect(await readSessionJwt(await signSessionJwt(session(), ORGANIZATION, SETTINGS, NOW_MS), SETTINGS)).toBe(ID);
  });

  it('refuses a bad signature, an unknown kid, alg none, another issuer or audience, and what is not a JWT', async () => {
    const jwt = await signSessionJwt(session(), ORGANIZATION, SETTINGS, NOW_MS);
    const [header, claims, signature] = jwt.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    const encode = (value: unknown) => base64urlnopad.encode(new TextEncoder().encode(JSON.stringify(value)));
    expect(await readSessionJwt(`${header}.${claims}.${flipped}`, SETTINGS)).toBeNull();
    expect(await readSessionJwt(`${encode({ alg: 'HS256', typ: 'JWT', kid: 'nope' })}.${claims}.${signature}`, SETTINGS)).toBeNull();
    expect(await readSessionJwt(`${encode({ alg: 'none', typ: 'JWT', kid: 's1' })}.${claims}.`, SETTINGS)).toBeNull();
    expect(await readSessionJwt(jwt, { ...SETTINGS, issuer: 'someone-else' })).toBeNull();
    expect(await readSessionJwt(jwt, { ...SETTINGS, audience: 'someone-else' })).toBeNull();
    expect(await readSessionJwt('not a jwt', SETTINGS)).toBeNull();
    const otherKey: SessionJwtSettings = { ...SETTINGS, keyring: signingKeys(['s1', KEY_2]) };
    expect(await readSessionJwt(jwt, otherKey)).toBeNull();
  });
});
