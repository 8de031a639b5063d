// One-time recovery codes: generated without bias from a CSPRNG, and read back leniently into one canonical form.
// Codes are `xxxx-xxxx-xxxx` over [a-z0-9], about 62 bits each (stored only as keyed hashes: crypto/recovery-code-hashes.ts).

import { assertOptionsObject, isBytes, ownOption } from './internal/arguments';
import { defaultRandomBytes, type RandomBytes } from './random';

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
  const randomBytes = ownOption(options, 'randomBytes') ?? defaultRandomBytes;
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

/** True for a code in the canonical form normalizeRecoveryCode returns. */
export function isCanonicalRecoveryCode(code: unknown): code is string {
  return typeof code === 'string' && CANONICAL.test(code);
}
