// The platform cryptography @totp/core needs, as one small injected interface (docs/architecture.md, "Platform code is
// injected"): HMAC (RFC 2104), SHA-256 (FIPS 180-4), AES-256-GCM (NIST SP 800-38D) and a CSPRNG.

/**
 * What core asks of the platform. `nobleCrypto` (pure JavaScript, runs anywhere) is the default; Node hosts pass
 * `nodeCrypto` from `@totp/core/node`, which gives the same bytes through OpenSSL. Every method is synchronous and
 * returns a new array the caller owns. A custom implementation must give the same bytes as these two: the provider
 * test suite in provider.test.ts shows how to check one.
 */
export interface CryptoProvider {
  /** HMAC of `message` under `key`. */
  hmac(hash: 'SHA-1' | 'SHA-256' | 'SHA-512', key: Uint8Array, message: Uint8Array): Uint8Array;
  /** The SHA-256 digest of `message`. */
  sha256(message: Uint8Array): Uint8Array;
  /** AES-256-GCM with a 32-byte key and a 12-byte nonce: the ciphertext followed by the 16-byte tag. */
  aes256GcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext of `aes256GcmSeal`'s output; throws when the tag does not verify (wrong key, nonce, data or AAD). */
  aes256GcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
  /** `length` bytes from a CSPRNG. */
  randomBytes(length: number): Uint8Array;
}

/** GCM's 96-bit nonce (SP 800-38D §8.2.2) and 128-bit tag. */
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;

/** True when `value` has every method of a CryptoProvider (checked when a service is created). */
export function isCryptoProvider(value: unknown): value is CryptoProvider {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['hmac', 'sha256', 'aes256GcmSeal', 'aes256GcmOpen', 'randomBytes'].every((name) => typeof candidate[name] === 'function');
}
