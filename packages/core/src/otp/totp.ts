// One-time passwords: counter-based (HOTP) and time-based (TOTP) generation and verification.
// HOTP (RFC 4226 §5) and TOTP (RFC 6238 §4), with SHA-1, SHA-256 and SHA-512 (RFC 6238 §1.2).

import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { assertOptionsObject, ownOption } from './internal/arguments';
import { assertSecretBytes } from './secret';

/** The HMAC hashes RFC 6238 §1.2 allows, as otpauth URIs name them. */
export type TotpAlgorithmName = 'SHA1' | 'SHA256' | 'SHA512';

/** HMAC (RFC 2104) with one of TOTP's hashes: what a crypto provider supplies (`CryptoProvider.hmac`). */
export type HmacFunction = (hash: 'SHA-1' | 'SHA-256' | 'SHA-512', key: Uint8Array, message: Uint8Array) => Uint8Array;

const NOBLE_HASHES = { 'SHA-1': sha1, 'SHA-256': sha256, 'SHA-512': sha512 } as const;
/** The pure default: @noble/hashes, which runs wherever JavaScript does. */
export const nobleHmac: HmacFunction = (hash, key, message) => hmac(NOBLE_HASHES[hash], key, message);
const HASH_OF: Record<TotpAlgorithmName, 'SHA-1' | 'SHA-256' | 'SHA-512'> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' };

/** The parameters a TOTP registration fixes. Every field is optional; the defaults are RFC 6238's. */
export interface TotpParameters {
  /** The HMAC hash. Default `'SHA1'`, the only one most authenticator apps support. */
  algorithm?: TotpAlgorithmName;
  /** Code length, an integer from 6 to 8 (RFC 4226 §5.3). Default 6. */
  digits?: number;
  /** Time step X, an integer from 1 to 86400 (one day). Default 30 (RFC 6238 §5.2). */
  periodSeconds?: number;
  /** The Unix time steps are counted from, T0: an integer from 0 to 8.64e12. Default 0. */
  t0Seconds?: number;
  /** The HMAC to compute codes with, e.g. a crypto provider's. Default: @noble/hashes. */
  hmac?: HmacFunction;
}

/** The outcome of checking a code: which step matched, so the caller can refuse a replay (RFC 6238 §5.2). */
export type TotpVerification = { valid: true; step: number; driftSteps: number } | { valid: false; reason: 'malformed_code' | 'no_match' };

export const DEFAULT_ALGORITHM: TotpAlgorithmName = 'SHA1';
export const DEFAULT_DIGITS = 6;
export const DEFAULT_PERIOD_SECONDS = 30;
export const DEFAULT_WINDOW_STEPS = 1;
/** Ten steps each side is already five minutes at 30 s; wider windows make guessing much cheaper. */
export const MAX_WINDOW_STEPS = 10;
/** A day: longer periods make a code a long-lived password, and bigger numbers are typos. */
export const MAX_PERIOD_SECONDS = 86_400;
/** The end of ECMAScript's Date range; it also keeps every step a safe integer. */
const MAX_NOW_MS = 8.64e15;
const MAX_T0_SECONDS = MAX_NOW_MS / 1000;

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000] as const;

/**
 * The HOTP value for `counter` (RFC 4226 §5.3), left-padded with zeros to `digits`.
 * @throws TypeError/RangeError when `secret` is not 16–128 bytes, `counter` not a safe integer >= 0,
 *   `algorithm` unknown or `digits` not 6–8.
 */
export function hotp(
  secret: Uint8Array,
  counter: number,
  options: { algorithm?: TotpAlgorithmName; digits?: number; hmac?: HmacFunction } = {},
): string {
  assertSecretBytes(secret);
  assertOptionsObject(options);
  const algorithm = readAlgorithm(options);
  const digits = readDigits(ownOption(options, 'digits'));
  const mac = readHmac(options);
  if (typeof counter !== 'number') throw new TypeError('counter must be a number (a safe integer >= 0)');
  if (!Number.isSafeInteger(counter) || counter < 0) {
    throw new RangeError(`counter must be a safe integer from 0 to 2^53 - 1, got ${counter}`);
  }
  return formatCode(truncated(mac, algorithm, secret, counter) % POW10[digits]!, digits);
}

