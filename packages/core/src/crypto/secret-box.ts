// The TOTP secret at rest: encrypted under a server-side key and bound to the row it belongs to.
// AES-256-GCM (NIST SP 800-38D) through the crypto provider, 96-bit random nonce (§8.2.2), 128-bit tag, IDs as AAD.

import { base64urlnopad } from '@scure/base';
import { assertOptionsObject, isBytes, ownOption } from '../otp/internal/arguments';
import { isWellFormedText, strictUtf8 } from '../otp/internal/text';
import { KEY_ID_PATTERN, assertKeyring, keyCopy, type Keyring } from './keyring';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, isCryptoProvider, type CryptoProvider } from './provider';

/** The TOTP secret as a store keeps it: AES-256-GCM ciphertext, never the secret itself. */
export interface EncryptedSecret {
  /** The encryption key's ID, so keys can be rotated. */
  keyId: string;
  /** base64url(nonce ‖ ciphertext ‖ tag), unpadded. */
  ciphertext: string;
}

/** The row a secret belongs to. A ciphertext decrypts only with the binding it was encrypted with. */
export interface SecretBinding {
  organizationId: string;
  memberId: string;
  totpRegistrationId: string;
}

/**
 * A stored secret that cannot be decrypted: malformed, under an unknown key, or failing authentication (wrong key,
 * tampering, or a ciphertext copied from another registration). The data or the server's keys are wrong; a caller
 * cannot fix it, so the service answers it as an internal error.
 */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** A TOTP secret is 16 to 128 bytes; far beyond that something else is being stored by mistake. */
const MAX_SECRET_BYTES = 1024;
const MAX_CIPHERTEXT_CHARS = Math.ceil(((GCM_NONCE_BYTES + MAX_SECRET_BYTES + GCM_TAG_BYTES) * 4) / 3);
/** IDs are short opaque strings (`member-totp-test-<uuid>`); the cap keeps the associated data small. */
const MAX_ID_LENGTH = 1024;
/**
 * Versions the associated-data layout and separates it from any other use of the same key. Changing it makes
 * every stored secret undecryptable, so a new layout needs a new label and both must be readable.
 */
const AAD_LABEL = 'totp-core/secret-box/v1';

/**
 * Encrypts a TOTP secret for storage under `keyring.current`, with a fresh nonce from `crypto.randomBytes`.
 * @throws TypeError when `secret` is not a Uint8Array, the binding's IDs are not non-empty well-formed strings,
 *   `keyring` is not a Keyring, or the random source does not return 12 bytes; RangeError when `secret` is not
 *   1 to 1024 bytes, an ID is longer than 1024 characters, or the current key is not 32 bytes.
 */
export function encryptSecret(
  secret: Uint8Array,
  options: { binding: SecretBinding; keyring: Keyring; crypto: CryptoProvider },
): EncryptedSecret {
  if (!isBytes(secret)) throw new TypeError(`secret must be a Uint8Array of 1 to ${MAX_SECRET_BYTES} bytes`);
  if (secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    throw new RangeError(`secret must be 1 to ${MAX_SECRET_BYTES} bytes long, got ${secret.length}`);
  }
  assertOptionsObject(options);
  const aad = associatedData(ownOption(options, 'binding'));
  const keyring = ownOption(options, 'keyring');
  assertKeyring(keyring, 'keyring');
  const crypto = readProvider(options);
  const nonce = crypto.randomBytes(GCM_NONCE_BYTES);
  // A short or non-byte nonce from an injected source would break GCM's uniqueness assumption silently.
  if (!isBytes(nonce) || nonce.length !== GCM_NONCE_BYTES) {
    throw new TypeError(`the crypto provider's randomBytes must return exactly the requested length (${GCM_NONCE_BYTES})`);
  }
  const { id: keyId, key } = keyCopy(keyring)!;
  try {
    if (key.length !== 32) throw new RangeError('keyring must hold AES-256 keys of 32 bytes (createKeyring with { exactBytes: 32 })');
    const sealed = crypto.aes256GcmSeal(key, nonce, secret, aad);
    const stored = new Uint8Array(GCM_NONCE_BYTES + sealed.length);
    stored.set(nonce, 0);
    stored.set(sealed, GCM_NONCE_BYTES);
    return { keyId, ciphertext: base64urlnopad.encode(stored) };
  } finally {
    key.fill(0);
  }
}

