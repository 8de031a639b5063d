// totps.create (docs/http-reference.md, "POST /v1/b2b/totp"): a pending registration with a fresh secret (RFC 4226 §4 R6),
// its otpauth URI as a QR code, and 10 recovery codes stored only as keyed hashes.

import { hashRecoveryCodes } from '../crypto/recovery-code-hashes';
import { encryptSecret } from '../crypto/secret-box';
import { TotpError } from '../domain/errors';
import { parseExpirationMinutes, pendingExpiresAt } from '../domain/expiry-policy';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from '../domain/model';
import { toMemberObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import { otpauthQrCode } from '../otp/otpauth-qr-code';
import { generateRecoveryCodes } from '../otp/recovery-codes';
import { encodeSecret, generateSecret } from '../otp/secret';
import { type CallOptions, type ServiceContext, emit, newIdFor, requestIdFor } from './context';
import { type PresentedTokens, asRequestBody, field, readPresentedTokens, requiredString } from './request-fields';
import { assertActiveMember, checkPresentedTokens, memberNotFound, resolveMember, resolveOrganization } from './resolve';

/** The TOTP parameters every registration uses: what authenticator apps support universally (RFC 6238 defaults). */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;

export interface CreateTotpRequest {
  organization_id: string;
  member_id: string;
  expiration_minutes?: number;
  intermediate_session_token?: string;
  session_token?: string;
  session_jwt?: string;
}

export interface CreateTotpResponse {
  request_id: string;
  member_id: string;
  totp_registration_id: string;
  secret: string;
  qr_code: string;
  recovery_codes: string[];
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

export interface CreateTotpInput {
  organizationIdentifier: string;
  memberIdentifier: string;
  expirationMinutes: number;
  tokens: PresentedTokens;
}

export function parseCreateTotpRequest(request: unknown): CreateTotpInput {
  const body = asRequestBody(request);
  return {
    organizationIdentifier: requiredString(body, 'organization_id'),
    memberIdentifier: requiredString(body, 'member_id'),
    expirationMinutes: parseExpirationMinutes(field(body, 'expiration_minutes')),
    tokens: readPresentedTokens(body),
  };
}

export const activeTotpExists = () =>
  new TotpError('active_totp_exists', 'the member already has an active TOTP registration; delete it first');

/**
 * A registration record with its secret encrypted and bound to its row. `expiresAt` null makes it active at once
 * (migrate); a date makes it pending until then (create).
 */
export function newRegistrationRecord(
  context: ServiceContext,
  input: { organization: OrganizationRecord; member: MemberRecord; secret: Uint8Array; nowMs: number; expiresAt: Date | null },
): TotpRegistrationRecord {
  const { organization, member, nowMs, expiresAt } = input;
  const totpRegistrationId = newIdFor(context, 'member-totp');
  const active = expiresAt === null;
  return {
    totpRegistrationId,
    organizationId: organization.organizationId,
    memberId: member.memberId,
    status: active ? 'active' : 'pending',
    secret: encryptSecret(input.secret, {
      binding: { organizationId: organization.organizationId, memberId: member.memberId, totpRegistrationId },
      keyring: context.encryptionKeys,
      crypto: context.crypto,
    }),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    periodSeconds: TOTP_PERIOD_SECONDS,
    expiresAt,
    lastAcceptedStep: null,
    createdAt: new Date(nowMs),
    activatedAt: active ? new Date(nowMs) : null,
  };
}

export async function createTotpRegistration(
  context: ServiceContext,
  request: CreateTotpRequest,
  options?: CallOptions,
): Promise<CreateTotpResponse> {
  const input = parseCreateTotpRequest(request);
  const organization = await resolveOrganization(context, input.organizationIdentifier);
  const member = await resolveMember(context, organization, input.memberIdentifier);
  assertActiveMember(member);
  const nowMs = context.clock();
  // Any token passed must be this member's and live, so that a stolen or stale token never passes as proof.
  // TOTP is the only MFA factor here, so a member with an active factor is refused below whatever the token.
  await checkPresentedTokens(context, input.tokens, member, nowMs);
  const existing = await context.repository.findRegistrations(organization.organizationId, member.memberId);
  if (existing.active !== null) throw activeTotpExists();

  // Everything that can fail is computed before the write, so a failure leaves the store untouched.
  const secret = generateSecret({ randomBytes: context.crypto.randomBytes });
  const secretBase32 = encodeSecret(secret);
  let registration: TotpRegistrationRecord;
  try {
    registration = newRegistrationRecord(context, {
      organization,
      member,
      secret,
      nowMs,
      expiresAt: pendingExpiresAt(nowMs, input.expirationMinutes),
    });
  } finally {
    secret.fill(0);
  }
  // Every name provisioning accepts fits: the issuer is shortened only when the QR code could not hold it.
  const { qrCode } = otpauthQrCode({
    issuer: context.issuerFor(organization),
    accountName: member.emailAddress,
    secret: secretBase32,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    periodSeconds: TOTP_PERIOD_SECONDS,
  });
  const recoveryCodes = generateRecoveryCodes({ randomBytes: context.crypto.randomBytes });
  const saved = await context.repository.saveRegistration(
    registration,
    hashRecoveryCodes(recoveryCodes, context.recoveryCodePepper, context.crypto),
  );
  if (saved === 'active_totp_exists') throw activeTotpExists();
  if (saved === 'member_not_found') throw memberNotFound();
  const { totpRegistrationId } = registration;
  emit(context, 'registrationCreated', {
    organizationId: organization.organizationId,
    memberId: member.memberId,
    at: new Date(nowMs),
    totpRegistrationId,
    migrated: false,
  });
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    totp_registration_id: totpRegistrationId,
    secret: secretBase32,
    qr_code: qrCode,
    recovery_codes: recoveryCodes,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
