// Session JWTs (RFC 7519): compact JWS (RFC 7515 §7.1) signed with HS256 (RFC 7518 §3.2) by the host's key, claims
// shaped like Stytch's. A JWT lives 5 minutes; the server-side session in the store stays the source of truth.

import { compactVerify, type JWTPayload } from 'jose';
import { rfc3339 } from './api-objects';
import { base64urlOfUtf8, hmacSha256Base64url } from './internal/native-crypto';
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
  return sessionJwtAt(session, organization, settings, nowMs);
}

/** signSessionJwt, synchronously: for core's own callers, which need not pay a promise and an await per response. */
export function sessionJwtAt(
  session: MemberSessionRecord,
  organization: OrganizationRecord,
  settings: SessionJwtSettings,
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  // jose refused a non-finite time; JSON would write it as null.
  if (!Number.isFinite(iat)) throw new TypeError(`the time to sign a session JWT at must be a finite number, got ${nowMs}`);
  const claims = base64urlOfUtf8(claimsJson(session, organization, settings, iat));
  return withCurrentKey(settings.keyring, (key, kid) => {
    // The signing input is `${header}.${claims}`; the HMAC takes it in its two parts, so that string is never built
    // flat just to be hashed (only the token, when it is written out).
    const header = encodedHeaderAndDot(kid);
    return `${header}${claims}.${hmacSha256Base64url(key, header, claims)}`;
  });
}

// The protected header depends on the key ID alone, so its base64url (and the '.' after it) is written once per kid
// rather than per token. Key IDs come from the host's key rings (a handful); the cap only guards against a host that
// makes rings endlessly.
const encodedHeaders = new Map<string, string>();
const MAX_ENCODED_HEADERS = 64;

function encodedHeaderAndDot(kid: string): string {
  let encoded = encodedHeaders.get(kid);
  if (encoded === undefined) {
    encoded = `${base64urlOfUtf8(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }))}.`;
    if (encodedHeaders.size >= MAX_ENCODED_HEADERS) encodedHeaders.clear();
    encodedHeaders.set(kid, encoded);
  }
  return encoded;
}

/**
 * The claims as JSON.stringify would write this object, in this order (jose's):
 * `{ ...custom, [SESSION_CLAIM]: { id, started_at, last_accessed_at, expires_at, attributes, authentication_factors,
 * roles }, [ORGANIZATION_CLAIM]: { organization_id, slug }, sub, iss, aud, iat, nbf, exp }`.
 * Written out rather than built and serialized: the object and its generic serialization were a fifth of signing.
 * Every string is written as JSON.stringify writes it (see putString); the custom claims are serialized as one object,
 * whose key order (integer-like keys first) is the same as inside the whole, since every other key is a reserved name
 * that custom claims cannot hold. RFC 3339 stamps are digits, '-', ':', 'T', 'Z' and '+' only: nothing to escape.
 * The pieces are joined once, into one flat string: concatenated, each `+` left a node of a rope that the UTF-8
 * encoding then copied out flat anyway (about a kilobyte of garbage per token).
 */
function claimsJson(session: MemberSessionRecord, organization: OrganizationRecord, settings: SessionJwtSettings, iat: number): string {
  // Everything that may run code of a host's (toJSON, a Date's methods) runs before the shared parts are touched.
  const custom = customClaimsJson(session.customClaims);
  const startedAt = rfc3339(session.startedAt);
  const lastAccessedAt = rfc3339(session.lastAccessedAt);
  const expiresAt = rfc3339(session.expiresAt);
  const factors = JSON.stringify(session.authenticationFactors);
  const parts = claimParts ?? [];
  claimParts = undefined;
  try {
    let n = 0;
    parts[n++] = custom === '{}' ? '{' : `${custom.slice(0, -1)},`;
    parts[n++] = SESSION_CLAIM_ID;
    n = putString(parts, n, session.memberSessionId);
    parts[n++] = ',"started_at":"';
    parts[n++] = startedAt;
    parts[n++] = '","last_accessed_at":"';
    parts[n++] = lastAccessedAt;
    parts[n++] = '","expires_at":"';
    parts[n++] = expiresAt;
    parts[n++] = FACTORS_CLAIM;
    parts[n++] = factors;
    parts[n++] = ORGANIZATION_CLAIM_ID;
    n = putString(parts, n, organization.organizationId);
    parts[n++] = ',"slug":';
    n = putString(parts, n, organization.organizationSlug);
    parts[n++] = '},"sub":';
    n = putString(parts, n, session.memberId);
    parts[n++] = ',"iss":';
    n = putString(parts, n, settings.issuer);
    parts[n++] = ',"aud":';
    n = putString(parts, n, settings.audience);
    parts[n++] = ',"iat":';
    parts[n++] = String(iat);
    parts[n++] = ',"nbf":';
    parts[n++] = String(iat);
    parts[n++] = ',"exp":';
    parts[n++] = String(iat + SESSION_JWT_LIFETIME_SECONDS);
    parts[n++] = '}';
    // The same length on every call but when a string needed escaping: the array keeps its storage.
    parts.length = n;
    return parts.join('');
  } finally {
    claimParts = parts;
  }
}

/**
 * claimsJson's pieces: one array reused by every call, written by index (emptying it would free its storage);
 * undefined while a call has it.
 */
let claimParts: string[] | undefined = [];
const SESSION_CLAIM_ID = `"${SESSION_CLAIM}":{"id":`;
const FACTORS_CLAIM = '","attributes":{"user_agent":"","ip_address":""},"authentication_factors":';
const ORGANIZATION_CLAIM_ID = `,"roles":[]},"${ORGANIZATION_CLAIM}":{"organization_id":`;

/** No character JSON.stringify would escape: '"', '\\', a control character, a surrogate (paired ones too, to be safe). */
const NOTHING_TO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * Puts `value` at `n` as JSON.stringify writes it, and returns the index after it: text with nothing to escape goes
 * in between two quotes, with no new string made.
 */
function putString(parts: string[], n: number, value: string): number {
  if (typeof value === 'string' && NOTHING_TO_ESCAPE.test(value)) {
    parts[n] = '"';
    parts[n + 1] = value;
    parts[n + 2] = '"';
    return n + 3;
  }
  parts[n] = `${JSON.stringify(value)}`;
  return n + 1;
}

/** The host's custom claims as a JSON object, reserved names left out. */
function customClaimsJson(customClaims: Record<string, unknown>): string {
  const custom: Record<string, unknown> = {};
  let any = false;
  for (const name of Object.keys(customClaims)) {
    if (RESERVED_CLAIMS.has(name)) continue;
    // Defined, not assigned: a claim named "__proto__" stays a claim instead of becoming the object's prototype.
    Object.defineProperty(custom, name, { value: customClaims[name], enumerable: true, writable: true, configurable: true });
    any = true;
  }
  return any ? JSON.stringify(custom) : '{}';
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
