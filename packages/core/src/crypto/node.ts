// The node:crypto CryptoProvider, shipped as `@totp/core/node` for Node hosts: the same bytes as `nobleCrypto`, through
// OpenSSL. The only module of @totp/core that imports a Node built-in; nothing else imports it.

import { createCipheriv, createDecipheriv, createHash, createHmac, randomFillSync } from 'node:crypto';
import { GCM_TAG_BYTES, type CryptoProvider } from './provider';

const NODE_HASH = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' } as const;

export const nodeCrypto: CryptoProvider = Object.freeze({
  // A digest is a Buffer of its own (not a slice of Node's shared pool), so it is handed over as it is.
  hmac: (hash: 'SHA-1' | 'SHA-256' | 'SHA-512', key: Uint8Array, message: Uint8Array) =>
    createHmac(NODE_HASH[hash], key).update(message).digest(),
  sha256: (message: Uint8Array) => createHash('sha256').update(message).digest(),
  aes256GcmSeal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    const tag = cipher.getAuthTag();
    const sealed = new Uint8Array(head.length + tail.length + tag.length);
    sealed.set(head, 0);
    sealed.set(tail, head.length);
    sealed.set(tag, head.length + tail.length);
    return sealed;
  },
  aes256GcmOpen: (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => {
    if (sealed.length < GCM_TAG_BYTES) throw new Error('aes-256-gcm: the sealed data is shorter than its tag');
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    const head = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES));
    try {
      const tail = decipher.final(); // throws when the tag does not verify
      const plaintext = new Uint8Array(head.length + tail.length);
      plaintext.set(head, 0);
      plaintext.set(tail, head.length);
      return plaintext;
    } finally {
      head.fill(0);
    }
  },
  randomBytes: (length: number) => randomFillSync(new Uint8Array(length)),
});
