// Session JWTs (RFC 7519): a member session's claims, shaped like Stytch's, as a compact JWS (crypto/jws.ts).
// A JWT lives 5 minutes; the session in the store stays the source of truth for revocation and expiry.

import { signHs256, verifyHs256 } from '../crypto/jws';
import { keyCopy, type Keyring } from '../crypto/keyring';
import type { CryptoProvider } from '../crypto/provider';
import type { MemberSessionRecord, OrganizationRecord } from './model';
import { rfc3339 } from './objects';

export const SESSION_JWT_LIFETIME_SECONDS = 5 * 60;
export const SESSION_CLAIM = 'https://stytch.com/session';
export const ORGANIZATION_CLAIM = 'https://stytch.com/organization';
/** Claims a host's custom claims may never set: the registered ones (RFC 7519 §4.1) and Stytch's two. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  SESSION_CLAIM,
  ORGANIZATION_CLAIM,
]);

export interface SessionJwtSettings {
  keyring: Keyring;
  issuer: string;
  audience: string;
  crypto: CryptoProvider;
}

/** The claims of a session JWT signed at `nowMs`: the host's custom claims, then Stytch's, then the registered ones. */
export function sessionClaims(
  session: MemberSessionRecord,
  organization: OrganizationRecord,
  settings: Pick<SessionJwtSettings, 'issuer' | 'audience'>,
  nowMs: number,
): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  if (!Number.isFinite(iat)) throw new TypeError(`the time to sign a session JWT at must be a finite number, got ${nowMs}`);
  const claims: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(session.customClaims)) {
    // Defined, not assigned: a claim named "__proto__" stays a claim instead of becoming the object's prototype.
    if (!RESERVED_CLAIMS.has(name)) Object.defineProperty(claims, name, { value, enumerable: true, writable: true, configurable: true });
  }
  claims[SESSION_CLAIM] = {
    id: session.memberSessionId,
    started_at: rfc3339(session.startedAt),
    last_accessed_at: rfc3339(session.lastAccessedAt),
    expires_at: rfc3339(session.expiresAt),
    attributes: { user_agent: '', ip_address: '' },
    authentication_factors: session.authenticationFactors,
    roles: [],
  };
  claims[ORGANIZATION_CLAIM] = { organization_id: organization.organizationId, slug: organization.organizationSlug };
  Object.assign(claims, {
    sub: session.memberId,
    iss: settings.issuer,
    aud: settings.audience,
    iat,
    nbf: iat,
    exp: iat + SESSION_JWT_LIFETIME_SECONDS,
  });
  return claims;
}

/** A JWT for the session, signed now under the keyring's current key. */
export function signSessionJwt(
  session: MemberSessionRecord,
  organization: OrganizationRecord,
  settings: SessionJwtSettings,
  nowMs: number,
): string {
  const { id, key } = keyCopy(settings.keyring)!;
  try {
    return signHs256(sessionClaims(session, organization, settings, nowMs), id, key, settings.crypto);
  } finally {
    key.fill(0);
  }
}

/**
 * The member session ID a JWT names, if its signature (under the key its `kid` names), issuer and audience check out;
 * null otherwise. Expiry is not judged here: the caller looks the session up in the store, which knows about
 * revocation and the session's own expiry, as Stytch does for an expired JWT.
 */
export function readSessionJwt(jwt: string, settings: SessionJwtSettings): string | null {
  const payload = verifyHs256(jwt, (kid) => keyCopy(settings.keyring, kid)?.key, settings.crypto);
  if (payload === null) return null;
  const audience = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== settings.issuer || !audience.includes(settings.audience)) return null;
  const session = payload[SESSION_CLAIM];
  const id = typeof session === 'object' && session !== null ? (session as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}
