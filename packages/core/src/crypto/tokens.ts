// Opaque bearer tokens for member and intermediate sessions: 256 random bits, base64url, stored only as SHA-256.
// A token with that much entropy needs no salt or pepper: a database dump gives nothing to guess from (RFC 6819 §5.1.4.1.3).

import { base64urlnopad, hex } from '@scure/base';
import type { CryptoProvider } from './provider';

export const TOKEN_BYTES = 32;

/** A new token: 32 bytes from the CSPRNG as 43 base64url characters. */
export function newOpaqueToken(crypto: CryptoProvider): string {
  const bytes = crypto.randomBytes(TOKEN_BYTES);
  // A short token from a broken provider would be guessable, and nothing else would notice.
  if (!(bytes instanceof Uint8Array) || bytes.length !== TOKEN_BYTES) {
    throw new TypeError(`the crypto provider's randomBytes must return exactly the requested length (${TOKEN_BYTES})`);
  }
  return base64urlnopad.encode(bytes);
}

/** Lower-case hex SHA-256 of the token's UTF-8 bytes: what a store keeps and looks sessions up by. */
export function hashToken(crypto: CryptoProvider, token: string): string {
  return hex.encode(crypto.sha256(new TextEncoder().encode(token)));
}
