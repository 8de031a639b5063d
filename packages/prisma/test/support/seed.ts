// Rows for the race and fault tests, written through the repository itself: an organization, a member, an active
// registration with its recovery code hashes, and intermediate sessions; and the grants and reservations they make.

import { createHash } from 'node:crypto';
import type {
  AttemptReservation,
  AuthenticationFactor,
  MemberSessionRecord,
  MfaGrant,
  MfaSpend,
  RecoveryCodeHash,
  TotpRegistrationRecord,
  TotpRepository,
} from '@totp/core';
import { memberRecord, organizationRecord } from '@totp/core/testing';

export const SEED_AT = new Date(Date.UTC(2026, 10, 29, 12, 0, 0));
export const SEED_STEP = Math.floor(SEED_AT.getTime() / 30_000);

let seeded = 0;
const hex = (n: number, salt: string) => `${salt}${n.toString(16).padStart(4, '0')}`.padEnd(64, '0').slice(0, 64);
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export interface Seeded {
  organizationId: string;
  memberId: string;
  totpRegistrationId: string;
  codes: RecoveryCodeHash[];
  /** Token hashes of unconsumed intermediate sessions that expire an hour after SEED_AT. */
  istHashes: string[];
}

export function registrationFor(
  organizationId: string,
  memberId: string,
  id: string,
  status: 'active' | 'pending',
): TotpRegistrationRecord {
  return {
    totpRegistrationId: id,
    organizationId,
    memberId,
    status,
    secret: { keyId: 'k1', ciphertext: 'not-a-real-ciphertext' },
    algorithm: 'SHA1',
    digits: 6,
    periodSeconds: 30,
    expiresAt: status === 'pending' ? new Date(SEED_AT.getTime() + 3_600_000) : null,
    lastAcceptedStep: null,
    createdAt: SEED_AT,
    activatedAt: status === 'active' ? SEED_AT : null,
  };
}

/** A member session for `seeded`'s member, with an ID and token hash made from `tag` (unique per call site). */
export function memberSessionFor(seeded: Pick<Seeded, 'organizationId' | 'memberId'>, tag: string): MemberSessionRecord {
  return {
    memberSessionId: `member-session-test-${tag}-${seeded.memberId.slice(-12)}`,
    tokenHash: createHash('sha256').update(`${tag}/${seeded.memberId}`).digest('hex'),
    organizationId: seeded.organizationId,
    memberId: seeded.memberId,
    startedAt: SEED_AT,
    lastAccessedAt: SEED_AT,
    expiresAt: new Date(SEED_AT.getTime() + 3_600_000),
    authenticationFactors: [
      {
        type: 'totp',
        delivery_method: 'authenticator_app',
        last_authenticated_at: SEED_AT.toISOString(),
        created_at: SEED_AT.toISOString(),
        updated_at: SEED_AT.toISOString(),
      },
    ],
    customClaims: { tag },
    revokedAt: null,
  };
}

export function codesFor(salt: string, count = 10): RecoveryCodeHash[] {
  return Array.from({ length: count }, (_, i) => ({ keyId: 'pepper-1', hash: hex(i, salt) }));
}

export async function seed(repository: TotpRepository, options: { ists?: number; status?: 'active' | 'pending' } = {}): Promise<Seeded> {
  const n = ++seeded;
  const tag = `${process.pid.toString(16)}${n.toString(16)}`;
  const organizationId = `organization-test-${uuid(n)}`;
  const memberId = `member-test-${uuid(n)}`;
  const totpRegistrationId = `member-totp-test-${uuid(n)}`;
  await repository.insertOrganization(
    organizationRecord({
      organizationId,
      organizationName: `Race ${tag}`,
      organizationSlug: `race-${tag}`,
      createdAt: SEED_AT,
      updatedAt: SEED_AT,
    }),
  );
  await repository.insertMember(
    memberRecord(organizationId, { memberId, emailAddress: `race-${tag}@example.com`, createdAt: SEED_AT, updatedAt: SEED_AT }),
  );
  const codes = codesFor(`c0de${tag}`);
  await repository.saveRegistration(registrationFor(organizationId, memberId, totpRegistrationId, options.status ?? 'active'), codes);
  const istHashes = Array.from({ length: options.ists ?? 1 }, (_, i) => hex(i, `15${tag}f`));
  for (const tokenHash of istHashes) {
    await repository.insertIntermediateSession({
      tokenHash,
      organizationId,
      memberId,
      authenticationFactors: [],
      createdAt: SEED_AT,
      expiresAt: new Date(SEED_AT.getTime() + 3_600_000),
    });
  }
  return { organizationId, memberId, totpRegistrationId, codes, istHashes };
}

/** A reservation at `at` under a limit of `max`, locking for an hour. */
export const reservationAt = (at: Date, max = 10): AttemptReservation => ({
  at,
  maxFailedAttempts: max,
  lockExpiresAt: new Date(at.getTime() + 3_600_000),
});

/** A factor of `type`, authenticated at SEED_AT. */
export const factorOf = (type: string, deliveryMethod = 'test'): AuthenticationFactor => {
  const at = SEED_AT.toISOString();
  return { type, delivery_method: deliveryMethod, last_authenticated_at: at, created_at: at, updated_at: at };
};

/** A grant for `seeded`'s member at SEED_AT: exchanging `target` (an IST's hash) for a new session tagged `tag`, or extending a session. */
export function grantOf(
  seeded: Pick<Seeded, 'organizationId' | 'memberId'>,
  spend: MfaSpend,
  target: { ist: string; tag: string } | { memberSessionId: string; factor?: AuthenticationFactor; customClaims?: Record<string, unknown> },
  member: Partial<MfaGrant['member']> = {},
  at = SEED_AT,
): MfaGrant {
  return {
    at,
    spend,
    target:
      'ist' in target
        ? { kind: 'exchange', intermediateSessionTokenHash: target.ist, session: memberSessionFor(seeded, target.tag) }
        : {
            kind: 'extend',
            memberSessionId: target.memberSessionId,
            expiresAt: new Date(at.getTime() + 7_200_000),
            factor: target.factor ?? factorOf('totp', 'authenticator_app'),
            ...(target.customClaims === undefined ? {} : { customClaims: target.customClaims }),
          },
    member: { organizationId: seeded.organizationId, memberId: seeded.memberId, startedLockAt: null, ...member },
  };
}

export const stepSpend = (s: Pick<Seeded, 'totpRegistrationId'>, step = SEED_STEP): MfaSpend => ({
  kind: 'totp_step',
  totpRegistrationId: s.totpRegistrationId,
  step,
});
export const codeSpend = (s: Pick<Seeded, 'totpRegistrationId' | 'codes'>, index = 0): MfaSpend => ({
  kind: 'recovery_code',
  totpRegistrationId: s.totpRegistrationId,
  candidates: [{ keyId: 'old-pepper', hash: 'f'.repeat(64) }, s.codes[index]!],
});
