// Recovery codes in use (docs/http-api.md, "Recovery codes"): recover with one code (single use under any concurrency),
// count what is left, rotate to a fresh set. Codes are only ever compared as keyed hashes.

import { type MemberObject, type OrganizationObject, toMemberObject, toOrganizationObject } from './api-objects';
import { registrationToVerify } from './authentication';
import { TotpError } from './errors';
import { resolveMember, resolveOrganization } from './identifiers';
import {
  type MfaSuccessResponse,
  beginMfaAttempt,
  failedAttempt,
  grantMfaSession,
  mfaSuccessResponse,
  recordSuccessfulAttempt,
  reserveAttempt,
} from './internal/attempts';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './internal/context';
import { asRequestBody, field, requiredString } from './internal/request';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from './model';
import { generateRecoveryCodes, hashRecoveryCodes, normalizeRecoveryCode, recoveryCodeLookupHashes } from './recovery-codes';
import { newFactor } from './sessions';
import { isWellFormedTotpCode } from './totp';

export interface RecoverRequest {
  organization_id: string;
  member_id: string;
  recovery_code: string;
  intermediate_session_token?: string;
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
}

export interface RecoverResponse extends MfaSuccessResponse {
  recovery_codes_remaining: number;
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

interface Subject {
  organization: OrganizationRecord;
  member: MemberRecord;
  registration: TotpRegistrationRecord;
}

/** Recovery codes belong to the active registration: a pending one's codes start working when it is activated. */
async function activeRegistrationOf(context: ServiceContext, request: unknown): Promise<Subject> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const member = await resolveMember(context.repository, organization, requiredString(body, 'member_id'));
  const { active } = await context.repository.findRegistrations(organization.organizationId, member.memberId);
  if (active === null) throw new TotpError('totp_not_found', 'the member has no active TOTP registration');
  return { organization, member, registration: active };
}

function readRecoveryCode(value: unknown): string {
  if (value === undefined || value === null) throw new TotpError('bad_request', 'recovery_code is required');
  if (typeof value !== 'string') throw new TotpError('bad_request', 'recovery_code must be a string');
  const normalized = normalizeRecoveryCode(value);
  if (normalized !== null) return normalized;
  if (isWellFormedTotpCode(value.trim(), 6)) {
    throw new TotpError(
      'invalid_recovery_code',
      'recovery_code looks like a TOTP code: send it as code to /v1/b2b/totp/authenticate',
    );
  }
  throw new TotpError('invalid_recovery_code', 'recovery_code must look like xxxx-xxxx-xxxx (letters and digits)');
}

export async function recoverWithCode(
  context: ServiceContext,
  request: RecoverRequest | unknown,
  options?: CallOptions,
): Promise<RecoverResponse> {
  const body = asRequestBody(request);
  const code = readRecoveryCode(field(body, 'recovery_code'));
  const attempt = await beginMfaAttempt(context, body);
  const { member, registrations, nowMs } = attempt;
  if (registrations.active === null) {
    // Same answers as authenticate for a missing or expired registration, so the two routes agree.
    registrationToVerify(registrations, nowMs);
    throw new TotpError('totp_not_found', 'recovery codes work once the TOTP registration is active');
  }
  const registration = registrations.active;
  // Counted before the code is looked at, with TOTP codes: one limit for both kinds of guess.
  const reserved = await reserveAttempt(context, member, nowMs);
  const candidates = recoveryCodeLookupHashes(code, context.recoveryCodePepper);
  const factor = newFactor('recovery_codes', 'recovery_code', nowMs, {
    recovery_code_factor: { totp_recovery_code_id: registration.totpRegistrationId },
  });
  // The code is spent by the grant (the IST's exchange, the member session's extension), in its one atomic write: a
  // request that loses its session keeps its code, and a wrong or used code leaves the session as it was. Only then
  // is the count cleared (below).
  let granted;
  try {
    granted = await grantMfaSession(context, attempt, factor, {
      kind: 'recovery_code',
      totpRegistrationId: registration.totpRegistrationId,
      candidates,
    });
    // No such unused code: a failure like any wrong code.
    if (granted === null) throw new TotpError('unable_to_authenticate_recovery_code', 'the recovery code is wrong or was already used');
  } catch (error) {
    throw failedAttempt(context, member, reserved, error);
  }
  const { grant, recoveryCodesRemaining: remaining } = granted;
  if (remaining === null) throw new Error('the store did not count the recovery codes left');
  emit(context, 'recoveryCodeUsed', {
    organizationId: member.organizationId,
    memberId: member.memberId,
    at: new Date(nowMs),
    totpRegistrationId: registration.totpRegistrationId,
    remaining,
  });
  const updated = await recordSuccessfulAttempt(context, member, reserved, nowMs);
  return { ...mfaSuccessResponse(context, attempt, grant, updated, options), recovery_codes_remaining: remaining };
}

export async function getRecoveryCodes(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<GetRecoveryCodesResponse> {
  const { organization, member, registration } = await activeRegistrationOf(context, request);
  const codes = await context.repository.listRecoveryCodeHashes(registration.totpRegistrationId);
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, context.clock()),
    organization: toOrganizationObject(organization),
    recovery_codes: [],
    recovery_codes_remaining: codes.length,
    status_code: 200,
  };
}

export async function rotateRecoveryCodes(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<RotateRecoveryCodesResponse> {
  const { organization, member, registration } = await activeRegistrationOf(context, request);
  const codes = generateRecoveryCodes({ randomBytes: context.randomBytes });
  const replaced = await context.repository.replaceRecoveryCodes(
    registration.totpRegistrationId,
    hashRecoveryCodes(codes, context.recoveryCodePepper),
  );
  if (!replaced) throw new TotpError('totp_not_found', 'the member has no active TOTP registration');
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
