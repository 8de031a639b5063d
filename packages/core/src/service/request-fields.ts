// Reading untrusted request bodies into typed inputs: every use case parses its request once, with these readers,
// before any rule runs. Only own properties are read, so `__proto__`, `toString` and friends never stand in for a field.

import { TotpError } from '../domain/errors';
import { RESERVED_CLAIMS } from '../domain/session-jwt';

export type RequestBody = Readonly<Record<string, unknown>>;

/** The request must be a plain JSON-like object (not null, not an array). */
export function asRequestBody(value: unknown): RequestBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TotpError('bad_request', 'the request body must be a JSON object');
  }
  // Stytch runs an RBAC check when asked; this service has no roles yet. Ignoring the field would run the request
  // without the check its caller relies on, so it is refused instead (docs/http-reference.md, "RBAC").
  if (Object.prototype.hasOwnProperty.call(value, 'authorization_check')) {
    throw new TotpError(
      'bad_request',
      'authorization_check is not supported: this service does not enforce Stytch RBAC, so the request was refused rather than run unchecked',
    );
  }
  return value as RequestBody;
}

export function field(body: RequestBody, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
}

/** Identifiers and tokens are capped so that a hostile caller cannot make the store compare megabytes. */
export const MAX_IDENTIFIER_LENGTH = 256;

// A lone UTF-16 surrogate is not text: it cannot be encoded as UTF-8 (for a URI, a QR code, a database). And
// PostgreSQL's text and jsonb cannot hold U+0000. Both are refused at the door rather than failing deep inside.
const UNSTORABLE = /[\p{Surrogate}\u0000]/u;

function wellFormed(value: string, name: string): string {
  if (UNSTORABLE.test(value)) throw new TotpError('bad_request', `${name} must be well-formed Unicode text without NUL`);
  return value;
}

/** Display text (names) may not hold control characters either: they would end up in logs and authenticator apps. */
export function assertPrintable(value: string, name: string): string {
  if (/\p{Cc}/u.test(value)) throw new TotpError('bad_request', `${name} must not contain control characters`);
  return value;
}

export function requiredString(body: RequestBody, name: string, maxLength = MAX_IDENTIFIER_LENGTH): string {
  const value = field(body, name);
  if (value === undefined || value === null) {
    throw new TotpError('bad_request', `${name} is required`);
  }
  if (typeof value !== 'string') {
    throw new TotpError('bad_request', `${name} must be a string`);
  }
  if (value.length === 0 || value.length > maxLength) {
    throw new TotpError('bad_request', `${name} must be 1 to ${maxLength} characters`);
  }
  return wellFormed(value, name);
}

/** `undefined`, `null` and `""` all mean "not given", as Stytch's SDK sends empty strings for unset tokens. */
export function optionalString(body: RequestBody, name: string, maxLength = MAX_IDENTIFIER_LENGTH): string | undefined {
  const value = field(body, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new TotpError('bad_request', `${name} must be a string`);
  }
  if (value.length > maxLength) {
    throw new TotpError('bad_request', `${name} must be at most ${maxLength} characters`);
  }
  return wellFormed(value, name);
}

export function optionalBoolean(body: RequestBody, name: string): boolean | undefined {
  const value = field(body, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new TotpError('bad_request', `${name} must be a boolean`);
  }
  return value;
}

