// Session JWTs (RFC 7519): compact JWS (RFC 7515 §7.1) signed with HS256 (RFC 7518 §3.2) by the host's key, claims
// shaped like Stytch's. A JWT lives 5 minutes; the server-side session in the store stays the source of truth.

import { base64urlnopad } from '@scure/base';
import { compactVerify, type JWTPayload } from 'jose';
import { rfc3339 } from './api-objects';
import { base64urlOfUtf8, hmacSha256 } from './internal/native-crypto';
import { withCurrentKey, withKey, type Keyring } from './keyring';
import type { MemberSessionRecord, OrganizationRecord } from './model';

export const SESSION_JWT_LIFETIME_SECONDS = 5 * 60;
export const SESSION_CLAIM = 'https://stytch.com/session';
export const ORGANIZATION_CLAIM = 'https://stytch.com/organization';
/** Claims a host's custom claims may never set: the registered ones (RFC 7519 §4.1) and ours. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', SESSION_CLAIM, ORGANIZATION_CLAIM]);

export interface SessionJwtSettings {
  keyring: Keyring;
  issuer: string;
  audience: string;
}

// Verification goes through jose, which works on WebCrypto CryptoKeys. Importing raw key bytes on every call showed
// as an eighth of a request's CPU time, so the imported (non-extractable, verify-only) key is kept per keyring and ID.
const importedKeys = new WeakMap<Keyring, Map<string, Promise<CryptoKey>>>();

function verificationKey(keyring: Keyring, id: string): Promise<CryptoKey> | undefined {
  let byId = importedKeys.get(keyring);
  if (byId === undefined) {
    byId = new Map();
    importedKeys.set(keyring, byId);
  }
  let key = byId.get(id);
  if (key === undefined) {
    // importKey copies the key bytes synchronously, before it returns its promise, so the lent bytes are not kept.
    key = withKey(keyring, id, (raw) =>
      globalThis.crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
    );
    if (key === undefined) return undefined;
    byId.set(id, key);
  }
  return key;
}

/**
 * A JWT for the session, signed now. Signing is done here rather than by jose: jose signs only through WebCrypto,
 * where each HMAC is an asynchronous job that cost ~80 µs of CPU per request, against ~3 µs for a synchronous HMAC
 * (node:crypto, or @noble/hashes where there is no node:crypto; internal/native-crypto.ts). A compact JWS is small
 * enough to write out: base64url(header) '.' base64url(claims) '.' base64url(HMAC-SHA-256(key, the two before)), with
 * base64url unpadded (RFC 7515 §2). The header and claims, in jose's order, are exactly what jose's SignJWT wrote
 * (session-jwt.test.ts compares the two byte for byte), and jose still verifies them (readSessionJwt). Async only so
 * that callers need not change.
 */
export async function signSessionJwt(
  session: MemberSessionRecord,
  organization: OrganizationRecord,
  settings: SessionJwtSettings,
  nowMs: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  // jose refused a non-finite time; JSON would write it as null.
  if (!Number.isFinite(iat)) throw new TypeError(`the time to sign a session JWT at must be a finite number, got ${nowMs}`);
  const custom: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(session.customClaims)) {
    if (RESERVED_CLAIMS.has(name)) continue;
    // Defined, not assigned: a claim named "__proto__" stays a claim instead of becoming the object's prototype.
    Object.defineProperty(custom, name, { value, enumerable: true, writable: true, configurable: true });
  }
  const claims = {
    ...custom,
    [SESSION_CLAIM]: {
      id: session.memberSessionId,
      started_at: rfc3339(session.startedAt),
      last_accessed_at: rfc3339(session.lastAccessedAt),
      expires_at: rfc3339(session.expiresAt),
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: session.authenticationFactors,
      roles: [],
    },
    [ORGANIZATION_CLAIM]: { organization_id: organization.organizationId, slug: organization.organizationSlug },
    sub: session.memberId,
    iss: settings.issuer,
    aud: settings.audience,
    iat,
    nbf: iat,
    exp: iat + SESSION_JWT_LIFETIME_SECONDS,
  };
  return withCurrentKey(settings.keyring, (key, kid) => {
    const signingInput = `${base64urlOfUtf8(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }))}.${base64urlOfUtf8(JSON.stringify(claims))}`;
    return `${signingInput}.${base64urlnopad.encode(hmacSha256(key, signingInput))}`;
  });
}

/**
 * The member session ID a JWT names, if its signature (under any key of the ring, picked by `kid`), issuer and
 * audience check out; null otherwise. Expiry is not judged here: the caller looks the session up in the store,
 * which knows about revocation and the session's own expiry, as Stytch does for an expired JWT.
 */
export async function readSessionJwt(jwt: string, settings: SessionJwtSettings): Promise<string | null> {
  let payload: JWTPayload;
  try {
    const verified = await compactVerify(
      jwt,
      async (header) => {
        const key = typeof header.kid === 'string' ? verificationKey(settings.keyring, header.kid) : undefined;
        if (header.alg !== 'HS256' || key === undefined) throw new Error('unknown key or algorithm');
        return key;
      },
      { algorithms: ['HS256'] },
    );
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as JWTPayload;
  } catch {
    return null;
  }
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== settings.issuer || !audience.includes(settings.audience)) return null;
  const session = (payload as Record<string, unknown>)[SESSION_CLAIM];
  const id = typeof session === 'object' && session !== null ? (session as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}
