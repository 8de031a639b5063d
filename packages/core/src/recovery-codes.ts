// One-time recovery codes: generated without bias, read back leniently, stored only as keyed hashes.
// Codes are `xxxx-xxxx-xxxx` over [a-z0-9] (about 62 bits); stored as HMAC-SHA-256 (RFC 2104, FIPS 180-4) under a pepper.

import { assertKeyring, assertOptionsObject, isBytes, ownOption } from './internal/argument-checks';
import { hmacSha256Hex } from './internal/native-crypto';
import { withCurrentKey, withKey, type Keyring } from './keyring';
import type { RecoveryCodeHash } from './model';
import { systemRandomBytes, type RandomBytes } from './runtime';

/** How many codes a member gets at registration and on rotate (Stytch's number). */
export const RECOVERY_CODE_COUNT = 10;
export const MAX_RECOVERY_CODE_COUNT = 100;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const CODE_CHARS = 12;
/**
 * 252 = 36 × 7 is the largest multiple of 36 that fits in a byte. Bytes below it map onto the alphabet exactly
 * 7 times each; the 4 above it are drawn again, so every character is equally likely (no modulo bias).
 */
const ACCEPT_BELOW = 252;
/**
 * A CSPRNG rejects about 1 byte in 64, so for 1,200 characters about 19 rejections are expected; exceeding this
 * bound means the injected source is broken (e.g. it only returns 255), and looping forever would hide that.
 */
const MAX_REJECTED_BYTES = 4096;
/** Two equal 62-bit codes in one set is a once-in-10^15 event; repeated duplicates mean a broken source. */
const MAX_DUPLICATE_DRAWS = 8;
/** Longer input is refused before any work; a code with generous spacing is far shorter. */
const MAX_INPUT_LENGTH = 64;
const CANONICAL = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;

/**
 * A new set of distinct recovery codes, e.g. `['k3v9-0qaz-m2xp', …]`, to show the member once.
 * @throws TypeError when `count` is not a number or `randomBytes` is not a function returning the requested
 *   number of bytes; RangeError when `count` is not an integer from 1 to 100; Error when `randomBytes` is
 *   evidently not random (it keeps returning bytes above 251, or the same codes).
 */
export function generateRecoveryCodes(options: { count?: number; randomBytes?: RandomBytes } = {}): string[] {
  assertOptionsObject(options);
  const count = ownOption(options, 'count') ?? RECOVERY_CODE_COUNT;
  if (typeof count !== 'number') throw new TypeError(`count must be a number (an integer from 1 to ${MAX_RECOVERY_CODE_COUNT})`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_RECOVERY_CODE_COUNT) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_RECOVERY_CODE_COUNT}, got ${count}`);
  }
  const randomBytes = ownOption(options, 'randomBytes') ?? systemRandomBytes;
  if (typeof randomBytes !== 'function') throw new TypeError('randomBytes must be a function (length) => Uint8Array');

  const nextChar = unbiasedCharacters(randomBytes, count * CODE_CHARS);
  const codes = new Set<string>();
  let duplicates = 0;
  while (codes.size < count) {
    let code = '';
    for (let i = 0; i < CODE_CHARS; i++) {
      if (i === 4 || i === 8) code += '-';
      code += nextChar();
    }
    if (codes.has(code)) {
      if (++duplicates > MAX_DUPLICATE_DRAWS) {
        throw new Error('randomBytes keeps producing the same recovery codes; it is not a CSPRNG');
      }
      continue;
    }
    codes.add(code);
  }
  return [...codes];
}

/**
 * Draws characters from one stream of bytes for the whole set, so no random byte is thrown away except by the
 * rejection rule. Fetches what is still expected to be needed, at least 16 bytes at a time.
 */
function unbiasedCharacters(randomBytes: RandomBytes, expectedChars: number): () => string {
  let buffer: Uint8Array = new Uint8Array(0);
  let position = 0;
  let remaining = expectedChars;
  let rejected = 0;
  return () => {
    for (;;) {
      if (position === buffer.length) {
        const length = Math.max(remaining, 16);
        const fresh = randomBytes(length);
        if (!isBytes(fresh) || fresh.length !== length) {
          throw new TypeError(`randomBytes must return a Uint8Array of exactly the requested length (${length})`);
        }
        buffer = fresh;
        position = 0;
      }
      const byte = buffer[position++] as number;
      if (byte < ACCEPT_BELOW) {
        remaining--;
        return ALPHABET[byte % ALPHABET.length] as string;
      }
      if (++rejected > MAX_REJECTED_BYTES) {
        throw new Error('randomBytes keeps returning bytes above 251; it is not a CSPRNG');
      }
    }
  };
}

/**
 * The canonical form `xxxx-xxxx-xxxx` of what a person typed, or `null` when it cannot be a recovery code.
 * ASCII letters are lower-cased; ASCII whitespace and `-` are removed wherever they are; then exactly 12
 * characters of [a-z0-9] must remain. Only ASCII is folded, so look-alikes (full-width `ａ`, Cyrillic `а`, the
 * Kelvin sign that `toLowerCase()` turns into `k`) are refused rather than matched. Idempotent.
 * Never throws: non-strings and input over 64 characters give `null`.
 */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  let compact = '';
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    // Tab, LF, VT, FF, CR, space and '-' may appear anywhere: people paste codes with line breaks and group them freely.
    if (c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d || c === 0x20 || c === 0x2d) continue;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    const allowed = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!allowed) return null;
    compact += String.fromCharCode(c);
  }
  if (compact.length !== CODE_CHARS) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}`;
}

