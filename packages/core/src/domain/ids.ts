// Stytch-format identifiers: `<kind>-<environment>-<uuid v4>` (docs/http-reference.md, "IDs"; UUID layout per RFC 9562 §5.4).
// Built from injected randomness (the crypto provider's), so tests can make them deterministic.

import { hex } from '@scure/base';
import type { RandomBytes } from '../otp/random';
import type { Environment } from './model';

export type IdKind = 'organization' | 'member' | 'member-totp' | 'member-session' | 'request-id';

/** A random (version 4) UUID in its canonical lower-case form, from 16 bytes of `randomBytes`. */
export function uuidV4(randomBytes: RandomBytes): string {
  const bytes = randomBytes(16);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 16) {
    throw new TypeError('randomBytes(16) must return a Uint8Array of 16 bytes');
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = hex.encode(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new ID of `kind` for `environment`, e.g. `member-totp-test-7c9e6679-7425-40de-944b-e07fc1f90ae7`. */
export function newId(kind: IdKind, environment: Environment, randomBytes: RandomBytes): string {
  return `${kind}-${environment}-${uuidV4(randomBytes)}`;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERNS: Record<IdKind, RegExp> = {
  organization: new RegExp(`^organization-(test|live)-${UUID}$`),
  member: new RegExp(`^member-(test|live)-${UUID}$`),
  'member-totp': new RegExp(`^member-totp-(test|live)-${UUID}$`),
  'member-session': new RegExp(`^member-session-(test|live)-${UUID}$`),
  'request-id': new RegExp(`^request-id-(test|live)-${UUID}$`),
};

/** True when `value` has the shape of an ID of `kind` (any environment). */
export function isId(value: unknown, kind: IdKind): value is string {
  return typeof value === 'string' && ID_PATTERNS[kind].test(value);
}

/** What no slug or external ID may start with, so that none can ever be taken for an ID. */
export const ID_SHAPE = /^(organization|member|member-totp|member-session|request-id)-(test|live)-/;
