// The per-request crypto of an authenticate and a create, on each crypto provider (nodeCrypto, which Node hosts pass,
// and the pure nobleCrypto default), and for the session JWT against jose's WebCrypto signing. Measured side by side in
// one run; prints figures and ratios, never fails. Run: `pnpm exec tsx bench/crypto.bench.ts` in packages/core.

import { SignJWT } from 'jose';
import { Bench } from 'tinybench';
import { createKeyring } from '../src/crypto/keyring';
import { nobleCrypto } from '../src/crypto/noble';
import { nodeCrypto } from '../src/crypto/node';
import type { CryptoProvider } from '../src/crypto/provider';
import { hashRecoveryCode } from '../src/crypto/recovery-code-hashes';
import { decryptSecret, encryptSecret } from '../src/crypto/secret-box';
import { hashToken, newOpaqueToken } from '../src/crypto/tokens';
import type { MemberSessionRecord, OrganizationRecord } from '../src/domain/model';
import { rfc3339 } from '../src/domain/objects';
import { readSessionJwt, signSessionJwt, type SessionJwtSettings } from '../src/domain/session-jwt';

const encryptionKeys = createKeyring('encryption keys', [{ id: 'bench', key: new Uint8Array(32).fill(1) }], { exactBytes: 32 });
const pepper = createKeyring('recovery code pepper', [{ id: 'bench', key: new Uint8Array(32).fill(2) }], { minBytes: 32 });
const signingKey = new Uint8Array(32).fill(3);
const jwtSettingsWith = (crypto: CryptoProvider): SessionJwtSettings => ({
  keyring: createKeyring('session signing keys', [{ id: 'bench', key: signingKey }], { minBytes: 32 }),
  issuer: '@totp',
  audience: '@totp',
  crypto,
});
const binding = {
  organizationId: 'organization-test-7c9e6679-7425-40de-944b-e07fc1f90ae7',
  memberId: 'member-test-16d3f1c5-1ea5-4b8e-9d33-5d0c3a0b1c1e',
  totpRegistrationId: 'member-totp-test-9a1f5c2e-3b4d-4e6f-8a9b-0c1d2e3f4a5b',
};
const stored = encryptSecret(new Uint8Array(20).fill(9), { binding, keyring: encryptionKeys, crypto: nobleCrypto });
const token = newOpaqueToken(nobleCrypto);
const now = Date.UTC(2026, 0, 1);
const at = new Date(now);
const stamp = at.toISOString();
const factor = { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: stamp, created_at: stamp, updated_at: stamp };
// A session as an authenticate leaves it: two factors, no custom claims (a ~700-byte JWT payload).
const session: MemberSessionRecord = {
  memberSessionId: 'member-session-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
  tokenHash: hashToken(nobleCrypto, token),
  organizationId: binding.organizationId,
  memberId: binding.memberId,
  startedAt: at,
  lastAccessedAt: at,
  expiresAt: new Date(now + 3_600_000),
  authenticationFactors: [
    { ...factor, type: 'password', delivery_method: 'knowledge' },
    { ...factor, authenticator_app_factor: { totp_id: binding.totpRegistrationId } },
  ],
  customClaims: {},
  revokedAt: null,
};
const organization = { organizationId: binding.organizationId, organizationSlug: 'bench' } as OrganizationRecord;
const sessionJwt = signSessionJwt(session, organization, jwtSettingsWith(nobleCrypto), now);

/** The same claims through jose's SignJWT, one WebCrypto HMAC job per token: the peer for signSessionJwt. */
async function joseSign(): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({
    'https://stytch.com/session': {
      id: session.memberSessionId,
      started_at: rfc3339(session.startedAt),
      last_accessed_at: rfc3339(session.lastAccessedAt),
      expires_at: rfc3339(session.expiresAt),
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: session.authenticationFactors,
      roles: [],
    },
    'https://stytch.com/organization': { organization_id: organization.organizationId, slug: organization.organizationSlug },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'bench' })
    .setSubject(session.memberId)
    .setIssuer('@totp')
    .setAudience('@totp')
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + 300)
    .sign(joseKey);
}
// jose given a CryptoKey, imported once: no importKey per token.
const joseKey = await globalThis.crypto.subtle.importKey('raw', signingKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
if ((await joseSign()) !== sessionJwt) {
  console.warn('warning: jose and signSessionJwt write different tokens; the comparison below is not like for like');
}

const OPERATIONS: { label: string; run: (crypto: CryptoProvider) => () => unknown }[] = [
  { label: 'decryptSecret (AES-256-GCM)', run: (crypto) => () => decryptSecret(stored, { binding, keyring: encryptionKeys, crypto }) },
  {
    label: 'encryptSecret (AES-256-GCM)',
    run: (crypto) => () => encryptSecret(new Uint8Array(20), { binding, keyring: encryptionKeys, crypto }),
  },
  {
    label: 'signSessionJwt (HS256)',
    run: (crypto) => {
      const settings = jwtSettingsWith(crypto);
      return () => signSessionJwt(session, organization, settings, now);
    },
  },
  {
    label: 'readSessionJwt (HS256)',
    run: (crypto) => {
      const settings = jwtSettingsWith(crypto);
      return () => readSessionJwt(sessionJwt, settings);
    },
  },
  { label: 'hashToken (SHA-256)', run: (crypto) => () => hashToken(crypto, token) },
  { label: 'newOpaqueToken (32 random bytes)', run: (crypto) => () => newOpaqueToken(crypto) },
  { label: 'hashRecoveryCode (HMAC-SHA-256)', run: (crypto) => () => hashRecoveryCode('abcd-efgh-2345', pepper, crypto) },
];
const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['nodeCrypto', nodeCrypto],
  ['noble', nobleCrypto],
];

// Rounds in alternating provider order, every figure the median of its rounds: a burst of load costs one sample.
const ROUNDS = 3;
const samples = new Map<string, number[]>();
const record = (name: string, value: number) => samples.set(name, [...(samples.get(name) ?? []), value]);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, crypto] of round % 2 === 0 ? PROVIDERS : [...PROVIDERS].reverse()) {
    const bench = new Bench({ time: 300, warmupTime: 100 });
    for (const op of OPERATIONS) bench.add(`${op.label} | ${name}`, op.run(crypto));
    if (name === 'nodeCrypto') bench.add('signSessionJwt (HS256) | jose (WebCrypto)', joseSign);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result as { latency?: { mean: number }; error?: unknown } | undefined;
      if (result?.error !== undefined) console.warn(`warning: ${task.name} failed:`, result.error);
      record(task.name, (result?.latency?.mean ?? Number.NaN) * 1000);
    }
  }
}

const median = (values: number[] = []) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const us = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
console.log(`per-request crypto, median µs per call of ${ROUNDS} rounds; ${process.version} on ${process.platform}/${process.arch}`);
console.table(
  OPERATIONS.map(({ label }) => {
    const node = median(samples.get(`${label} | nodeCrypto`));
    const noble = median(samples.get(`${label} | noble`));
    const jose = median(samples.get(`${label} | jose (WebCrypto)`));
    return {
      operation: label,
      'nodeCrypto µs': us(node),
      'noble µs': us(noble),
      'noble/nodeCrypto': `${(noble / node).toFixed(1)}x`,
      ...(Number.isFinite(jose) ? { 'jose (WebCrypto) µs': us(jose) } : {}),
    };
  }),
);
