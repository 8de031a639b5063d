// Opaque bearer tokens for member and intermediate sessions: 256 random bits, base64url, stored only as SHA-256.
// A token with that much entropy needs no salt or pepper: a database dump gives nothing to guess from (RFC 6819 §5.1.4.1.3).

import { base64urlnopad } from '@scure/base';
import { sha256HexOfUtf8 } from './internal/native-crypto';
import type { RandomBytes } from './runtime';

export const TOKEN_BYTES = 32;

/** A new token: 32 bytes from the CSPRNG as 43 base64url characters. */
export function newOpaqueToken(randomBytes: RandomBytes): string {
  return base64urlnopad.encode(randomBytes(TOKEN_BYTES));
}

/** Lower-case hex SHA-256 of the token's UTF-8 bytes: what the repository stores and looks up. */
export function hashToken(token: string): string {
  // Runs once or twice per request; node:crypto's one-shot hash is ~15x cheaper than noble here (native-crypto.ts).
  return sha256HexOfUtf8(token);
}
