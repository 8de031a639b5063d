// The TOTP secret at rest: encrypted under a server-side key and bound to the row it belongs to.
// AES-256-GCM (NIST SP 800-38D), 96-bit random nonce (§8.2.2), 128-bit tag, IDs as associated data; node:crypto when
// the runtime has it, else @noble/ciphers (internal/native-crypto.ts): the bytes are the same either way.

import { base64urlnopad } from '@scure/base';
import { TotpError } from './errors';
import { assertKeyring, assertOptionsObject, isBytes, ownOption } from './internal/argument-checks';
import { isWellFormedText, strictUtf8 } from './internal/encoding-utf8';
import { NONCE_BYTES, TAG_BYTES, aes256GcmDecrypt, aes256GcmEncrypt, base64urlToBytes } from './internal/native-crypto';
import { KEY_ID_PATTERN, isOwnKeyring, withCurrentKey, withKey, type Keyring } from './keyring';
import type { EncryptedSecret } from './model';
import { systemRandomBytes, type RandomBytes } from './runtime';

/** The row a secret belongs to. A ciphertext decrypts only with the binding it was encrypted with. */
export interface SecretBinding {
  organizationId: string;
  memberId: string;
  totpRegistrationId: string;
}

/** A TOTP secret is 16 to 128 bytes; far beyond that something else is being stored by mistake. */
const MAX_SECRET_BYTES = 1024;
const MAX_CIPHERTEXT_CHARS = Math.ceil(((NONCE_BYTES + MAX_SECRET_BYTES + TAG_BYTES) * 4) / 3);
/** IDs are short opaque strings (`member-totp-test-<uuid>`); the cap keeps the associated data small. */
const MAX_ID_LENGTH = 1024;
/**
 * Versions the associated-data layout and separates it from any other use of the same key. Changing it makes
 * every stored secret undecryptable, so a new layout needs a new label and both must be readable.
 */
const AAD_LABEL = 'totp-core/secret-box/v1';

/**
 * Encrypts a TOTP secret for storage under `keyring.current`.
 * @returns `{ keyId, ciphertext }`, the ciphertext being base64url without padding of nonce ‖ ciphertext ‖ tag.
 * @throws TypeError when `secret` is not a Uint8Array, the binding's IDs are not non-empty well-formed strings,
 *   `keyring` is not a Keyring, or `randomBytes` does not return 12 bytes; RangeError when `secret` is not
 *   1 to 1024 bytes or an ID is longer than 1024 characters.
 */
export function encryptSecret(
  secret: Uint8Array,
  options: { binding: SecretBinding; keyring: Keyring; randomBytes?: RandomBytes },
): EncryptedSecret {
  if (!isBytes(secret)) throw new TypeError(`secret must be a Uint8Array of 1 to ${MAX_SECRET_BYTES} bytes`);
  if (secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    throw new RangeError(`secret must be 1 to ${MAX_SECRET_BYTES} bytes long, got ${secret.length}`);
  }
  assertOptionsObject(options);
  const aad = associatedData(checkedBinding(ownOption(options, 'binding')));
  const keyring = ownOption(options, 'keyring');
  assertKeyring(keyring, 'keyring');
  const randomBytes = ownOption(options, 'randomBytes') ?? systemRandomBytes;
  if (typeof randomBytes !== 'function') throw new TypeError('randomBytes must be a function (length) => Uint8Array');
  const nonce = randomBytes(NONCE_BYTES);
  // A short or non-byte nonce from an injected source would break GCM's uniqueness assumption silently.
  if (!isBytes(nonce) || nonce.length !== NONCE_BYTES) {
    throw new TypeError(`randomBytes must return a Uint8Array of exactly the requested length (${NONCE_BYTES})`);
  }
  return withCurrentKey(keyring, (key, keyId) => {
    if (key.length !== 32) throw new TypeError('keyring must hold AES-256 keys of 32 bytes (createKeyring with { exactBytes: 32 })');
    const sealed = aes256GcmEncrypt(secret, { key, nonce, aad });
    const stored = new Uint8Array(NONCE_BYTES + sealed.length);
    stored.set(nonce, 0);
    stored.set(sealed, NONCE_BYTES);
    return { keyId, ciphertext: base64urlnopad.encode(stored) };
  });
}

/**
 * Decrypts a stored TOTP secret and checks that it belongs to `binding`.
 * @throws TypeError/RangeError for a malformed binding or keyring (programmer misuse, as in encryptSecret);
 *   TotpError('internal_server_error') when the stored value is malformed, its key ID is not in the keyring, or
 *   authentication fails (wrong key, tampering, or a ciphertext copied from another registration, member or
 *   organization). Either the stored data or the server's keys are wrong; the caller cannot fix it.
 */
export function decryptSecret(
  encrypted: EncryptedSecret,
  options: { binding: SecretBinding; keyring: Keyring },
): Uint8Array {
  assertOptionsObject(options);
  const binding = checkedBinding(ownOption(options, 'binding'));
  const keyring = ownOption(options, 'keyring');
  // Every authenticate decrypts: a ring from createKeyring skips the shape check, which would copy its current key.
  if (!isOwnKeyring(keyring)) assertKeyring(keyring, 'keyring');

  const { keyId, ciphertext } = readStored(encrypted);
  const secret = withKey(keyring, keyId, (key) => {
    let stored: Uint8Array;
    try {
      stored = base64urlToBytes(ciphertext);
    } catch (error) {
      throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its ciphertext is not base64url', { cause: error });
    }
    if (stored.length <= NONCE_BYTES + TAG_BYTES) {
      throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its ciphertext is too short');
    }
    // In the buffer every decrypt shares, written just before the decryption reads it: no other code runs in between.
    const aad = associatedData(binding, true);
    try {
      return aes256GcmDecrypt(stored.subarray(NONCE_BYTES), { key, nonce: stored.subarray(0, NONCE_BYTES), aad });
    } catch (error) {
      throw new TotpError(
        'internal_server_error',
        'stored TOTP secret failed authentication: wrong key, altered ciphertext, or a ciphertext that belongs to another registration',
        { cause: error },
      );
    }
  });
  if (secret === undefined) {
    throw new TotpError('internal_server_error', `stored TOTP secret is encrypted under key '${keyId}', which is not in the ${keyring.purpose}`);
  }
  return secret;
}

