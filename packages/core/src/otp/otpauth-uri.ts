// otpauth:// URIs that hand a TOTP secret to an authenticator app, and reading them back.
// Google Authenticator's Key Uri Format (wiki), with RFC 3986 §2.1 percent-encoding of UTF-8 (RFC 3629).

import { assertOptionsObject, ownOption } from './internal/arguments';
import { codePointLength, isWellFormedText } from './internal/text';
import type { TotpAlgorithmName } from './totp';

export interface OtpauthUriParameters {
  issuer: string;
  accountName: string;
  /** Base32 (RFC 4648 §6), upper-case, without padding. */
  secret: string;
  /** Default `'SHA1'`. */
  algorithm?: TotpAlgorithmName;
  /** Default 6; 6 to 8. */
  digits?: number;
  /** Default 30; a positive integer. */
  periodSeconds?: number;
}

export interface ParsedOtpauthUri {
  type: 'totp';
  /** `''` when the URI names no issuer. */
  issuer: string;
  accountName: string;
  secret: string;
  algorithm: TotpAlgorithmName;
  digits: number;
  periodSeconds: number;
}

export type OtpauthUriErrorReason =
  | 'not_a_string'
  | 'too_long'
  | 'malformed'
  | 'wrong_scheme'
  | 'unsupported_type'
  | 'missing_label'
  | 'missing_account_name'
  | 'missing_secret'
  | 'invalid_secret'
  | 'bad_percent_encoding'
  | 'issuer_mismatch'
  | 'duplicate_parameter'
  | 'unsupported_algorithm'
  | 'invalid_digits'
  | 'invalid_period';

/** Why an otpauth URI could not be read. `reason` is stable and machine-readable; `message` says what to fix. */
export class OtpauthUriError extends Error {
  override readonly name = 'OtpauthUriError';
  readonly reason: OtpauthUriErrorReason;