/**
 * Decrypts a stored TOTP secret and checks that it belongs to `binding`.
 * @throws TypeError/RangeError for a malformed binding or keyring (programmer misuse, as in encryptSecret);
 *   SecretBoxError when the stored value is malformed, its key ID is not in the keyring, or authentication fails.
 */
export function decryptSecret(
  encrypted: EncryptedSecret,
  options: { binding: SecretBinding; keyring: Keyring; crypto: CryptoProvider },
): Uint8Array {
  assertOptionsObject(options);
  const aad = associatedData(ownOption(options, 'binding'));
  const keyring = ownOption(options, 'keyring');
  assertKeyring(keyring, 'keyring');
  const crypto = readProvider(options);
  const { keyId, ciphertext } = readStored(encrypted);
  let stored: Uint8Array;
  try {
    stored = base64urlnopad.decode(ciphertext);
  } catch (error) {
    throw new SecretBoxError('stored TOTP secret is malformed: its ciphertext is not base64url', { cause: error });
  }
  if (stored.length <= GCM_NONCE_BYTES + GCM_TAG_BYTES) {
    throw new SecretBoxError('stored TOTP secret is malformed: its ciphertext is too short');
  }
  const key = keyCopy(keyring, keyId)?.key;
  if (key === undefined) {
    throw new SecretBoxError(`stored TOTP secret is encrypted under key '${keyId}', which is not in the ${keyring.purpose}`);
  }
  try {
    return crypto.aes256GcmOpen(key, stored.subarray(0, GCM_NONCE_BYTES), stored.subarray(GCM_NONCE_BYTES), aad);
  } catch (error) {
    throw new SecretBoxError(
      'stored TOTP secret failed authentication: wrong key, altered ciphertext, or a ciphertext that belongs to another registration',
      { cause: error },
    );
  } finally {
    key.fill(0);
  }
}

function readProvider(options: { crypto: CryptoProvider }): CryptoProvider {
  const crypto = ownOption(options, 'crypto');
  if (!isCryptoProvider(crypto)) throw new TypeError('crypto must be a CryptoProvider (nobleCrypto, nodeCrypto or your own)');
  return crypto;
}

function readStored(encrypted: unknown): { keyId: string; ciphertext: string } {
  if (typeof encrypted !== 'object' || encrypted === null) {
    throw new SecretBoxError('stored TOTP secret is malformed: expected { keyId, ciphertext }');
  }
  const keyId = ownOption(encrypted as EncryptedSecret, 'keyId');
  const ciphertext = ownOption(encrypted as EncryptedSecret, 'ciphertext');
  // The key ID is quoted in messages only once it is known to be a short, printable ID.
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw new SecretBoxError('stored TOTP secret is malformed: its keyId is not a valid key ID');
  }
  if (typeof ciphertext !== 'string' || ciphertext.length > MAX_CIPHERTEXT_CHARS) {
    throw new SecretBoxError('stored TOTP secret is malformed: its ciphertext is not a string of the expected size');
  }
  return { keyId, ciphertext };
}

/**
 * The associated data: the label, then each ID, every field as a 4-byte big-endian byte length followed by its UTF-8
 * bytes. Length prefixes make the encoding injective, so ("ab", "c") and ("a", "bc") differ; the label versions the
 * layout.
 */
function associatedData(binding: unknown): Uint8Array {
  if (typeof binding !== 'object' || binding === null) {
    throw new TypeError('binding must be an object { organizationId, memberId, totpRegistrationId }');
  }
  const fields = [
    strictUtf8(AAD_LABEL, 'label'),
    bindingId(binding, 'organizationId'),
    bindingId(binding, 'memberId'),
    bindingId(binding, 'totpRegistrationId'),
  ];
  const out = new Uint8Array(fields.reduce((length, field) => length + 4 + field.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const field of fields) {
    view.setUint32(offset, field.length);
    out.set(field, offset + 4);
    offset += 4 + field.length;
  }
  return out;
}

/** The ID's UTF-8 bytes, checked: a non-empty string of at most 1024 characters with no unpaired surrogate. */
function bindingId(binding: object, name: keyof SecretBinding): Uint8Array {
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
  return strictUtf8(value, `binding.${name}`);
}
