// The create rules of a TOTP registration (docs/http-api.md, "POST /v1/b2b/totp"): a pending registration with
// a fresh secret (RFC 4226 §4 R6), its otpauth URI and QR code, and 10 recovery codes stored only as keyed hashes.

import { type MemberObject, type OrganizationObject, toMemberObject, toOrganizationObject } from './api-objects';
import { TotpError } from './errors';
import { parseExpirationMinutes, pendingExpiresAt } from './expiry-policy';
import { assertActiveMember, memberNotFound, resolveMember, resolveOrganization } from './identifiers';
import { newId } from './ids';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './internal/context';
import { asRequestBody, field, requiredString } from './internal/request';
import { readPresentedTokens, resolvePresentedTokens } from './sessions';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from './model';
import { otpauthQrCode } from './otpauth-qr-code';
import { generateRecoveryCodes, hashRecoveryCodes, normalizeRecoveryCode } from './recovery-codes';
import { decodeSecret, encodeSecret, generateSecret } from './secret';
import { encryptSecret } from './secret-box';

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

const activeTotpExists = () =>
  new TotpError('active_totp_exists', 'the member already has an active TOTP registration; delete it first');

/**
 * A new registration record with its secret encrypted and bound to its row. `expiresAt` null makes it active at
 * once (migrate); a date makes it pending until then (create).
 */
