// Stytch-format identifiers: `<kind>-<environment>-<uuid v4>` (docs/http-api.md, "IDs"; UUID layout per RFC 9562 §5.4).
// Built from injected randomness so tests can make them deterministic.

import { systemRandomBytes, type RandomBytes } from './runtime';
import type { Environment } from './model';

export type IdKind =
  | 'organization'
  | 'member'
  | 'member-totp'
  | 'member-session'
  | 'intermediate-session'
  | 'request-id';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random (version 4) UUID in its canonical lower-case form. */
export function uuidV4(randomBytes: RandomBytes = systemRandomBytes): string {
  if (randomBytes === systemRandomBytes) {
    // Nothing to reproduce from the system source, so the platform's own v4 UUID (WebCrypto's randomUUID, Node >= 19
    // and browsers in a secure context; same format) does: ~0.2 µs, against ~6 µs for getRandomValues and formatting.
    const platform = globalThis.crypto as Partial<Crypto> | undefined;
    if (typeof platform?.randomUUID === 'function') return platform.randomUUID();
  }
  const b = randomBytes(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) {
    throw new TypeError('randomBytes(16) must return a Uint8Array of 16 bytes');
  }
  const bytes = Uint8Array.from(b);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(bytes, (x) => HEX[x]).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A new ID of `kind` for `environment`, e.g. `member-totp-test-7c9e6679-7425-40de-944b-e07fc1f90ae7`. */
export function newId(kind: IdKind, environment: Environment, randomBytes?: RandomBytes): string {
  return `${kind}-${environment}-${uuidV4(randomBytes)}`;
}

const UUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERNS = new Map<IdKind, RegExp>();

/** True when `value` has the shape of an ID of `kind` (any environment). */
export function isId(value: unknown, kind: IdKind): value is string {
  let re = ID_PATTERNS.get(kind);
  if (re === undefined) {
    re = new RegExp(`^${kind}-(test|live)-${UUID_PATTERN}$`);
    ID_PATTERNS.set(kind, re);
  }
  return typeof value === 'string' && re.test(value);
}
