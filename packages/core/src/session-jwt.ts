// Session JWTs (RFC 7519) signed with HS256 (RFC 7518 §3.2) by the host's key, via `jose`; claims shaped like Stytch's.
// A JWT lives 5 minutes; the server-side session in the store stays the source of truth for revocation and expiry.

import { compactVerify, SignJWT, type JWTPayload } from 'jose';
import { rfc3339 } from './api-objects';
import type { Keyring } from './keyring';
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

// jose imports raw key bytes into WebCrypto on every call, which showed as an eighth of an authenticate's CPU time;
// the imported (non-extractable) CryptoKey is kept per keyring and key ID instead.
const importedKeys = new WeakMap<Keyring, Map<string, Promise<CryptoKey>>>();

function hmacKey(keyring: Keyring, id: string): Promise<CryptoKey> | undefined {
  let byId = importedKeys.get(keyring);
  if (byId === undefined) {
    byId = new Map();
    importedKeys.set(keyring, byId);
  }
  let key = byId.get(id);
  if (key === undefined) {
    const found = keyring.get(id);
    if (found === undefined) return undefined;
    const raw = new Uint8Array(found);
    // WebCrypto copies the bytes when called, so both copies can be wiped at once.
    key = globalThis.crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    raw.fill(0);
    found.fill(0);
    byId.set(id, key);
  }
  return key;
}

export async function signSessionJwt(
  session: MemberSessionRecord,
  organization: OrganizationRecord,
  settings: SessionJwtSettings,
  nowMs: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const custom: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(session.customClaims)) {
    if (!RESERVED_CLAIMS.has(name)) custom[name] = value;
  }
  return new SignJWT({
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
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: settings.keyring.current.id })
    .setSubject(session.memberId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + SESSION_JWT_LIFETIME_SECONDS)
    .sign(await (hmacKey(settings.keyring, settings.keyring.current.id) as Promise<CryptoKey>));
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
        const key = typeof header.kid === 'string' ? hmacKey(settings.keyring, header.kid) : undefined;
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
