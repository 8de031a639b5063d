// TOTP shared secrets: generating them, and the base32 text authenticator apps exchange them as.
// Secrets: RFC 4226 §4 R6 (at least 128 bits); base32 per RFC 4648 §6 via @scure/base.

import { base32nopad } from '@scure/base';
import { assertOptionsObject, isBytes, ownOption } from './internal/arguments';
import { defaultRandomBytes, type RandomBytes } from './random';

/**
 * Text that is not a usable base32 secret. Its message never quotes the text (it is a secret) and is safe to show to
 * whoever sent it; the service answers it as `bad_request`.
 */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

/** 160 bits: RFC 4226 §4 recommends it, and it is what authenticator apps expect for SHA-1. */
export const DEFAULT_SECRET_BYTES = 20;
/** 128 bits: RFC 4226 §4 R6's minimum. */
export const MIN_SECRET_BYTES = 16;
/** Twice SHA-512's block size: past that, HMAC hashes the key down anyway, so more bytes add nothing. */
export const MAX_SECRET_BYTES = 128;
/**
 * The longest text `decodeSecret` reads. A 128-byte secret is 205 base32 characters; the slack is for
 * spaces and padding. The bound exists so that hostile input is refused before any work is done on it.
 */
export const MAX_SECRET_TEXT_LENGTH = 1024;

/**
 * A new random secret.
 * @throws RangeError when `bytes` is not an integer from 16 to 128; TypeError when `randomBytes` is not a
 *   function or returns something other than `bytes` bytes.
 */
export function generateSecret(options: { bytes?: number; randomBytes?: RandomBytes } = {}): Uint8Array {
  assertOptionsObject(options);
  const bytes = ownOption(options, 'bytes') ?? DEFAULT_SECRET_BYTES;
  if (typeof bytes !== 'number') throw new TypeError(`bytes must be a number (an integer from ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES})`);
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`bytes must be an integer from ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES}, got ${bytes}`);
  }
  const randomBytes = ownOption(options, 'randomBytes') ?? defaultRandomBytes;
  if (typeof randomBytes !== 'function') throw new TypeError('randomBytes must be a function (length) => Uint8Array');
  const secret = randomBytes(bytes);
  // A short or non-byte result from an injected source would silently weaken every secret made with it.
  if (!isBytes(secret) || secret.length !== bytes) {
    throw new TypeError(`randomBytes must return a Uint8Array of exactly the requested length (${bytes})`);
  }
  return secret;
}

/**
 * The secret as authenticator apps show and accept it: upper-case base32 without padding (20 bytes → 32
 * characters), since `otpauth://` URIs and manual-entry fields conventionally omit the `=`.
 * @throws TypeError when `secret` is not a Uint8Array; RangeError when it is not 16 to 128 bytes long.
 */
export function encodeSecret(secret: Uint8Array): string {
  assertSecretBytes(secret);
  return base32nopad.encode(secret);
}

/**
 * Reads a base32 secret as a person or another system may have written it: any case, spaces and tabs
 * anywhere, with or without correct trailing `=` padding. Only ASCII letters are case-folded, so
 * look-alikes such as `ı` or `ſ` (which `toUpperCase()` would turn into `I` and `S`) are refused.
 * Unused trailing bits are ignored even when non-zero (RFC 4648 §3.5 lets a decoder do either): secrets
 * minted as random base32 characters rather than encoded bytes have them, and authenticator apps ignore them,
 * so refusing them would refuse a secret the member's app already uses.
 * @throws TypeError when `text` is not a string; RangeError when `minBytes` is not an integer from 1 to 128;
 *   SecretFormatError when the text is not a base32 secret of `minBytes` (default 16) to 128 bytes.
 */