  constructor(reason: OtpauthUriErrorReason, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

/**
 * Long enough for a 128-byte secret and the three names a URI carries (issuer twice, account once) at 256 characters
 * each, fully percent-encoded (a 3-byte UTF-8 character becomes 9), which is more than a QR code can hold.
 */
export const MAX_OTPAUTH_URI_LENGTH = 8192;
/** Authenticator apps show issuer and account on one line; 256 leaves room for any e-mail address (≤ 254). */
export const MAX_LABEL_PART_LENGTH = 256;

const ALGORITHMS: readonly TotpAlgorithmName[] = ['SHA1', 'SHA256', 'SHA512'];
const DEFAULT_ALGORITHM: TotpAlgorithmName = 'SHA1';
const DEFAULT_DIGITS = 6;
const DEFAULT_PERIOD_SECONDS = 30;
const MIN_DIGITS = 6;
const MAX_DIGITS = 8;
const SECRET = /^[A-Z2-7]+$/;
const SCHEME = 'otpauth://';

/**
 * `otpauth://totp/<issuer>:<accountName>?secret=…&issuer=<issuer>&algorithm=SHA1&digits=6&period=30`.
 * The issuer is in both places, as the format recommends (old apps read the label, new ones the parameter).
 * Issuer and account are percent-encoded as UTF-8, leaving only RFC 3986 unreserved characters as they are, so a
 * space is `%20` (never `+`), `@` is `%40`, and a `:` inside either is `%3A`: the one literal `:` separates them.
 * @throws TypeError when a field has the wrong type, a name holds an unpaired surrogate, the account name starts
 *   with a space (the format lets readers strip it), or `secret` is not upper-case base32 without padding;
 *   RangeError when issuer or account name is empty or over 256 characters, `algorithm` is not SHA1, SHA256 or
 *   SHA512, `digits` is not 6 to 8, or `periodSeconds` is not a positive safe integer.
 */
export function buildOtpauthUri(parameters: OtpauthUriParameters): string {
  assertOptionsObject(parameters, 'parameters');
  const issuer = labelPart(ownOption(parameters, 'issuer'), 'issuer');
  const accountName = labelPart(ownOption(parameters, 'accountName'), 'accountName');
  if (accountName.startsWith(' ')) {
    throw new TypeError('accountName must not start with a space: readers strip spaces after the ":" in the label');
  }
  const secret = ownOption(parameters, 'secret');
  if (typeof secret !== 'string' || !SECRET.test(secret)) {
    throw new TypeError('secret must be a non-empty string of upper-case base32 (A-Z, 2-7) without "=" padding');
  }
  const algorithm = ownOption(parameters, 'algorithm') ?? DEFAULT_ALGORITHM;
  if (!(ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new RangeError(`algorithm must be one of ${ALGORITHMS.join(', ')}`);
  }
  const digits = ownOption(parameters, 'digits') ?? DEFAULT_DIGITS;
  if (typeof digits !== 'number') throw new TypeError(`digits must be a number (an integer from ${MIN_DIGITS} to ${MAX_DIGITS})`);
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new RangeError(`digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}, got ${digits}`);
  }
  const periodSeconds = ownOption(parameters, 'periodSeconds') ?? DEFAULT_PERIOD_SECONDS;
  if (typeof periodSeconds !== 'number') throw new TypeError('periodSeconds must be a number (a positive integer)');
  if (!Number.isSafeInteger(periodSeconds) || periodSeconds < 1) {
    throw new RangeError(`periodSeconds must be a positive integer (1 to 2^53 - 1), got ${periodSeconds}`);
  }
  const encodedIssuer = percentEncode(issuer);
  return (
    `${SCHEME}totp/${encodedIssuer}:${percentEncode(accountName)}` +
    `?secret=${secret}&issuer=${encodedIssuer}&algorithm=${algorithm}&digits=${digits}&period=${periodSeconds}`
  );
}

/**
 * Reads an `otpauth://totp/…` URI, e.g. one exported from another system.
 * - Scheme, type, parameter names and algorithm are case-insensitive; unknown parameters are ignored.
 * - The label splits on its first literal `:`; only when it has none, on its first `%3A`. Spaces after the
 *   separator are dropped (the format allows them). The issuer is the `issuer` parameter, else the label prefix,
 *   else `''`; when both are present they must be equal.
 * - `+` is a literal plus, not a space (RFC 3986, not HTML forms). A literal `#` is refused rather than read as
 *   the start of a fragment, since it is almost always an issuer or account that was not encoded.
 * - `secret` comes back upper-case without padding; defaults are SHA1, 6 digits, 30 seconds.
 * @throws OtpauthUriError, whose `reason` says which rule failed. Never anything else, whatever the input.
 */
export function parseOtpauthUri(uri: string): ParsedOtpauthUri {
  if (typeof uri !== 'string') throw new OtpauthUriError('not_a_string', 'the otpauth URI must be a string');
  if (uri.length > MAX_OTPAUTH_URI_LENGTH) {
    throw new OtpauthUriError('too_long', `the otpauth URI is longer than ${MAX_OTPAUTH_URI_LENGTH} characters`);
  }
  if (!isWellFormedText(uri)) throw new OtpauthUriError('malformed', 'the otpauth URI contains an unpaired UTF-16 surrogate');
  if (uri.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
    throw new OtpauthUriError('wrong_scheme', 'the URI does not start with "otpauth://"');
  }
  if (uri.includes('#')) {
    throw new OtpauthUriError(
      'malformed',
      'the otpauth URI contains a literal "#"; a "#" in an issuer or account name must be written %23',
    );
  }
  const rest = uri.slice(SCHEME.length);
  const queryStart = rest.indexOf('?');
  const path = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rest.slice(queryStart + 1);
  const slash = path.indexOf('/');
  const type = (slash === -1 ? path : path.slice(0, slash)).toLowerCase();
  if (type !== 'totp') {
    throw new OtpauthUriError(
      'unsupported_type',
      type === 'hotp'
        ? 'HOTP (counter-based) URIs are not supported, only "otpauth://totp/"'
        : 'the URI type must be "totp" ("otpauth://totp/…")',
    );
  }
  const label = slash === -1 ? '' : path.slice(slash + 1);
  if (label === '') throw new OtpauthUriError('missing_label', 'the otpauth URI has no label ("otpauth://totp/<issuer>:<account>")');

  let labelIssuer = '';
  let rawAccount = label;
  const colon = label.indexOf(':');
  const separator = colon !== -1 ? { at: colon, length: 1 } : encodedColon(label);
  if (separator !== null) {
    labelIssuer = decode(label.slice(0, separator.at), 'the label issuer');
    rawAccount = label.slice(separator.at + separator.length);
  }
  const accountName = decode(rawAccount, 'the account name').replace(/^ +/, '');
  if (accountName === '') throw new OtpauthUriError('missing_account_name', 'the otpauth URI label has no account name');

  const parameters = readQuery(query);
  const secretText = parameters.get('secret') ?? '';
  if (secretText === '') throw new OtpauthUriError('missing_secret', 'the otpauth URI has no "secret" parameter');
  const secret = asciiUpper(secretText).replace(/=+$/, '');
  if (!SECRET.test(secret)) {
    throw new OtpauthUriError('invalid_secret', 'the "secret" parameter is not base32 (A-Z, 2-7, optional trailing "=")');
  }

  const issuerParameter = parameters.get('issuer') ?? '';
  if (issuerParameter !== '' && labelIssuer !== '' && issuerParameter !== labelIssuer) {
    throw new OtpauthUriError('issuer_mismatch', 'the issuer in the label differs from the "issuer" parameter');
  }

  const algorithmText = parameters.get('algorithm');
  const algorithm = algorithmText === undefined ? DEFAULT_ALGORITHM : ALGORITHMS.find((name) => name === asciiUpper(algorithmText));
  if (algorithm === undefined) {
    throw new OtpauthUriError('unsupported_algorithm', `the "algorithm" parameter must be one of ${ALGORITHMS.join(', ')}`);
  }
  const digits = readInteger(parameters.get('digits'), DEFAULT_DIGITS);
  if (digits === null || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new OtpauthUriError('invalid_digits', `the "digits" parameter must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
  const periodSeconds = readInteger(parameters.get('period'), DEFAULT_PERIOD_SECONDS);
  if (periodSeconds === null || periodSeconds < 1) {
    throw new OtpauthUriError('invalid_period', 'the "period" parameter must be a positive integer number of seconds');
  }
  return {
    type: 'totp',
    issuer: issuerParameter !== '' ? issuerParameter : labelIssuer,
    accountName,
    secret,
    algorithm,
    digits,
    periodSeconds,
  };
}

function labelPart(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string of 1 to ${MAX_LABEL_PART_LENGTH} characters`);
  // The cheap bound first, so a huge string is refused before its code points are counted.
  if (value.length === 0 || value.length > 2 * MAX_LABEL_PART_LENGTH || codePointLength(value) > MAX_LABEL_PART_LENGTH) {
    throw new RangeError(`${name} must be 1 to ${MAX_LABEL_PART_LENGTH} characters long`);
  }
  if (!isWellFormedText(value)) throw new TypeError(`${name} must be well-formed Unicode text (it contains an unpaired surrogate)`);
  return value;
}

/**
 * Only RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) stay literal; every other UTF-8 octet is %XX.
 * RFC 3986 §2.2 says reserved characters are encoded unless the scheme gives them a meaning in that component, and
 * otpauth gives none, so `@` (e-mail addresses) and `( ) ! ' *`, which encodeURIComponent leaves alone, are encoded too.
 */
function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodedColon(label: string): { at: number; length: number } | null {
  const at = label.search(/%3A/i);
  return at === -1 ? null : { at, length: 3 };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    throw new OtpauthUriError('bad_percent_encoding', `${what} has invalid percent-encoding (not %XX escapes of UTF-8)`, { cause: error });
  }
}

/** A Map, not an object, so parameter names such as `__proto__` or `constructor` are only strings. */
function readQuery(query: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = asciiLower(decode(equals === -1 ? pair : pair.slice(0, equals), 'a parameter name'));
    const value = decode(equals === -1 ? '' : pair.slice(equals + 1), `the "${printable(name)}" parameter`);
    if (parameters.has(name)) {
      throw new OtpauthUriError('duplicate_parameter', `the "${printable(name)}" parameter appears more than once`);
    }
    parameters.set(name, value);
  }
  return parameters;
}

/** Up to 16 decimal digits (every safe integer fits); `null` for anything else, including signs, spaces and `1e3`. */
function readInteger(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** ASCII-only case folding: `toUpperCase()` would turn `ı` into `I` and `ſ` into `S`, accepting look-alikes. */
function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Parameter names are quoted in messages only when short and printable, so a hostile URI cannot flood a log line. */
function printable(name: string): string {
  return /^[\x20-\x7e]{1,32}$/.test(name) ? name : '…';
}