function newRegistrationRecord(
  context: ServiceContext,
  input: {
    totpRegistrationId: string;
    organization: OrganizationRecord;
    member: MemberRecord;
    secret: Uint8Array;
    nowMs: number;
    expiresAt: Date | null;
  },
): TotpRegistrationRecord {
  const { totpRegistrationId, organization, member, nowMs, expiresAt } = input;
  const active = expiresAt === null;
  return {
    totpRegistrationId,
    organizationId: organization.organizationId,
    memberId: member.memberId,
    status: active ? 'active' : 'pending',
    secret: encryptSecret(input.secret, {
      binding: { organizationId: organization.organizationId, memberId: member.memberId, totpRegistrationId },
      keyring: context.encryptionKeys,
      randomBytes: context.randomBytes,
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
  request: CreateTotpRequest | unknown,
  options?: CallOptions,
): Promise<CreateTotpResponse> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const expirationMinutes = parseExpirationMinutes(field(body, 'expiration_minutes'));
  const tokens = readPresentedTokens(body);

  const { repository } = context;
  const organization = await resolveOrganization(repository, organizationIdentifier);
  const member = await resolveMember(repository, organization, memberIdentifier);
  assertActiveMember(member);
  const nowMs = context.clock();
  // Any token passed must be this member's and live, so that a stolen or stale token never passes as proof.
  // TOTP is the only MFA factor here, so a member with an active factor is refused below whatever the token.
  await resolvePresentedTokens(context, tokens, member, nowMs);
  const existing = await repository.findRegistrations(organization.organizationId, member.memberId);
  if (existing.active !== null) {
    throw activeTotpExists();
  }

  const totpRegistrationId = newId('member-totp', context.environment, context.randomBytes);
  const secret = generateSecret({ randomBytes: context.randomBytes });
  const secretBase32 = encodeSecret(secret);
  // Everything that can fail is computed before the write, so a failure leaves the store untouched.
  // Every name provisioning accepts fits: the issuer is shortened only when the QR code could not hold it.
  const { qrCode } = await otpauthQrCode({
    issuer: context.issuerFor(organization),
    accountName: member.emailAddress,
    secret: secretBase32,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    periodSeconds: TOTP_PERIOD_SECONDS,
  });
  const recoveryCodes = generateRecoveryCodes({ randomBytes: context.randomBytes });
  const registration = newRegistrationRecord(context, {
    totpRegistrationId,
    organization,
    member,
    secret,
    nowMs,
    expiresAt: pendingExpiresAt(nowMs, expirationMinutes),
  });
  secret.fill(0);

  const saved = await repository.saveRegistration(
    registration,
    hashRecoveryCodes(recoveryCodes, context.recoveryCodePepper),
  );
  if (saved === 'active_totp_exists') throw activeTotpExists();
  if (saved === 'member_not_found') throw memberNotFound();
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


export interface MigrateTotpRequest {
  organization_id: string;
  member_id: string;
  secret: string;
  recovery_codes?: string[];
}

export interface MigrateTotpResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  totp_registration_id: string;
  recovery_codes: string[];
  status_code: 200;
}

export interface DeleteTotpResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

const MAX_IMPORTED_RECOVERY_CODES = 100;

function readImportedRecoveryCodes(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_IMPORTED_RECOVERY_CODES) {
    throw new TotpError('bad_request', `recovery_codes must be an array of at most ${MAX_IMPORTED_RECOVERY_CODES} strings`);
  }
  if (value.length === 0) return undefined;
  const codes = value.map((item: unknown, i) => {
    const normalized = normalizeRecoveryCode(item);
    if (normalized === null) {
      throw new TotpError('invalid_recovery_code', `recovery_codes[${i}] must look like xxxx-xxxx-xxxx (letters and digits)`);
    }
    return normalized;
  });
  return [...new Set(codes)];
}

/**
 * Imports a secret from another TOTP provider as an active registration, so members keep their authenticator
 * entry. The secret must decode to at least 16 bytes (RFC 4226 §4 R6); recovery codes are imported or minted.
 */
export async function migrateTotpRegistration(
  context: ServiceContext,
  request: MigrateTotpRequest | unknown,
  options?: CallOptions,
): Promise<MigrateTotpResponse> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const secret = decodeSecret(requiredString(body, 'secret', 1024));
  const imported = readImportedRecoveryCodes(field(body, 'recovery_codes'));

  const { repository } = context;
  const organization = await resolveOrganization(repository, organizationIdentifier);
  const member = await resolveMember(repository, organization, memberIdentifier);
  assertActiveMember(member);
  const nowMs = context.clock();
  const totpRegistrationId = newId('member-totp', context.environment, context.randomBytes);
  const recoveryCodes = imported ?? generateRecoveryCodes({ randomBytes: context.randomBytes });
  const registration = newRegistrationRecord(context, { totpRegistrationId, organization, member, secret, nowMs, expiresAt: null });
  secret.fill(0);
  const saved = await repository.saveRegistration(registration, hashRecoveryCodes(recoveryCodes, context.recoveryCodePepper));
  if (saved === 'active_totp_exists') throw activeTotpExists();
  if (saved === 'member_not_found') throw memberNotFound();
  if (member.defaultMfaMethod === '') {
    await repository.updateMemberMfa(member.organizationId, member.memberId, { defaultMfaMethod: 'totp', updatedAt: new Date(nowMs) });
  }
  emit(context, 'registrationCreated', {
    organizationId: organization.organizationId,
    memberId: member.memberId,
    at: new Date(nowMs),
    totpRegistrationId,
    migrated: true,
  });
  const updated = (await repository.findMemberById(member.organizationId, member.memberId)) ?? member;
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(updated, nowMs),
    organization: toOrganizationObject(organization),
    totp_registration_id: totpRegistrationId,
    recovery_codes: recoveryCodes,
    status_code: 200,
  };
}

/** Deletes the member's TOTP registration (active or pending) and its recovery codes. Sessions are not revoked. */
export async function deleteTotpRegistration(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<DeleteTotpResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const member = await resolveMember(context.repository, organization, requiredString(body, 'member_id'));
  const nowMs = context.clock();
  const count = await context.repository.deleteRegistrations(organization.organizationId, member.memberId, new Date(nowMs));
  if (count === 0) throw new TotpError('totp_not_found', 'the member has no TOTP registration');
  emit(context, 'registrationDeleted', { organizationId: member.organizationId, memberId: member.memberId, at: new Date(nowMs), count });
  const updated = (await context.repository.findMemberById(member.organizationId, member.memberId)) ?? member;
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(updated, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
