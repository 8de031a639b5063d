// Attack pinned: someone with write access to the database copies a TOTP secret's ciphertext into another row
// (another registration, member or organization, or swaps the IDs) to make a secret they know authenticate as
// someone else; and someone with read access hopes the stored value, an error or a log line shows the secret or key.
// Hostile stored values and options must fail only as SecretBoxError (which the service answers as an internal error)
// or TypeError/RangeError; a crypto provider slipped in through a polluted prototype must never be used.

import { base32nopad, base64, base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from './keyring';
import { nobleCrypto } from './noble';
import { nodeCrypto } from './node';
import type { CryptoProvider } from './provider';
import { SecretBoxError, decryptSecret, encryptSecret, type EncryptedSecret, type SecretBinding } from './secret-box';
import { caught } from '../otp/hostile-input.testkit';

const KEY = hex.decode('5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7');
const KEYRING = createKeyring('encryption keys', [{ id: 'k1', key: KEY }], { exactBytes: 32 });
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
const crypto = nobleCrypto;
/** The options of a well-formed call for `binding` (default ROW), on `provider` (default nobleCrypto). */
const optionsFor =
  (provider: CryptoProvider) =>
  (binding: SecretBinding = ROW, keyring: Keyring = KEYRING) => ({ binding, keyring, crypto: provider });
const opts = optionsFor(crypto);
const ROW: SecretBinding = {
  organizationId: 'organization-test-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  memberId: 'member-test-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
  totpRegistrationId: 'member-totp-test-cccccccc-cccc-4ccc-8ccc-cccccccccccc',
};
const OTHER: SecretBinding = {
  organizationId: 'organization-test-dddddddd-dddd-4ddd-8ddd-dddddddddddd',
  memberId: 'member-test-eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee',
  totpRegistrationId: 'member-totp-test-ffffffff-ffff-4fff-8fff-ffffffffffff',
};

function expectSecretBoxError(action: () => unknown): SecretBoxError {
  const error = caught(action);
  expect(error, String(error)).toBeInstanceOf(SecretBoxError);
  return error as SecretBoxError;
}

describe.each(PROVIDERS)('a ciphertext copied to another row (%s)', (_name, provider) => {
  const opts = optionsFor(provider);
  const stolen = encryptSecret(new Uint8Array(20).fill(0x42), opts());

  it('does not decrypt for another registration, member or organization, or with IDs swapped', () => {
    const rows: SecretBinding[] = [
      { ...ROW, totpRegistrationId: OTHER.totpRegistrationId },
      { ...ROW, memberId: OTHER.memberId },
      { ...ROW, organizationId: OTHER.organizationId },
      OTHER,
      { organizationId: ROW.memberId, memberId: ROW.organizationId, totpRegistrationId: ROW.totpRegistrationId },
      { organizationId: ROW.organizationId, memberId: ROW.totpRegistrationId, totpRegistrationId: ROW.memberId },
      { ...ROW, memberId: ROW.memberId.toUpperCase() },
      { ...ROW, memberId: `${ROW.memberId} ` },
    ];
    for (const row of rows) expectSecretBoxError(() => decryptSecret(stolen, opts(row)));
    expect(decryptSecret(stolen, opts())).toEqual(new Uint8Array(20).fill(0x42));
  });

  it('does not decrypt when a lone surrogate is offered in place of U+FFFD (which TextEncoder would conflate)', () => {
    const binding = { ...ROW, memberId: 'member-\uFFFD' };
    const encrypted = encryptSecret(new Uint8Array(20), opts(binding));
    expect(caught(() => decryptSecret(encrypted, opts({ ...ROW, memberId: 'member-\uD800' })))).toBeInstanceOf(TypeError);
  });

  it('does not decrypt with a forged keyId pointing at an older key', () => {
    const rotated = createKeyring(
      'encryption keys',
      [
        { id: 'k2', key: new Uint8Array(32).fill(2) },
        { id: 'k1', key: KEY },
      ],
      { exactBytes: 32 },
    );
    const fresh = encryptSecret(new Uint8Array(20), opts(ROW, rotated));
    expectSecretBoxError(() => decryptSecret({ ...fresh, keyId: 'k1' }, opts(ROW, rotated)));
  });
});

describe('what is stored and what is thrown never shows the secret or the key', () => {
  it('the stored value contains the secret in no common encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (secret) => {
        const stored = JSON.stringify(encryptSecret(secret, opts()));
        for (const form of [
          hex.encode(secret),
          base64.encode(secret).replace(/=+$/, ''),
          base64urlnopad.encode(secret),
          base32nopad.encode(secret),
        ]) {
          expect(stored).not.toContain(form);
          expect(stored.toLowerCase()).not.toContain(form.toLowerCase().slice(0, 16));
        }
        expect(stored).not.toContain(hex.encode(KEY));
      }),
    );
  });

  it('error messages and causes never contain the key, the secret or the stored ciphertext body', () => {
    const secret = new Uint8Array(20).fill(0x5a);
    const stored = encryptSecret(secret, opts());
    const errors = [
      caught(() => decryptSecret(stored, opts(OTHER))),
      caught(() => decryptSecret({ ...stored, keyId: 'gone' }, opts())),
      caught(() => decryptSecret({ ...stored, ciphertext: `${stored.ciphertext}!` }, opts())),
    ];
    for (const error of errors) {
      const text = `${String(error)} ${String((error as Error).cause)} ${JSON.stringify(error)}`;
      for (const form of [hex.encode(KEY), base64.encode(KEY), hex.encode(secret), base32nopad.encode(secret), stored.ciphertext]) {
        expect(text).not.toContain(form);
      }
    }
  });
});