function readStored(encrypted: unknown): { keyId: string; ciphertext: string } {
  if (typeof encrypted !== 'object' || encrypted === null) {
    throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: expected { keyId, ciphertext }');
  }
  const keyId = ownOption(encrypted as EncryptedSecret, 'keyId');
  const ciphertext = ownOption(encrypted as EncryptedSecret, 'ciphertext');
  // The key ID is quoted in messages only once it is known to be a short, printable ID.
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its keyId is not a valid key ID');
  }
  if (typeof ciphertext !== 'string' || ciphertext.length > MAX_CIPHERTEXT_CHARS) {
    throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its ciphertext is not a string of the expected size');
  }
  return { keyId, ciphertext };
}

/** The label's bytes, a constant; each call encodes only the three IDs. */
const LABEL_BYTES = strictUtf8(AAD_LABEL, 'label');
const encoder = new TextEncoder();

/** A binding whose IDs are checked (bindingId), read once. */
interface CheckedBinding {
  readonly organizationId: string;
  readonly memberId: string;
  readonly totpRegistrationId: string;
}

function checkedBinding(binding: unknown): CheckedBinding {
  if (typeof binding !== 'object' || binding === null) {
    throw new TypeError('binding must be an object { organizationId, memberId, totpRegistrationId }');
  }
  return {
    organizationId: bindingId(binding, 'organizationId'),
    memberId: bindingId(binding, 'memberId'),
    totpRegistrationId: bindingId(binding, 'totpRegistrationId'),
  };
}

/**
 * decryptSecret's associated data is written here rather than into a new array: an array past 64 bytes is allocated
 * outside the JavaScript heap, which cost about as much as the rest of the associated data (~1.5 µs per decrypt).
 */
let sharedAad = new Uint8Array(256);

/**
 * The associated data: a label, then each ID, every field as a 4-byte big-endian byte length followed by its
 * UTF-8 bytes. Length prefixes make the encoding injective, so ("ab", "c") and ("a", "bc") differ; the label
 * versions the layout. Built on every decrypt, so the IDs are written in place, into an array of the exact size or,
 * with `shared`, a view of `sharedAad` that is valid until the next such call: the caller must use it before running
 * any code that could make one.
 */
function associatedData(binding: CheckedBinding, shared = false): Uint8Array {
  const { organizationId, memberId, totpRegistrationId } = binding;
  const organizationBytes = utf8Length(organizationId);
  const memberBytes = utf8Length(memberId);
  const registrationBytes = utf8Length(totpRegistrationId);
  const length = 4 + LABEL_BYTES.length + 12 + organizationBytes + memberBytes + registrationBytes;
  let out: Uint8Array;
  if (shared) {
    if (sharedAad.length < length) sharedAad = new Uint8Array(length);
    out = sharedAad.subarray(0, length);
  } else {
    out = new Uint8Array(length);
  }
  writeUint32(out, 0, LABEL_BYTES.length);
  out.set(LABEL_BYTES, 4);
  let offset = 4 + LABEL_BYTES.length;
  offset = writeField(out, offset, organizationId, organizationBytes);
  offset = writeField(out, offset, memberId, memberBytes);
  writeField(out, offset, totpRegistrationId, registrationBytes);
  return out;
}

/** The UTF-8 length of well-formed text (bindingId checked): 1 to 3 bytes per UTF-16 unit, 4 per surrogate pair. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) bytes += unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = value >>> 16;
  out[offset + 2] = value >>> 8;
  out[offset + 3] = value;
}

/** Writes `text` (of `length` UTF-8 bytes) as a field, length then bytes, at `offset`; returns the offset after it. */
function writeField(out: Uint8Array, offset: number, text: string, length: number): number {
  writeUint32(out, offset, length);
  const start = offset + 4;
  if (length === text.length) {
    // ASCII (IDs always are): one byte per unit.
    for (let i = 0; i < length; i++) out[start + i] = text.charCodeAt(i);
  } else {
    // The text is well-formed, so encodeInto writes exactly its one UTF-8 encoding, of `length` bytes.
    encoder.encodeInto(text, out.subarray(start, start + length));
  }
  return start + length;
}

/** The ID, checked: a non-empty string of at most 1024 characters with no unpaired surrogate. */
function bindingId(binding: object, name: keyof SecretBinding): string {
  const value = ownOption(binding as SecretBinding, name);
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`binding.${name} must be a non-empty string`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new RangeError(`binding.${name} must be at most ${MAX_ID_LENGTH} characters long, got ${value.length}`);
  }
  // TextEncoder would write a lone surrogate as U+FFFD, making '\uD800' and '\uFFFD' the same binding.
  if (!isWellFormedText(value)) {
    throw new TypeError(`binding.${name} must be well-formed Unicode text (it contains an unpaired surrogate)`);
  }
  return value;
}
