// The hot paths' primitives on the host's native crypto where there is one, and on @noble/@scure everywhere else:
// AES-256-GCM (NIST SP 800-38D), HMAC-SHA-256 (RFC 2104, FIPS 198-1), SHA-256 (FIPS 180-4), base64url (RFC 4648 §5).
//
// Why: per request the pure-JS implementations cost ~30 µs for a GCM decrypt (key expansion and GHASH tables are
// rebuilt per call), ~15 µs for an HMAC over a session JWT and ~18 µs to base64url its payload; OpenSSL does each in
// 1 to 4 µs. WebCrypto is no substitute: it is async and every call is a job costing tens of µs.
//
// How, without giving up other runtimes: node:crypto is reached through `process.getBuiltinModule` (Node >= 20.16 and
// 22.3, and runtimes that mimic it), a plain synchronous function call. There is no static `import 'node:crypto'`, so
// bundlers for browsers and edge runtimes see nothing Node-only, and where the function is missing the noble path
// runs. Before the native path is trusted it must give the same bytes as the noble path on a fixed sample of every
// operation (a runtime whose node:crypto lacks a cipher, or gets one wrong, keeps the noble path).

import { gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';

export interface GcmParameters {
  /** 32 bytes (AES-256). */
  key: Uint8Array;
  /** 12 bytes (SP 800-38D §8.2.2's 96-bit IV). */
  nonce: Uint8Array;
  /** Associated data: authenticated, not encrypted. May be empty. */
  aad: Uint8Array;
}

const KEY_BYTES = 32;
/** SP 800-38D §8.2.2: 96-bit nonces, the only length GCM handles without an extra GHASH. */
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

// --- the subset of Node's API used here, declared structurally: no Node module or type is imported -------------

/** A Node Buffer: a Uint8Array, often a view into a larger (possibly pooled) ArrayBuffer. */
interface NodeBuffer extends Uint8Array {
  toString(encoding?: 'base64url'): string;
}
interface NodeCipher {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): NodeBuffer;
  final(): NodeBuffer;
  getAuthTag(): NodeBuffer;
}
interface NodeDecipher {
  setAAD(aad: Uint8Array): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): NodeBuffer;
  final(): NodeBuffer;
}
interface NodeHmac {
  update(data: Uint8Array): NodeHmac;
  update(data: string, encoding: 'utf8'): NodeHmac;
  digest(): NodeBuffer;
  digest(encoding: 'base64url' | 'hex'): string;
}
interface NodeHash {
  update(data: string, encoding: 'utf8'): NodeHash;
  digest(encoding: 'hex'): string;
}
interface NodeCrypto {
  createCipheriv(algorithm: 'aes-256-gcm', key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeCipher;
  createDecipheriv(algorithm: 'aes-256-gcm', key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeDecipher;
  createHmac(algorithm: 'sha256', key: Uint8Array): NodeHmac;
  createHash(algorithm: 'sha256'): NodeHash;
  /** One-shot digest, Node >= 20.12 / 21.7: about five times cheaper than createHash for a short input. */
  hash?: (algorithm: 'sha256', data: string, outputEncoding: 'hex') => string;
}
interface NodeBufferConstructor {
  from(text: string, encoding: 'utf8' | 'base64url'): NodeBuffer;
}
interface Native {
  crypto: NodeCrypto;
  Buffer: NodeBufferConstructor;
}

// --- choosing the implementation, once ---------------------------------------------------------------------------

/** undefined: not looked up yet; null: none usable here. */
let native: Native | null | undefined;
let forceFallback = false;

function nativeOrNull(): Native | null {
  if (forceFallback) return null;
  if (native === undefined) native = loadNative();
  return native;
}

function loadNative(): Native | null {
  try {
    const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const getBuiltinModule = host?.getBuiltinModule;
    if (typeof getBuiltinModule !== 'function') return null;
    const crypto = getBuiltinModule.call(host, 'node:crypto') as Partial<NodeCrypto> | undefined;
    const buffer = getBuiltinModule.call(host, 'node:buffer') as { Buffer?: Partial<NodeBufferConstructor> } | undefined;
    if (
      typeof crypto?.createCipheriv !== 'function' ||
      typeof crypto.createDecipheriv !== 'function' ||
      typeof crypto.createHmac !== 'function' ||
      typeof crypto.createHash !== 'function' ||
      typeof buffer?.Buffer?.from !== 'function'
    ) {
      return null;
    }
    const candidate: Native = { crypto: crypto as NodeCrypto, Buffer: buffer.Buffer as NodeBufferConstructor };
    return agreesWithFallback(candidate) ? candidate : null;
  } catch {
    return null;
  }
}

/**
 * Runs every operation once on both implementations and compares: stored secrets must decrypt whichever path wrote
 * them, so a native path that differs in any byte, or that accepts a forged tag, is not used. The sample covers a key longer than the HMAC block
 * (RFC 2104 §2 hashes it first), non-ASCII text, and a GCM plaintext longer than one block with associated data.
 */
function agreesWithFallback(candidate: Native): boolean {
  const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
  const text = 'totp-core ✓ self-check \u{1F511}';
  const parameters: GcmParameters = { key: bytes(KEY_BYTES, 1), nonce: bytes(NONCE_BYTES, 2), aad: bytes(37, 3) };
  const plaintext = bytes(41, 4);
  const sealedNative = nativeGcmEncrypt(candidate.crypto, plaintext, parameters);
  const sealedFallback = gcm(parameters.key, parameters.nonce, parameters.aad).encrypt(plaintext);
  const opened = nativeGcmDecrypt(candidate.crypto, sealedFallback, parameters);
  const forged = sealedFallback.slice();
  forged[forged.length - 1]! ^= 1;
  let refusesForgery = false;
  try {
    nativeGcmDecrypt(candidate.crypto, forged, parameters);
  } catch {
    refusesForgery = true;
  }
  const longKey = bytes(100, 5);
  return (
    bytesToHex(sealedNative) === bytesToHex(sealedFallback) &&
    bytesToHex(opened) === bytesToHex(plaintext) &&
    refusesForgery &&
    bytesToHex(nativeHmac(candidate.crypto, longKey, text)) === bytesToHex(hmac(sha256, longKey, utf8ToBytes(text))) &&
    candidate.crypto.createHmac('sha256', longKey).update(text, 'utf8').digest('base64url') ===
      base64urlnopad.encode(hmac(sha256, longKey, utf8ToBytes(text))) &&
    candidate.crypto.createHmac('sha256', longKey).update(text, 'utf8').digest('hex') ===
      bytesToHex(hmac(sha256, longKey, utf8ToBytes(text))) &&
    nativeSha256Hex(candidate.crypto, text) === bytesToHex(sha256(utf8ToBytes(text))) &&
    candidate.Buffer.from(text, 'utf8').toString('base64url') === base64urlnopad.encode(utf8ToBytes(text)) &&
    bytesToHex(candidate.Buffer.from(base64urlnopad.encode(sealedFallback), 'base64url')) === bytesToHex(sealedFallback)
  );
}

/** True when the native (node:crypto) implementation is in use, false when the noble fallback is. */
export function usesNativeCrypto(): boolean {
  return nativeOrNull() !== null;
}

/**
 * For tests only: `true` makes every function here take the noble/scure path, as on a runtime without
 * `process.getBuiltinModule`; `false` restores the automatic choice.
 */
export function forceFallbackCryptoForTesting(force: boolean): void {
  forceFallback = force;
}

// --- the operations ----------------------------------------------------------------------------------------------

/**
 * AES-256-GCM encryption. Returns a new plain Uint8Array of ciphertext ‖ 16-byte tag (the layout noble produces).
 * @throws RangeError when the key is not 32 bytes or the nonce not 12.
 */
export function aes256GcmEncrypt(plaintext: Uint8Array, parameters: GcmParameters): Uint8Array {
  checkGcm(parameters);
  const n = nativeOrNull();
  return n === null
    ? gcm(parameters.key, parameters.nonce, parameters.aad).encrypt(plaintext)
    : nativeGcmEncrypt(n.crypto, plaintext, parameters);
}

/**
 * AES-256-GCM decryption of ciphertext ‖ 16-byte tag. Returns a new plain Uint8Array the caller owns (and should
 * wipe when done).
 * @throws RangeError when the key is not 32 bytes, the nonce not 12, or `sealed` is shorter than a tag;
 *   Error('AES-GCM authentication failed') when the tag does not match (wrong key, nonce or AAD, or altered bytes).
 */
export function aes256GcmDecrypt(sealed: Uint8Array, parameters: GcmParameters): Uint8Array {
  checkGcm(parameters);
  if (sealed.length < TAG_BYTES) throw new RangeError(`sealed must be at least ${TAG_BYTES} bytes (the tag), got ${sealed.length}`);
  const n = nativeOrNull();
  try {
    return n === null
      ? gcm(parameters.key, parameters.nonce, parameters.aad).decrypt(sealed)
      : nativeGcmDecrypt(n.crypto, sealed, parameters);
  } catch (error) {
    // One error whichever implementation ran; the two word it differently.
    throw new Error('AES-GCM authentication failed', { cause: error });
  }
}

/** HMAC-SHA-256 of `message` (a string is taken as its UTF-8 bytes). Returns a new plain 32-byte Uint8Array. */
export function hmacSha256(key: Uint8Array, message: Uint8Array | string): Uint8Array {
  const n = nativeOrNull();
  if (n === null) return hmac(sha256, key, typeof message === 'string' ? utf8ToBytes(message) : message);
  return nativeHmac(n.crypto, key, message);
}

/**
 * base64url without padding of HMAC-SHA-256(key, UTF-8 bytes of `message` ‖ UTF-8 bytes of `rest`): a JWS signature
 * (RFC 7515 §5.1). Node encodes the digest natively, where hmacSha256 copies it out of its Buffer and @scure/base
 * encodes it in JavaScript. A message in two parts is hashed part by part: node:crypto flattens a concatenated string
 * into a new copy to read it, a copy as long as a session JWT. `message` must not end inside a surrogate pair.
 */
export function hmacSha256Base64url(key: Uint8Array, message: string, rest = ''): string {
  const n = nativeOrNull();
  if (n === null) return base64urlnopad.encode(hmac(sha256, key, utf8ToBytes(message + rest)));
  const mac = n.crypto.createHmac('sha256', key).update(message, 'utf8');
  if (rest !== '') mac.update(rest, 'utf8');
  return mac.digest('base64url');
}

/**
 * Lower-case hex HMAC-SHA-256 of the UTF-8 bytes of `message`: a recovery code's stored hash. Node writes the hex
 * natively, as one flat string.
 */
export function hmacSha256Hex(key: Uint8Array, message: string): string {
  const n = nativeOrNull();
  if (n === null) return flatHex(hmac(sha256, key, utf8ToBytes(message)));
  return n.crypto.createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256HexOfUtf8(text: string): string {
  const n = nativeOrNull();
  return n === null ? flatHex(sha256(utf8ToBytes(text))) : nativeSha256Hex(n.crypto, text);
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lower-case hex of `bytes` as one flat string. `bytesToHex` (@noble/hashes) appends two digits at a time, and in V8
 * each `+=` leaves a node of a rope: a 64-digit hash kept that way (recovery code hashes in @totp/memory) held 26
 * nodes, about 830 bytes for 64 characters, and every major GC walked them.
 */
export function flatHex(bytes: Uint8Array): string {
  const digits = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) digits[i] = HEX_DIGITS[bytes[i] as number] as string;
  return digits.join('');
}

/** base64url without padding (RFC 4648 §5, as JWS uses it) of the UTF-8 bytes of `text`. */
export function base64urlOfUtf8(text: string): string {
  const n = nativeOrNull();
  return n === null ? base64urlnopad.encode(utf8ToBytes(text)) : n.Buffer.from(text, 'utf8').toString('base64url');
}

/** Canonical unpadded base64url digits: the alphabet, and not one digit more than the bytes need (see below). */
const BASE64URL_DIGITS = /^[A-Za-z0-9_-]*$/;

/**
 * The bytes of unpadded base64url text (RFC 4648 §5), strictly: exactly what @scure/base's `base64urlnopad.decode`
 * accepts and returns, with its errors. Node's decoder is lenient (it skips foreign characters and ignores stray
 * bits), so it gets only text already known to be canonical; any other text goes to @scure/base, which refuses it.
 * The result may be a view into a shared pool: read it, do not keep or wipe it.
 */
export function base64urlToBytes(text: string): Uint8Array {
  const n = nativeOrNull();
  if (n === null || !isCanonicalBase64url(text)) return base64urlnopad.decode(text);
  const decoded = n.Buffer.from(text, 'base64url');
  // A plain Uint8Array view: a Buffer's subarray goes through its species constructor, several times slower.
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
}

function isCanonicalBase64url(text: string): boolean {
  if (typeof text !== 'string' || text.length % 4 === 1 || !BASE64URL_DIGITS.test(text)) return false;
  // After 2 or 3 digits of a group (8 or 16 bits), the last digit's low 4 or 2 bits are padding and must be zero.
  const unused = text.length % 4 === 2 ? 0x0f : text.length % 4 === 3 ? 0x03 : 0;
  return unused === 0 || (base64urlDigit(text.charCodeAt(text.length - 1)) & unused) === 0;
}

function base64urlDigit(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41; // A-Z
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 26; // a-z
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 52; // 0-9
  return code === 0x2d ? 62 : 63; // '-', '_' (the pattern admits nothing else)
}

// --- node:crypto, with every result copied out of its Buffer ----------------------------------------------------

function checkGcm({ key, nonce }: GcmParameters): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM key must be ${KEY_BYTES} bytes, got ${key.length}`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`AES-256-GCM nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
}

function nativeGcmEncrypt(crypto: NodeCrypto, plaintext: Uint8Array, { key, nonce, aad }: GcmParameters): Uint8Array {
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const rest = cipher.final(); // empty for GCM, a stream mode; kept for completeness
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(body.length + rest.length + tag.length);
  out.set(body, 0);
  out.set(rest, body.length);
  out.set(tag, body.length + rest.length);
  return out;
}

function nativeGcmDecrypt(crypto: NodeCrypto, sealed: Uint8Array, { key, nonce, aad }: GcmParameters): Uint8Array {
  const bodyLength = sealed.length - TAG_BYTES;
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(bodyLength));
  const body = decipher.update(sealed.subarray(0, bodyLength));
  // A plain Uint8Array of its own: a Buffer may share its ArrayBuffer, and callers wipe what they are given.
  const out = new Uint8Array(body);
  body.fill(0);
  try {
    // Checks the tag; the plaintext computed before it must not survive a failure.
    const rest = decipher.final();
    if (rest.length !== 0) throw new Error('AES-GCM: unexpected trailing output');
  } catch (error) {
    out.fill(0);
    throw error;
  }
  return out;
}

function nativeHmac(crypto: NodeCrypto, key: Uint8Array, message: Uint8Array | string): Uint8Array {
  const mac = crypto.createHmac('sha256', key);
  if (typeof message === 'string') mac.update(message, 'utf8');
  else mac.update(message);
  return new Uint8Array(mac.digest());
}

function nativeSha256Hex(crypto: NodeCrypto, text: string): string {
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', text, 'hex')
    : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}