export function optionalEnum<T extends string>(body: RequestBody, name: string, allowed: readonly T[]): T | undefined {
  const value = field(body, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TotpError('bad_request', `${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return value as T;
}

export const DEFAULT_SESSION_DURATION_MINUTES = 60;
export const MIN_SESSION_DURATION_MINUTES = 5;
export const MAX_SESSION_DURATION_MINUTES = 527_040;
export const MAX_CUSTOM_CLAIMS_BYTES = 4096;
/** Opaque tokens are 43 characters; the cap only keeps a hostile caller from making the store compare megabytes. */
const MAX_TOKEN_LENGTH = 4096;
/**
 * What this service issues it accepts back: a session JWT carries up to 4 KB of custom claims and the session's
 * factors, about 10 KB once encoded; the compact-JWS reader refuses more than this unread.
 */
export const MAX_SESSION_JWT_LENGTH = 16 * 1024;

/** The tokens a request presents: an IST, or a member session by token and/or JWT (never both kinds). */
export interface PresentedTokens {
  intermediateSessionToken?: string;
  sessionToken?: string;
  sessionJwt?: string;
}

export function readPresentedTokens(body: RequestBody): PresentedTokens {
  const tokens: PresentedTokens = {};
  const ist = optionalString(body, 'intermediate_session_token', MAX_TOKEN_LENGTH);
  const token = optionalString(body, 'session_token', MAX_TOKEN_LENGTH);
  const jwt = optionalString(body, 'session_jwt', MAX_SESSION_JWT_LENGTH);
  if (ist !== undefined) tokens.intermediateSessionToken = ist;
  if (token !== undefined) tokens.sessionToken = token;
  if (jwt !== undefined) tokens.sessionJwt = jwt;
  if (ist !== undefined && (token !== undefined || jwt !== undefined)) {
    throw new TotpError('bad_request', 'pass either intermediate_session_token or session_token/session_jwt, not both');
  }
  return tokens;
}

/** `session_duration_minutes`: an integer from 5 to 527040, or absent. */
export function readSessionDurationMinutes(body: RequestBody): number | undefined {
  const value = field(body, 'session_duration_minutes');
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_SESSION_DURATION_MINUTES ||
    value > MAX_SESSION_DURATION_MINUTES
  ) {
    throw new TotpError(
      'invalid_session_duration_minutes',
      `session_duration_minutes must be an integer from ${MIN_SESSION_DURATION_MINUTES} to ${MAX_SESSION_DURATION_MINUTES}`,
    );
  }
  return value;
}

function hasProtoKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return Object.keys(value).some((name) => name === '__proto__' || hasProtoKey((value as Record<string, unknown>)[name]));
}

/**
 * `session_custom_claims`: a JSON object of at most 4096 bytes serialized, as a fresh copy without the reserved claims
 * (they are neither stored nor returned, and never shadow the JWT's own); absent when not given.
 */
export function readCustomClaims(body: RequestBody): Record<string, unknown> | undefined {
  const value = field(body, 'session_custom_claims');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TotpError('bad_request', 'session_custom_claims must be a JSON object');
  }
  let serialized: string;
  try {
    serialized = JSON.stringify(value);
  } catch {
    throw new TotpError('bad_request', 'session_custom_claims must be JSON-serializable');
  }
  // JSON.stringify escapes U+0000 and lone surrogates (and nothing else in that range); PostgreSQL's jsonb refuses
  // both, so no store could keep them.
  if (/\\u(0000|d[89a-f])/i.test(serialized)) {
    throw new TotpError('bad_request', 'session_custom_claims must be well-formed Unicode text without NUL');
  }
  if (new TextEncoder().encode(serialized).length > MAX_CUSTOM_CLAIMS_BYTES) {
    throw new TotpError('custom_claims_too_large', `session_custom_claims must serialize to at most ${MAX_CUSTOM_CLAIMS_BYTES} bytes`);
  }
  // A fresh copy from JSON: no prototype tricks, no getters, nothing shared with the caller.
  const claims = JSON.parse(serialized) as Record<string, unknown>;
  // A "__proto__" key survives JSON.parse as data, but any consumer that merges claims into an object pollutes its
  // prototype with it, and some stores (Prisma's Json input) silently drop it: refused, at any depth.
  if (hasProtoKey(claims)) throw new TotpError('bad_request', 'session_custom_claims must not contain a "__proto__" key');
  for (const name of RESERVED_CLAIMS) delete claims[name];
  return claims;
}
