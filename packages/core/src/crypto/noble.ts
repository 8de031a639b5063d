// The pure-JavaScript CryptoProvider: @noble/hashes (HMAC, SHA-1/256/512) and @noble/ciphers (AES-256-GCM), with
// Web Crypto's getRandomValues for randomness. Runs in Node, browsers, workers and edge runtimes alike.

import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nobleHmac } from '../otp/totp';
import { defaultRandomBytes } from '../otp/random';
import type { CryptoProvider } from './provider';

export const nobleCrypto: CryptoProvider = Object.freeze({
  hmac: nobleHmac,
  sha256: (message: Uint8Array) => sha256(message),
  aes256GcmSeal: (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) => gcm(key, nonce, aad).encrypt(plaintext),
  aes256GcmOpen: (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => gcm(key, nonce, aad).decrypt(sealed),
  randomBytes: defaultRandomBytes,
});
