// What the contract suites build their cases from: records written straight to the port, members enrolled through the
// service, codes at the harness clock, and the error type a call ended with.

import { hashRecoveryCodes } from '../crypto/recovery-code-hashes';
import { nobleCrypto } from '../crypto/noble';
import { createKeyring } from '../crypto/keyring';
import { hashToken } from '../crypto/tokens';
import type {
  AuthenticationFactor,
  IntermediateSessionRecord,
  MemberRecord,
  MemberSessionRecord,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpRegistrationRecord,
} from '../domain/model';
import { decodeSecret } from '../otp/secret';
import { generateTotp } from '../otp/totp';
import { CONTRACT_RECOVERY_CODE_PEPPER, type ContractHarness } from './harness';

export const MINUTE_MS = 60_000;
export const STEP_MS = 30_000;
/** 2026-01-01, when the records written straight to the port were made. */
export const RECORD_AT = new Date(Date.UTC(2026, 0, 1));

/** The error_type of a rejection, or `'succeeded'` (by value, so a second copy of core in the adapter still matches). */
export async function errorTypeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const type = (error as { error_type?: unknown }).error_type;
    if (typeof type === 'string') return type;
    throw error;
  }
  return 'succeeded';
}

/** A UUID-shaped string unique to this run (record IDs in the contract need only be unique and well-formed). */
let counter = 0;
export function uuid(): string {
  counter += 1;
  const hex = hashToken(nobleCrypto, `${counter}-${Math.random()}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function organizationRecord(overrides: Partial<OrganizationRecord> = {}): OrganizationRecord {
  const id = uuid();
  return {
    organizationId: `organization-test-${id}`,
    organizationName: `Org ${id.slice(0, 8)}`,
    organizationSlug: `org-${id.slice(0, 8)}`,
    organizationExternalId: '',
    mfaPolicy: 'OPTIONAL',
    mfaMethods: 'ALL_ALLOWED',
    allowedMfaMethods: [],
    createdAt: RECORD_AT,
    updatedAt: RECORD_AT,
    ...overrides,
  };
}

export function memberRecord(organizationId: string, overrides: Partial<MemberRecord> = {}): MemberRecord {
  const id = uuid();
  return {
    organizationId,
    memberId: `member-test-${id}`,
    emailAddress: `m-${id.slice(0, 8)}@example.com`,
    name: '',
    status: 'active',
    externalId: '',
    mfaEnrolled: false,
    totpRegistrationId: '',
    defaultMfaMethod: '',
    failedMfaAttempts: 0,
    lockCreatedAt: null,
    lockExpiresAt: null,
    createdAt: RECORD_AT,
    updatedAt: RECORD_AT,
    ...overrides,
  };
}

export function registrationRecord(
  member: Pick<MemberRecord, 'organizationId' | 'memberId'>,
  overrides: Partial<TotpRegistrationRecord> = {},
): TotpRegistrationRecord {
  const status = overrides.status ?? 'active';
  return {
    totpRegistrationId: `member-totp-test-${uuid()}`,
    organizationId: member.organizationId,
    memberId: member.memberId,
    status,
    secret: { keyId: 'contract-1', ciphertext: `ciphertext-${uuid()}` },
    algorithm: 'SHA1',
    digits: 6,
    periodSeconds: 30,
    expiresAt: status === 'pending' ? new Date(RECORD_AT.getTime() + 60 * MINUTE_MS) : null,
    lastAcceptedStep: null,
    createdAt: RECORD_AT,
    activatedAt: status === 'active' ? RECORD_AT : null,
    ...overrides,
  };
}

/** Ten distinct recovery codes and their stored hashes, under the contract's pepper. */
export function recoveryCodeSet(): { codes: string[]; hashes: RecoveryCodeHash[] } {
  const codes = Array.from({ length: 10 }, (_, i) => `${uuid().slice(0, 4)}-c0d${i}-${uuid().slice(0, 4)}`);
  return {
    codes,
    hashes: hashRecoveryCodes(codes, createKeyring('recovery code pepper', CONTRACT_RECOVERY_CODE_PEPPER, { minBytes: 32 }), nobleCrypto),
  };
}

export function factor(type = 'password', deliveryMethod = 'knowledge', at = RECORD_AT): AuthenticationFactor {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type, delivery_method: deliveryMethod, last_authenticated_at: stamp, created_at: stamp, updated_at: stamp };
}

export function intermediateSessionRecord(
  member: Pick<MemberRecord, 'organizationId' | 'memberId'>,
  overrides: Partial<IntermediateSessionRecord> = {},
): IntermediateSessionRecord {
  return {
    tokenHash: hashToken(nobleCrypto, `ist-${uuid()}`),
    organizationId: member.organizationId,
    memberId: member.memberId,
    authenticationFactors: [factor()],
    createdAt: RECORD_AT,
    expiresAt: new Date(RECORD_AT.getTime() + 10 * MINUTE_MS),
    ...overrides,
  };
}

export function memberSessionRecord(
  member: Pick<MemberRecord, 'organizationId' | 'memberId'>,
  overrides: Partial<MemberSessionRecord> = {},
): MemberSessionRecord {
  return {
    memberSessionId: `member-session-test-${uuid()}`,
    tokenHash: hashToken(nobleCrypto, `session-${uuid()}`),
    organizationId: member.organizationId,
    memberId: member.memberId,
    startedAt: RECORD_AT,
    lastAccessedAt: RECORD_AT,
    expiresAt: new Date(RECORD_AT.getTime() + 60 * MINUTE_MS),
    authenticationFactors: [factor()],
    customClaims: {},
    revokedAt: null,
    ...overrides,
  };
}

/** A member enrolled through the service. */
export interface Enrolled {
  organizationId: string;
  memberId: string;
  secret: Uint8Array;
  registrationId: string;
  recoveryCodes: string[];
}

/** The helpers the service-level suites share, over the running test's harness. */
export function enrollment(h: () => ContractHarness) {
  const code = (secret: Uint8Array, offsetMs = 0) => generateTotp(secret, { nowMs: h().now() + offsetMs });
  /** A code that matches no step of the window at the harness clock. */
  const wrongCode = (secret: Uint8Array) =>
    ['000000', '111111', '222222', '333333'].find((c) => ![-1, 0, 1].some((d) => code(secret, d * STEP_MS) === c))!;
  const ist = async (organizationId: string, memberId: string) =>
    (await h().service.sessions.startIntermediate({ organization_id: organizationId, member_id: memberId })).intermediate_session_token;

  /** A member with a pending registration, created through the service. */
  async function pending(overrides: Parameters<ContractHarness['provision']>[0] = {}): Promise<Enrolled> {
    const { organizationId, memberId } = await h().provision(overrides);
    const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    return {
      organizationId,
      memberId,
      secret: decodeSecret(created.secret),
      registrationId: created.totp_registration_id,
      recoveryCodes: created.recovery_codes,
    };
  }

  /** A member with an active registration and a member session; the clock is moved to the next step so its code is fresh. */
  async function active(overrides: Parameters<ContractHarness['provision']>[0] = {}): Promise<Enrolled & { sessionToken: string }> {
    const enrolled = await pending(overrides);
    const first = await h().service.totps.authenticate({
      organization_id: enrolled.organizationId,
      member_id: enrolled.memberId,
      code: code(enrolled.secret),
      intermediate_session_token: await ist(enrolled.organizationId, enrolled.memberId),
    });
    h().advance(STEP_MS);
    return { ...enrolled, sessionToken: first.session_token };
  }

  return { code, wrongCode, ist, pending, active };
}