/**
 * The stored form of a code: HMAC-SHA-256 under `pepper.current`, lower-case hex. The message is the UTF-8 (ASCII)
 * canonical code, dashes included. A stolen database dump without the pepper gives nothing to brute-force offline.
 * @throws TypeError when `normalizedCode` is not a string or `pepper` is not a Keyring; RangeError when the code is
 *   not in canonical form (pass it through normalizeRecoveryCode first).
 */
export function hashRecoveryCode(normalizedCode: string, pepper: Keyring): RecoveryCodeHash {
  assertCanonical(normalizedCode, 'normalizedCode');
  assertKeyring(pepper, 'pepper');
  return withCurrentKey(pepper, (key, keyId) => ({ keyId, hash: hmacHex(key, normalizedCode) }));
}

/**
 * The hashes to look a presented code up by: one per pepper key, current first, so a code stored before a pepper
 * rotation is still found. The store finds the row by hash (an indexed equality lookup); no hash is compared in
 * this process, so there is no comparison here to make constant-time.
 * @throws as hashRecoveryCode.
 */
export function recoveryCodeLookupHashes(normalizedCode: string, pepper: Keyring): RecoveryCodeHash[] {
  assertCanonical(normalizedCode, 'normalizedCode');
  assertKeyring(pepper, 'pepper');
  const hashes: RecoveryCodeHash[] = [];
  for (const keyId of pepper.ids) {
    const hash = withKey(pepper, keyId, (key) => hmacHex(key, normalizedCode));
    if (hash === undefined) throw new TypeError(`pepper lists the id '${keyId}' but returns no key for it`);
    hashes.push({ keyId, hash });
  }
  return hashes;
}

/**
 * Normalises and hashes a set of codes for storage, in order (e.g. the output of generateRecoveryCodes, or codes
 * imported on migrate).
 * @throws TypeError when `codes` is not an array or `pepper` is not a Keyring; RangeError when there are more than
 *   100 codes, one is not a well-formed recovery code, or two are the same code after normalisation (they would
 *   collide in the store). Messages give the index, never the code.
 */
export function hashRecoveryCodes(codes: readonly string[], pepper: Keyring): RecoveryCodeHash[] {
  if (!Array.isArray(codes)) throw new TypeError('codes must be an array of recovery code strings');
  if (codes.length > MAX_RECOVERY_CODE_COUNT) {
    throw new RangeError(`codes must hold at most ${MAX_RECOVERY_CODE_COUNT} recovery codes, got ${codes.length}`);
  }
  assertKeyring(pepper, 'pepper');
  const seen = new Set<string>();
  const normalized = codes.map((code: unknown, index) => {
    const canonical = normalizeRecoveryCode(code);
    if (canonical === null) {
      throw new RangeError(`codes[${index}] is not a well-formed recovery code (xxxx-xxxx-xxxx over a-z and 0-9)`);
    }
    if (seen.has(canonical)) throw new RangeError(`codes[${index}] repeats an earlier code; recovery codes must be distinct`);
    seen.add(canonical);
    return canonical;
  });
  return normalized.map((code) => hashRecoveryCode(code, pepper));
}

function assertCanonical(code: unknown, name: string): asserts code is string {
  if (typeof code !== 'string') throw new TypeError(`${name} must be a string`);
  if (!CANONICAL.test(code)) {
    throw new RangeError(`${name} must be a normalised recovery code (xxxx-xxxx-xxxx over a-z and 0-9); use normalizeRecoveryCode`);
  }
}

/** The code is ASCII (checked canonical), so its UTF-8 bytes are its characters. */
function hmacHex(key: Uint8Array, code: string): string {
  return hmacSha256Hex(key, code);
}
