// Recovery codes at rest: HMAC-SHA-256 (RFC 2104, FIPS 180-4) of the canonical code under a server-side pepper, so a
// stolen database dump gives nothing to brute-force offline. One hash per pepper key, so a pepper can be rotated.

import { hex } from '@scure/base';
import { isCanonicalRecoveryCode, normalizeRecoveryCode } from '../otp/recovery-codes';
import { assertKeyring, keyCopy, type Keyring } from './keyring';
import type { CryptoProvider } from './provider';

/** A recovery code as stored: HMAC-SHA-256 under a server-side pepper, never the code. */
export interface RecoveryCodeHash {
  /** The pepper key's ID, so the pepper can be rotated. */
  keyId: string;
  /** Lower-case hex HMAC-SHA-256 of the normalised code. */
  hash: string;
}

/** The most codes one set may hold (a migrated set included). */
export const MAX_RECOVERY_CODES = 100;

const encoder = new TextEncoder();

/** HMAC-SHA-256 of the (ASCII) canonical code under `key`, as lower-case hex. */
function hmacHex(crypto: CryptoProvider, key: Uint8Array, code: string): string {
  try {
    return hex.encode(crypto.hmac('SHA-256', key, encoder.encode(code)));
  } finally {
    key.fill(0);
  }
}

/**
 * The stored form of a canonical code, under `pepper.current`.
 * @throws TypeError when `pepper` is not a Keyring; RangeError when the code is not canonical (normalizeRecoveryCode).
 */
export function hashRecoveryCode(normalizedCode: string, pepper: Keyring, crypto: CryptoProvider): RecoveryCodeHash {
  assertCanonical(normalizedCode, 'normalizedCode');
  assertKeyring(pepper, 'pepper');
  const { id, key } = keyCopy(pepper)!;
  return { keyId: id, hash: hmacHex(crypto, key, normalizedCode) };
}

/**
 * The hashes to look a presented code up by: one per pepper key, current first, so that a code stored before a
 * rotation is still found. The store finds the row by hash, an indexed equality lookup: no hash is compared here.
 */
export function recoveryCodeLookupHashes(normalizedCode: string, pepper: Keyring, crypto: CryptoProvider): RecoveryCodeHash[] {
  assertCanonical(normalizedCode, 'normalizedCode');
  assertKeyring(pepper, 'pepper');
  return pepper.ids.map((keyId) => {
    const key = keyCopy(pepper, keyId)?.key;
    if (key === undefined) throw new TypeError(`pepper lists the id '${keyId}' but returns no key for it`);
    return { keyId, hash: hmacHex(crypto, key, normalizedCode) };
  });
}

/**
 * Normalises and hashes a set of codes for storage, in order (generated ones, or codes imported on migrate).
 * @throws TypeError when `codes` is not an array; RangeError when there are more than 100 codes, one is not a
 *   well-formed recovery code, or two are the same after normalisation. Messages give the index, never the code.
 */
export function hashRecoveryCodes(codes: readonly string[], pepper: Keyring, crypto: CryptoProvider): RecoveryCodeHash[] {
  if (!Array.isArray(codes)) throw new TypeError('codes must be an array of recovery code strings');
  if (codes.length > MAX_RECOVERY_CODES) {
    throw new RangeError(`codes must hold at most ${MAX_RECOVERY_CODES} recovery codes, got ${codes.length}`);
  }
  const seen = new Set<string>();
  return codes.map((code: unknown, index) => {
    const canonical = normalizeRecoveryCode(code);
    if (canonical === null) {
      throw new RangeError(`codes[${index}] is not a well-formed recovery code (xxxx-xxxx-xxxx over a-z and 0-9)`);
    }
    if (seen.has(canonical)) throw new RangeError(`codes[${index}] repeats an earlier code; recovery codes must be distinct`);
    seen.add(canonical);
    return hashRecoveryCode(canonical, pepper, crypto);
  });
}

function assertCanonical(code: unknown, name: string): asserts code is string {
  if (typeof code !== 'string') throw new TypeError(`${name} must be a string`);
  if (!isCanonicalRecoveryCode(code)) {
    throw new RangeError(`${name} must be a normalised recovery code (xxxx-xxxx-xxxx over a-z and 0-9); use normalizeRecoveryCode`);
  }
}
