// recoveryCodes.get and recoveryCodes.rotate (docs/http-reference.md, "Recovery codes"): how many codes are left (never the
// codes: they are stored only as hashes, a deviation from Stytch), and a fresh set that replaces every old code at once.

import { hashRecoveryCodes } from '../crypto/recovery-code-hashes';
import { TotpError } from '../domain/errors';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from '../domain/model';
import { toMemberObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import { generateRecoveryCodes } from '../otp/recovery-codes';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './context';
import { asRequestBody, requiredString } from './request-fields';
import { resolveMember, resolveOrganization } from './resolve';

export interface RecoveryCodesRequest {
  organization_id: string;
  member_id: string;
}

/** Deviation from Stytch: codes are stored hashed, so only the count can be returned (`recovery_codes` is always empty). */
export interface GetRecoveryCodesResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  recovery_codes: [];
  recovery_codes_remaining: number;
  status_code: 200;
}

export interface RotateRecoveryCodesResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  recovery_codes: string[];
  status_code: 200;
}

const noActiveRegistration = () => new TotpError('totp_not_found', 'the member has no active TOTP registration');

/** The member's active registration: recovery codes belong to it (a pending one's codes start working on activation). */
async function activeRegistrationOf(
  context: ServiceContext,
  request: RecoveryCodesRequest,
): Promise<{ organization: OrganizationRecord; member: MemberRecord; registration: TotpRegistrationRecord }> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const organization = await resolveOrganization(context, organizationIdentifier);
  const member = await resolveMember(context, organization, memberIdentifier);
  const { active } = await context.repository.findRegistrations(organization.organizationId, member.memberId);
  if (active === null) throw noActiveRegistration();
  return { organization, member, registration: active };
}

export async function getRecoveryCodes(
  context: ServiceContext,
  request: RecoveryCodesRequest,
  options?: CallOptions,
): Promise<GetRecoveryCodesResponse> {
  const { organization, member, registration } = await activeRegistrationOf(context, request);
  const remaining = await context.repository.countRecoveryCodes(registration.totpRegistrationId);
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, context.clock()),
    organization: toOrganizationObject(organization),
    recovery_codes: [],
    recovery_codes_remaining: remaining,
    status_code: 200,
  };
}

export async function rotateRecoveryCodes(
  context: ServiceContext,
  request: RecoveryCodesRequest,
  options?: CallOptions,
): Promise<RotateRecoveryCodesResponse> {
  const { organization, member, registration } = await activeRegistrationOf(context, request);
  const codes = generateRecoveryCodes({ randomBytes: context.crypto.randomBytes });
  const replaced = await context.repository.replaceRecoveryCodes(
    registration.totpRegistrationId,
    hashRecoveryCodes(codes, context.recoveryCodePepper, context.crypto),
  );
  if (!replaced) throw noActiveRegistration();
  const nowMs = context.clock();
  emit(context, 'recoveryCodesRotated', {
    organizationId: member.organizationId,
    memberId: member.memberId,
    at: new Date(nowMs),
    totpRegistrationId: registration.totpRegistrationId,
  });
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    recovery_codes: codes,
    status_code: 200,
  };
}
