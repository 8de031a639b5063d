// totps.authenticate (docs/http-reference.md, "POST /v1/b2b/totp/authenticate"): RFC 6238 §5.2 verification with one step
// either side, single use per time step, the lockout, and the session the code grants.

import { decryptSecret } from '../crypto/secret-box';
import { TotpError } from '../domain/errors';
import { totpFactor } from '../domain/factors';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from '../domain/model';
import type { MemberPatch } from '../domain/repository';
import { normalizeRecoveryCode } from '../otp/recovery-codes';
import { isWellFormedTotpCode, verifyTotp } from '../otp/totp';
import { type CallOptions, type ServiceContext, emit } from './context';
import {
  type MfaAttempt,
  type MfaAttemptInput,
  type MfaSuccessResponse,
  beginMfaAttempt,
  failedAttempt,
  grantAttempt,
  mfaSuccessResponse,
  readMfaAttemptFields,
} from './mfa-attempt';
import { asRequestBody, field, optionalBoolean, optionalEnum } from './request-fields';

export interface AuthenticateTotpRequest {
  organization_id: string;
  member_id: string;
  code: string;
  intermediate_session_token?: string;
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
  set_mfa_enrollment?: 'enroll' | 'unenroll';
  set_default_mfa?: boolean;
}

export type AuthenticateTotpResponse = MfaSuccessResponse;

export interface AuthenticateTotpInput extends MfaAttemptInput {
  code: string;
  setMfaEnrollment: 'enroll' | 'unenroll' | undefined;
  setDefaultMfa: boolean | undefined;
}

/** Verification accepts the current step and this many either side (RFC 6238 §5.2's network-delay allowance). */
export const TOTP_WINDOW_STEPS = 1;

export function parseAuthenticateTotpRequest(request: unknown): AuthenticateTotpInput {
  const body = asRequestBody(request);
  const code = field(body, 'code');
  if (code === undefined || code === null) throw new TotpError('bad_request', 'code is required');
  if (typeof code !== 'string') throw new TotpError('bad_request', 'code must be a string');
  if (!isWellFormedTotpCode(code as unknown, 6)) {
    if (code.length <= 64 && normalizeRecoveryCode(code) !== null) {
      throw new TotpError(
        'invalid_totp_code',
        'code looks like a recovery code: send it as recovery_code to /v1/b2b/recovery_codes/recover',
      );
    }
    throw new TotpError('invalid_totp_code', 'code must be exactly 6 ASCII digits');
  }
  return {
    code,
    setMfaEnrollment: optionalEnum(body, 'set_mfa_enrollment', ['enroll', 'unenroll'] as const),
    setDefaultMfa: optionalBoolean(body, 'set_default_mfa'),
    ...readMfaAttemptFields(body),
  };
}

/**
 * The member's MFA settings after a success: `totp` becomes the default method when the member has none (or when asked
 * to), and enrollment follows `set_mfa_enrollment` unless the organization requires MFA for all. Undefined when
 * nothing changes.
 */
export function mfaSettingsAfterSuccess(
  member: MemberRecord,
  organization: OrganizationRecord,
  input: Pick<AuthenticateTotpInput, 'setDefaultMfa' | 'setMfaEnrollment'>,
  nowMs: number,
): MemberPatch | undefined {
  const patch: MemberPatch = { updatedAt: new Date(nowMs) };
  if ((input.setDefaultMfa === true || member.defaultMfaMethod === '') && member.defaultMfaMethod !== 'totp')
    patch.defaultMfaMethod = 'totp';
  if (input.setMfaEnrollment !== undefined && organization.mfaPolicy !== 'REQUIRED_FOR_ALL') {
    const enrolled = input.setMfaEnrollment === 'enroll';
    if (enrolled !== member.mfaEnrolled) patch.mfaEnrolled = enrolled;
  }
  return patch.defaultMfaMethod === undefined && patch.mfaEnrolled === undefined ? undefined : patch;
}

export async function authenticateTotp(
  context: ServiceContext,
  request: AuthenticateTotpRequest,
  options?: CallOptions,
): Promise<AuthenticateTotpResponse> {
  const input = parseAuthenticateTotpRequest(request);
  // One read, which also reserves the attempt: at most the lockout limit of codes is evaluated per lock window.
  const attempt = await beginMfaAttempt(context, input, 'active_or_pending');
  const { member, organization, registration, nowMs } = attempt;
  try {
    const step = acceptedStep(context, attempt, input.code);
    const activating = registration.status === 'pending';
    // The step is spent by the grant, in the one write that also stores or extends the session, clears the count and
    // applies the settings: a request that loses the race for its step (or its session) has written nothing.
    const granted = await grantAttempt(
      context,
      attempt,
      { kind: activating ? 'activation' : 'totp_step', totpRegistrationId: registration.totpRegistrationId, step },
      totpFactor(nowMs, registration.totpRegistrationId),
      mfaSettingsAfterSuccess(member, organization, input, nowMs),
    );
    if (granted === null) throw replayRefused(context, attempt, step);
    const event = {
      organizationId: member.organizationId,
      memberId: member.memberId,
      at: new Date(nowMs),
      totpRegistrationId: registration.totpRegistrationId,
    };
    emit(context, 'codeAccepted', { ...event, step });
    if (activating) emit(context, 'registrationActivated', event);
    return mfaSuccessResponse(context, attempt, granted, options);
  } catch (error) {
    throw failedAttempt(context, attempt, error);
  }
}

/** The time step `code` matches, or the error: a wrong code, or one whose step was already accepted (a replay). */
function acceptedStep(context: ServiceContext, attempt: MfaAttempt, code: string): number {
  const registration: TotpRegistrationRecord = attempt.registration;
  // The registration is its own binding: it has the three IDs (organizationId, memberId, totpRegistrationId).
  const secret = decryptSecret(registration.secret, { binding: registration, keyring: context.encryptionKeys, crypto: context.crypto });
  let result;
  try {
    result = verifyTotp(secret, code, {
      nowMs: attempt.nowMs,
      algorithm: registration.algorithm,
      digits: registration.digits,
      periodSeconds: registration.periodSeconds,
      windowSteps: TOTP_WINDOW_STEPS,
      hmac: context.crypto.hmac,
    });
  } finally {
    secret.fill(0);
  }
  if (!result.valid) throw new TotpError('unable_to_authenticate_totp', 'the code is not valid for this member');
  if (registration.lastAcceptedStep !== null && registration.lastAcceptedStep >= result.step)
    throw replayRefused(context, attempt, result.step);
  return result.step;
}

/** Reports the replay and returns the error to answer it with. */
function replayRefused(context: ServiceContext, attempt: MfaAttempt, step: number): TotpError {
  emit(context, 'replayRefused', {
    organizationId: attempt.member.organizationId,
    memberId: attempt.member.memberId,
    at: new Date(attempt.nowMs),
    totpRegistrationId: attempt.registration.totpRegistrationId,
    step,
  });
  return new TotpError('totp_code_already_authenticated', 'this code was already used; wait for the next one');
}