/**
 * The RFC 6238 §4.2 time step T = floor((unix seconds - T0) / X) at `nowMs`.
 * @throws TypeError/RangeError when `nowMs` is not a finite number up to 8.64e15 or is before `t0Seconds`,
 *   or `periodSeconds`/`t0Seconds` are out of range.
 */
export function timeStepAt(nowMs: number, options: { periodSeconds?: number; t0Seconds?: number } = {}): number {
  assertOptionsObject(options);
  return stepAt(nowMs, readPeriod(options), readT0(options));
}

/**
 * The TOTP code at `nowMs` (RFC 6238 §4.2).
 * @throws TypeError/RangeError on any out-of-range parameter (see {@link TotpParameters}) or `nowMs`.
 */
export function generateTotp(secret: Uint8Array, options: TotpParameters & { nowMs: number }): string {
  assertSecretBytes(secret);
  assertOptionsObject(options);
  const algorithm = readAlgorithm(options);
  const digits = readDigits(ownOption(options, 'digits'));
  const step = stepAt(ownOption(options, 'nowMs'), readPeriod(options), readT0(options));
  return formatCode(truncated(readHmac(options), algorithm, secret, step) % POW10[digits]!, digits);
}

/**
 * Checks `code` against the current step and `windowSteps` steps either side (RFC 6238 §5.2), in the
 * order 0, -1, +1, -2, +2 … so that if two steps share a code the nearest (then the earlier) wins. Steps before T0
 * are skipped. A code that is not exactly `digits` ASCII digits is `malformed_code`, never an exception.
 *
 * The code is parsed to an integer once and compared as an integer against each step's value, so the
 * time taken does not depend on how many leading digits of a guess are right. Every step of the window is
 * computed unless one matches; which one matched is in the result anyway.
 * @throws TypeError/RangeError on programmer misuse: a bad secret, `nowMs`, parameter or `windowSteps` (0–10).
 */
export function verifyTotp(
  secret: Uint8Array,
  code: string,
  options: TotpParameters & { nowMs: number; windowSteps?: number },
): TotpVerification {
  assertSecretBytes(secret);
  assertOptionsObject(options);
  const algorithm = readAlgorithm(options);
  const digits = readDigits(ownOption(options, 'digits'));
  const windowSteps = readIntegerOption(ownOption(options, 'windowSteps'), 'windowSteps', 0, MAX_WINDOW_STEPS, DEFAULT_WINDOW_STEPS);
  const current = stepAt(ownOption(options, 'nowMs'), readPeriod(options), readT0(options));
  const expected = parseCode(code, digits);
  if (expected < 0) return { valid: false, reason: 'malformed_code' };

  const modulus = POW10[digits]!;
  const mac = readHmac(options);
  for (let i = 0; i <= 2 * windowSteps; i++) {
    // i = 0, 1, 2, 3, 4 … → drift 0, -1, +1, -2, +2 …
    const driftSteps = i & 1 ? -((i + 1) >> 1) : i >> 1;
    const step = current + driftSteps;
    if (step < 0) continue;
    if (truncated(mac, algorithm, secret, step) % modulus === expected) return { valid: true, step, driftSteps };
  }
  return { valid: false, reason: 'no_match' };
}

/**
 * True when `code` is exactly `digits` (default 6) ASCII digits `0`–`9`: no sign, space, exponent, or
 * non-ASCII digit. The format check `verifyTotp` applies, for callers that must reject input early.
 * @throws RangeError when `digits` is not an integer from 6 to 8.
 */
export function isWellFormedTotpCode(code: unknown, digits: number = DEFAULT_DIGITS): code is string {
  return parseCode(code, readDigits(digits)) >= 0;
}

/** The code's value, or -1 if it is not exactly `digits` ASCII digits. */
function parseCode(code: unknown, digits: number): number {
  if (typeof code !== 'string' || code.length !== digits) return -1;
  let value = 0;
  let bad = 0;
  // No early exit: the loop does the same work whichever character is wrong.
  for (let i = 0; i < digits; i++) {
    const d = code.charCodeAt(i) - 0x30;
    bad |= d | (9 - d); // negative exactly when d is outside 0..9
    value = value * 10 + d;
  }
  return bad < 0 ? -1 : value;
}