export function decodeSecret(text: string, options: { minBytes?: number } = {}): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('secret must be a string of base32 text');
  assertOptionsObject(options);
  const minBytes = ownOption(options, 'minBytes') ?? MIN_SECRET_BYTES;
  if (typeof minBytes !== 'number') throw new TypeError(`minBytes must be a number (an integer from 1 to ${MAX_SECRET_BYTES})`);
  if (!Number.isInteger(minBytes) || minBytes < 1 || minBytes > MAX_SECRET_BYTES) {
    throw new RangeError(`minBytes must be an integer from 1 to ${MAX_SECRET_BYTES}, got ${minBytes}`);
  }
  // Messages below never quote the input: it is a secret, and they may be shown to an API caller.
  if (text.length > MAX_SECRET_TEXT_LENGTH) {
    throw new SecretFormatError(`secret is too long: at most ${MAX_SECRET_TEXT_LENGTH} characters of base32 are accepted`);
  }
  // The stored form is canonical already, so the common case skips the copy.
  const normal = CANONICAL.test(text) ? text : normalise(text);
  let end = normal.length;
  while (end > 0 && normal.charCodeAt(end - 1) === EQUALS) end--;
  if (end === 0) throw new SecretFormatError('secret is empty');
  const paddingLength = normal.length - end;
  const remainder = end % 8;
  if (remainder === 1 || remainder === 3 || remainder === 6) {
    throw new SecretFormatError('secret has an impossible length for base32 (RFC 4648 §6)');
  }
  if (paddingLength !== 0 && paddingLength !== (8 - remainder) % 8) {
    throw new SecretFormatError('secret has the wrong amount of "=" padding for base32 (RFC 4648 §6)');
  }
  const body = paddingLength === 0 ? normal : normal.slice(0, end);
  let decoded: Uint8Array;
  try {
    decoded = base32nopad.decode(remainder === 0 ? body : withUnusedBitsCleared(body, remainder));
  } catch (error) {
    // Unreachable after the checks above; kept so that no library error can escape as a 500.
    throw new SecretFormatError('secret is not valid base32 (RFC 4648 §6)', { cause: error });
  }
  if (decoded.length < minBytes || decoded.length > MAX_SECRET_BYTES) {
    const length = decoded.length;
    decoded.fill(0); // refused, but still key material
    throw new SecretFormatError(
      length < minBytes
        ? `secret is too short: it must decode to at least ${minBytes} bytes`
        : `secret is too long: it must decode to at most ${MAX_SECRET_BYTES} bytes`,
    );
  }
  return decoded;
}

/**
 * Programmer-misuse check shared with totp.ts: a secret is a Uint8Array of 16 to 128 bytes.
 * @internal
 */
export function assertSecretBytes(secret: unknown, name = 'secret'): asserts secret is Uint8Array {
  if (!isBytes(secret)) throw new TypeError(`${name} must be a Uint8Array of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
    throw new RangeError(`${name} must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes long, got ${secret.length}`);
  }
}

const CANONICAL = /^[A-Z2-7]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** For a last group of 2, 4, 5 or 7 characters, how many low bits of its last character no byte uses. */
const UNUSED_BITS = [0, 0, 2, 0, 4, 1, 0, 3] as const;

/** @scure/base insists on zero unused bits; clearing them makes it decode what authenticator apps decode. */
function withUnusedBitsCleared(body: string, remainder: number): string {
  const last = ALPHABET.indexOf(body.charAt(body.length - 1));
  const cleared = last & ~((1 << UNUSED_BITS[remainder]!) - 1);
  return last === cleared ? body : body.slice(0, -1) + ALPHABET.charAt(cleared);
}
const EQUALS = 0x3d;

/** Drops spaces and tabs, folds ASCII a–z to upper case, keeps `=`; anything else outside base32 is refused. */
function normalise(text: string): string {
  const codes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09) continue;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    const isBase32 = (c >= 0x41 && c <= 0x5a) || (c >= 0x32 && c <= 0x37);
    if (!isBase32 && c !== EQUALS) {
      throw new SecretFormatError('secret contains a character outside the base32 alphabet (A–Z, 2–7)');
    }
    codes.push(c);
  }
  const firstEquals = codes.indexOf(EQUALS);
  if (firstEquals !== -1 && codes.slice(firstEquals).some((c) => c !== EQUALS)) {
    throw new SecretFormatError('secret contains "=" before its end; "=" may only pad the end');
  }
  return String.fromCharCode(...codes);
}