describe('hostile stored values and options', () => {
  const hostile: unknown[] = [
    undefined,
    null,
    Number.NaN,
    0,
    '',
    'k1',
    [],
    {},
    JSON.parse('{"__proto__": {"keyId": "k1", "ciphertext": "AAAA"}}'),
    { keyId: '__proto__', ciphertext: 'AAAA' },
    { keyId: 'constructor', ciphertext: 'AAAA' },
    { keyId: 'k1', ciphertext: 'A'.repeat(10_000_000) },
    { keyId: 'k'.repeat(10_000_000), ciphertext: 'AAAA' },
    { keyId: 'k1', ciphertext: Number.NaN },
    { keyId: 'k1', ciphertext: ['AAAA'] },
    { keyId: 1, ciphertext: 'AAAA' },
    { keyId: 'k1', ciphertext: '\uD800'.repeat(64) },
    { keyId: 'k1', ciphertext: '😀'.repeat(40) },
    Object.create({ keyId: 'k1', ciphertext: 'AAAA' }),
  ];

  it.each(PROVIDERS)('a malformed stored value is only ever a SecretBoxError (%s)', (_name, provider) => {
    for (const value of hostile) expectSecretBoxError(() => decryptSecret(value as EncryptedSecret, optionsFor(provider)()));
  });

  it.each(PROVIDERS)('any string as ciphertext is only ever a SecretBoxError (%s)', (_name, provider) => {
    const opts = optionsFor(provider);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('k1', 'k2'), (ciphertext, keyId) => {
        expectSecretBoxError(() => decryptSecret({ keyId, ciphertext }, opts()));
      }),
    );
  });

  it('hostile options are refused with TypeError or RangeError', () => {
    const secret = new Uint8Array(20);
    const stored = encryptSecret(secret, opts());
    const badOptions: unknown[] = [
      undefined,
      null,
      'options',
      {},
      { binding: ROW, crypto },
      { keyring: KEYRING, crypto },
      { binding: ROW, keyring: KEYRING },
      { binding: ROW, keyring: KEYRING, crypto: {} },
      { binding: ROW, keyring: KEYRING, crypto: 'node' },
      { binding: ROW, keyring: KEYRING, crypto: { ...nobleCrypto, aes256GcmOpen: undefined } },
      Object.assign(Object.create({ crypto }) as object, { binding: ROW, keyring: KEYRING }),
      { binding: ROW, keyring: { current: { id: 'k1', key: 'not bytes' }, get: () => undefined }, crypto },
      JSON.parse(`{"__proto__": {"binding": ${JSON.stringify(ROW)}}}`),
      { binding: { ...ROW, memberId: Number.NaN }, keyring: KEYRING, crypto },
      { binding: { ...ROW, memberId: { toString: () => ROW.memberId } }, keyring: KEYRING, crypto },
      { binding: Object.create(ROW), keyring: KEYRING, crypto },
      { binding: { ...ROW, organizationId: 'x'.repeat(1_000_000) }, keyring: KEYRING, crypto },
    ];
    for (const options of badOptions) {
      for (const action of [
        () => encryptSecret(secret, options as Parameters<typeof encryptSecret>[1]),
        () => decryptSecret(stored, options as Parameters<typeof decryptSecret>[1]),
      ]) {
        const error = caught(action);
        expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
      }
    }
    for (const value of [undefined, null, Number.NaN, 'secret', [1, 2, 3], new Uint16Array(10), new ArrayBuffer(20)]) {
      const error = caught(() => encryptSecret(value as unknown as Uint8Array, opts()));
      expect(error).toBeInstanceOf(TypeError);
    }
  });

  it('a crypto provider on a polluted Object.prototype is never used', () => {
    // A provider that records every key it is handed and seals nothing: were it read, keys would leak to it.
    const seen: Uint8Array[] = [];
    const spy: CryptoProvider = {
      ...nobleCrypto,
      aes256GcmSeal: (key) => (seen.push(key.slice()), new Uint8Array(16)),
      aes256GcmOpen: (key) => (seen.push(key.slice()), new Uint8Array(20)),
    };
    const stored = encryptSecret(new Uint8Array(20), opts());
    Object.defineProperty(Object.prototype, 'crypto', { value: spy, configurable: true, writable: true });
    try {
      for (const action of [
        () => encryptSecret(new Uint8Array(20), { binding: ROW, keyring: KEYRING } as ReturnType<typeof opts>),
        () => decryptSecret(stored, { binding: ROW, keyring: KEYRING } as ReturnType<typeof opts>),
      ]) {
        expect(caught(action)).toBeInstanceOf(TypeError);
      }
    } finally {
      delete (Object.prototype as { crypto?: unknown }).crypto;
    }
    expect(seen).toEqual([]);
  });
});
