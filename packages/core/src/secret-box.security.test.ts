// Attack pinned: someone with write access to the database copies a TOTP secret's ciphertext into another row
// (another registration, member or organization, or swaps the IDs) to make a secret they know authenticate as
// someone else; and someone with read access hopes the stored value, an error or a log line shows the secret or key.
// Hostile stored values and options must fail only as TotpError('internal_server_error') or TypeError/RangeError.

import { base32nopad, base64, base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TotpError } from './errors';
import { createKeyring } from './keyring';
import type { EncryptedSecret } from './model';
import { decryptSecret, encryptSecret, type SecretBinding } from './secret-box';

const KEY = hex.decode('5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7');
const KEYRING = createKeyring('encryption keys', [{ id: 'k1', key: KEY }], { exactBytes: 32 });
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

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectInternal(action: () => unknown): TotpError {
  const error = caught(action);
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('internal_server_error');
  return error as TotpError;
}

describe('a ciphertext copied to another row', () => {
  const stolen = encryptSecret(new Uint8Array(20).fill(0x42), { binding: ROW, keyring: KEYRING });

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
    for (const row of rows) expectInternal(() => decryptSecret(stolen, { binding: row, keyring: KEYRING }));
    expect(decryptSecret(stolen, { binding: ROW, keyring: KEYRING })).toEqual(new Uint8Array(20).fill(0x42));
  });

  it('does not decrypt when a lone surrogate is offered in place of U+FFFD (which TextEncoder would conflate)', () => {
    const binding = { ...ROW, memberId: 'member-\uFFFD' };
    const encrypted = encryptSecret(new Uint8Array(20), { binding, keyring: KEYRING });
    expect(caught(() => decryptSecret(encrypted, { binding: { ...ROW, memberId: 'member-\uD800' }, keyring: KEYRING }))).toBeInstanceOf(TypeError);
  });

  it('does not decrypt with a forged keyId pointing at an older key', () => {
    const rotated = createKeyring('encryption keys', [{ id: 'k2', key: new Uint8Array(32).fill(2) }, { id: 'k1', key: KEY }], { exactBytes: 32 });
    const fresh = encryptSecret(new Uint8Array(20), { binding: ROW, keyring: rotated });
    expectInternal(() => decryptSecret({ ...fresh, keyId: 'k1' }, { binding: ROW, keyring: rotated }));
  });
});

describe('what is stored and what is thrown never shows the secret or the key', () => {
  it('the stored value contains the secret in no common encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (secret) => {
        const stored = JSON.stringify(encryptSecret(secret, { binding: ROW, keyring: KEYRING }));
        for (const form of [hex.encode(secret), base64.encode(secret).replace(/=+$/, ''), base64urlnopad.encode(secret), base32nopad.encode(secret)]) {
          expect(stored).not.toContain(form);
          expect(stored.toLowerCase()).not.toContain(form.toLowerCase().slice(0, 16));
        }
        expect(stored).not.toContain(hex.encode(KEY));
      }),
    );
  });

  it('error messages and causes never contain the key, the secret or the stored ciphertext body', () => {
    const secret = new Uint8Array(20).fill(0x5a);
    const stored = encryptSecret(secret, { binding: ROW, keyring: KEYRING });
    const errors = [
      caught(() => decryptSecret(stored, { binding: OTHER, keyring: KEYRING })),
      caught(() => decryptSecret({ ...stored, keyId: 'gone' }, { binding: ROW, keyring: KEYRING })),
      caught(() => decryptSecret({ ...stored, ciphertext: `${stored.ciphertext}!` }, { binding: ROW, keyring: KEYRING })),
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

  it('a malformed stored value is only ever an internal error', () => {
    for (const value of hostile) expectInternal(() => decryptSecret(value as EncryptedSecret, { binding: ROW, keyring: KEYRING }));
  });

  it('any string as ciphertext is only ever an internal error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('k1', 'k2'), (ciphertext, keyId) => {
        expectInternal(() => decryptSecret({ keyId, ciphertext }, { binding: ROW, keyring: KEYRING }));
      }),
    );
  });

  it('hostile options are refused with TypeError or RangeError', () => {
    const secret = new Uint8Array(20);
    const stored = encryptSecret(secret, { binding: ROW, keyring: KEYRING });
    const badOptions: unknown[] = [
      undefined,
      null,
      'options',
      {},
      { binding: ROW },
      { keyring: KEYRING },
      { binding: ROW, keyring: { current: { id: 'k1', key: 'not bytes' }, get: () => undefined } },
      JSON.parse(`{"__proto__": {"binding": ${JSON.stringify(ROW)}}}`),
      { binding: { ...ROW, memberId: Number.NaN }, keyring: KEYRING },
      { binding: { ...ROW, memberId: { toString: () => ROW.memberId } }, keyring: KEYRING },
      { binding: Object.create(ROW), keyring: KEYRING },
      { binding: { ...ROW, organizationId: 'x'.repeat(1_000_000) }, keyring: KEYRING },
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
      const error = caught(() => encryptSecret(value as unknown as Uint8Array, { binding: ROW, keyring: KEYRING }));
      expect(error).toBeInstanceOf(TypeError);
    }
  });
});
