// The TOTP secret at rest: encrypted under a server-side key and bound to the row it belongs to.
// AES-256-GCM (NIST SP 800-38D), 96-bit random nonce (§8.2.2), 128-bit tag, IDs as associated data; node:crypto when
// the runtime has it, else @noble/ciphers (internal/native-crypto.ts): the bytes are the same either way.

import { base64urlnopad } from '@scure/base';
import { TotpError } from './errors';
import { assertKeyring, assertOptionsObject, isBytes, ownOption } from './internal/argument-checks';
import { isWellFormedText, strictUtf8 } from './internal/encoding-utf8';
import { NONCE_BYTES, TAG_BYTES, aes256GcmDecrypt, aes256GcmEncrypt } from './internal/native-crypto';
import { KEY_ID_PATTERN, withCurrentKey, withKey, type Keyring } from './keyring';
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
  const aad = associatedData(ownOption(options, 'binding'));
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
  const aad = associatedData(ownOption(options, 'binding'));
  const keyring = ownOption(options, 'keyring');
  assertKeyring(keyring, 'keyring');

  const { keyId, ciphertext } = readStored(encrypted);
  const secret = withKey(keyring, keyId, (key) => {
    let stored: Uint8Array;
    try {
      stored = base64urlnopad.decode(ciphertext);
    } catch (error) {
      throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its ciphertext is not base64url', { cause: error });
    }
    if (stored.length <= NONCE_BYTES + TAG_BYTES) {
      throw new TotpError('internal_server_error', 'stored TOTP secret is malformed: its ciphertext is too short');
    }
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

/**
 * The associated data: a label, then each ID, every field as a 4-byte big-endian byte length followed by its
 * UTF-8 bytes. Length prefixes make the encoding injective, so ("ab", "c") and ("a", "bc") differ; the label
 * versions the layout. Built on every decrypt, so the IDs are encoded in place (`encodeInto`), not one array each.
 */
function associatedData(binding: unknown): Uint8Array {
  if (typeof binding !== 'object' || binding === null) {
    throw new TypeError('binding must be an object { organizationId, memberId, totpRegistrationId }');
  }
  const ids = [bindingId(binding, 'organizationId'), bindingId(binding, 'memberId'), bindingId(binding, 'totpRegistrationId')];
  // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair, 2 units, takes 4), so this always has room.
  const out = new Uint8Array(ids.reduce((total, id) => total + 4 + 3 * id.length, 4 + LABEL_BYTES.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, LABEL_BYTES.length, false);
  out.set(LABEL_BYTES, 4);
  let offset = 4 + LABEL_BYTES.length;
  for (const id of ids) {
    // The ID is well-formed (bindingId checked), so encodeInto writes exactly its one UTF-8 encoding.
    const { written } = encoder.encodeInto(id, out.subarray(offset + 4));
    view.setUint32(offset, written, false);
    offset += 4 + written;
  }
  return out.subarray(0, offset);
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
