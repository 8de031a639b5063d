// Reading untrusted request objects: every service method takes `unknown`-shaped input from HTTP or a host app.
// Only own properties are read, so `__proto__`, `toString` and friends never stand in for a missing field.

import { TotpError } from '../errors';

export type RequestBody = Readonly<Record<string, unknown>>;

/** The request must be a plain JSON-like object (not null, not an array). */
export function asRequestBody(value: unknown): RequestBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TotpError('bad_request', 'the request body must be a JSON object');
  }
  // Stytch runs an RBAC check when asked; this service has no roles yet. Ignoring the field would run the request
  // without the check its caller relies on, so it is refused instead (docs/http-reference.md, "RBAC").
  if (Object.prototype.hasOwnProperty.call(value, 'authorization_check')) {
    throw new TotpError('bad_request', 'authorization_check is not supported: this service does not enforce Stytch RBAC, so the request was refused rather than run unchecked');
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
