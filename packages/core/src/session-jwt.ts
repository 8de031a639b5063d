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
    .sign(settings.keyring.current.key);
}

/**
 * The member session ID a JWT names, if its signature (under any key of the ring, picked by `kid`), issuer and
 * audience check out; null otherwise. Expiry is not judged here: the caller looks the session up in the store,
 * which knows about revocation and the session's own expiry, as Stytch does for an expired JWT.
 */
export async function readSessionJwt(jwt: string, settings: SessionJwtSettings): Promise<string | null> {
  let payload: JWTPayload;
  try {
    const verified = await compactVerify(jwt, async (header) => {
      const key = typeof header.kid === 'string' ? settings.keyring.get(header.kid) : undefined;
      if (header.alg !== 'HS256' || key === undefined) throw new Error('unknown key or algorithm');
      return key;
    });
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