/**
 * RFC 4226 §5.3's Snum: the 31-bit integer that dynamic truncation extracts from HMAC(K, counter), the counter as
 * 8 bytes big-endian. The caller reduces it modulo 10^digits; an integer lets verification compare numbers.
 */
function truncated(mac: HmacFunction, algorithm: TotpAlgorithmName, secret: Uint8Array, counter: number): number {
  // The counter as 8 bytes, big-endian, written as two 32-bit halves (bitwise operators stop at 32 bits).
  const high = Math.floor(counter / 0x1_0000_0000);
  const low = counter >>> 0;
  const message = Uint8Array.of(high >>> 24, high >>> 16, high >>> 8, high, low >>> 24, low >>> 16, low >>> 8, low);
  const digest = mac(HASH_OF[algorithm], secret, message);
  // SHA-1 gives 20 bytes, the others more: anything shorter is a broken HMAC, whose codes would be made of nothing.
  if (!(digest instanceof Uint8Array) || digest.length < 20) throw new TypeError('hmac must return the HMAC digest as a Uint8Array');
  const offset = digest[digest.length - 1]! & 0x0f;
  const snum = ((digest[offset]! & 0x7f) << 24) | (digest[offset + 1]! << 16) | (digest[offset + 2]! << 8) | digest[offset + 3]!;
  digest.fill(0);
  return snum;
}

function readHmac(options: { hmac?: HmacFunction }): HmacFunction {
  const mac = ownOption(options, 'hmac') ?? nobleHmac;
  if (typeof mac !== 'function') throw new TypeError('hmac must be a function (hash, key, message) => Uint8Array');
  return mac;
}

function formatCode(value: number, digits: number): string {
  return value.toString().padStart(digits, '0');
}

function stepAt(nowMs: unknown, periodSeconds: number, t0Seconds: number): number {
  if (typeof nowMs !== 'number') throw new TypeError('nowMs must be a number (milliseconds since the Unix epoch)');
  if (!Number.isFinite(nowMs) || nowMs > MAX_NOW_MS) {
    throw new RangeError(`nowMs must be a finite number of milliseconds from 0 to ${MAX_NOW_MS}, got ${nowMs}`);
  }
  // Exact: below 2^53, a correctly rounded a / b never rounds up onto the next integer (tested against BigInt).
  const seconds = Math.floor(nowMs / 1000);
  if (seconds < t0Seconds) throw new RangeError(`nowMs must not be before t0Seconds (${t0Seconds}), got ${nowMs}`);
  // `+ 0` turns the -0 that nowMs = -0 yields into 0, so no caller ever sees a negative zero step.
  return Math.floor((seconds - t0Seconds) / periodSeconds) + 0;
}

function readAlgorithm(options: { algorithm?: TotpAlgorithmName }): TotpAlgorithmName {
  const algorithm = ownOption(options, 'algorithm');
  if (algorithm === undefined) return DEFAULT_ALGORITHM;
  // Compared one by one rather than looked up, so 'toString' or '__proto__' cannot match an inherited key.
  if (algorithm === 'SHA1' || algorithm === 'SHA256' || algorithm === 'SHA512') return algorithm;
  if (typeof algorithm !== 'string') throw new TypeError(`algorithm must be a string: 'SHA1', 'SHA256' or 'SHA512'`);
  throw new RangeError(`algorithm must be 'SHA1', 'SHA256' or 'SHA512'`);
}

function readDigits(value: unknown): number {
  return readIntegerOption(value, 'digits', 6, 8, DEFAULT_DIGITS);
}

function readPeriod(options: { periodSeconds?: number }): number {
  return readIntegerOption(ownOption(options, 'periodSeconds'), 'periodSeconds', 1, MAX_PERIOD_SECONDS, DEFAULT_PERIOD_SECONDS);
}

function readT0(options: { t0Seconds?: number }): number {
  return readIntegerOption(ownOption(options, 't0Seconds'), 't0Seconds', 0, MAX_T0_SECONDS, 0);
}

function readIntegerOption(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (an integer from ${min} to ${max})`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
