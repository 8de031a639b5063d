// Authenticating a TOTP code for a member (docs/http-api.md, "POST /v1/b2b/totp/authenticate"): RFC 6238 §5.2
// verification with one step either side, single use per time step, lockout, and the session it grants.

import { TotpError } from './errors';
import { isExpiredPending } from './expiry-policy';
import {
  type MfaSuccessResponse,
  beginMfaAttempt,
  failedAttempt,
  grantMfaSession,
  mfaSuccessResponse,
  recordSuccessfulAttempt,
  reserveAttempt,
} from './internal/attempts';
import { type CallOptions, type ServiceContext, deliver, eventHandler } from './internal/context';
import { type RequestBody, asRequestBody, field, optionalBoolean, optionalEnum } from './internal/request';
import type { TotpEvents } from './events';
import type { MemberMfaPatch } from './repository';
import type { MemberRecord, OrganizationRecord, TotpRegistrationRecord } from './model';
import { normalizeRecoveryCode } from './recovery-codes';
import { decryptSecret } from './secret-box';
import { type SessionGrant, totpFactor } from './sessions';
import { isWellFormedTotpCode, verifyTotp } from './totp';

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

export type AuthenticateResponse = MfaSuccessResponse;

/** Verification accepts the current step and this many either side (RFC 6238 §5.2's network-delay allowance). */
export const TOTP_WINDOW_STEPS = 1;

const MFA_ENROLLMENT_VALUES = ['enroll', 'unenroll'] as const;

function readCode(body: RequestBody): string {
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
  return code;
}

/** The registration a code is checked against: the active one, else a pending one that has not expired. */
export function registrationToVerify(
  registrations: { active: TotpRegistrationRecord | null; pending: TotpRegistrationRecord | null },
  nowMs: number,
): TotpRegistrationRecord {
  if (registrations.active !== null) return registrations.active;
  if (registrations.pending === null) throw new TotpError('totp_not_found', 'the member has no TOTP registration');
  if (isExpiredPending(registrations.pending, nowMs)) {
    throw new TotpError('expired_totp', 'the TOTP registration expired before it was authenticated; create a new one');
  }
  return registrations.pending;
}

/** The member's MFA settings after a success: default method and enrollment, per the request and the organization. */
export function mfaSettingsAfterSuccess(
  member: MemberRecord,
  organization: OrganizationRecord,
  request: { setDefaultMfa: boolean | undefined; setMfaEnrollment: 'enroll' | 'unenroll' | undefined },
  nowMs: number,
): MemberMfaPatch | null {
  const setDefault = (request.setDefaultMfa === true || member.defaultMfaMethod === '') && member.defaultMfaMethod !== 'totp';
  let enrolled: boolean | undefined;
  if (request.setMfaEnrollment !== undefined && organization.mfaPolicy !== 'REQUIRED_FOR_ALL') {
    const enroll = request.setMfaEnrollment === 'enroll';
    if (enroll !== member.mfaEnrolled) enrolled = enroll;
  }
  // Most successes change nothing: the patch (and its Date) is made only when something changes.
  if (!setDefault && enrolled === undefined) return null;
  const patch: MemberMfaPatch = { updatedAt: new Date(nowMs) };
  if (setDefault) patch.defaultMfaMethod = 'totp';
  if (enrolled !== undefined) patch.mfaEnrolled = enrolled;
  return patch;
}

type CodeEvent = Parameters<NonNullable<TotpEvents['codeAccepted']>>[0];

function codeEvent(member: MemberRecord, registration: TotpRegistrationRecord, at: Date, step: number): CodeEvent {
  return { organizationId: member.organizationId, memberId: member.memberId, at, totpRegistrationId: registration.totpRegistrationId, step };
}

/** Reports the accepted code to a `codeAccepted` handler, if there is one; returns the payload it got, if any. */
function reportCodeAccepted(
  context: ServiceContext,
  member: MemberRecord,
  registration: TotpRegistrationRecord,
  nowMs: number,
  step: number,
): CodeEvent | undefined {
  const handler = eventHandler(context, 'codeAccepted');
  if (handler === undefined) return undefined;
  const event = codeEvent(member, registration, new Date(nowMs), step);
  deliver(context, 'codeAccepted', handler, event);
  return event;
}

/** Reports the replay to a `replayRefused` handler, if there is one, and returns the error to throw. */
function replayRefused(
  context: ServiceContext,
  member: MemberRecord,
  registration: TotpRegistrationRecord,
  nowMs: number,
  step: number,
): TotpError {
  const handler = eventHandler(context, 'replayRefused');
  if (handler !== undefined) deliver(context, 'replayRefused', handler, codeEvent(member, registration, new Date(nowMs), step));
  return new TotpError('totp_code_already_authenticated', 'this code was already used; wait for the next one');
}

export async function authenticateTotp(
  context: ServiceContext,
  request: AuthenticateTotpRequest | unknown,
  options?: CallOptions,
): Promise<AuthenticateResponse> {
  const body = asRequestBody(request);
  const code = readCode(body);
  const setMfaEnrollment = optionalEnum(body, 'set_mfa_enrollment', MFA_ENROLLMENT_VALUES);
  const setDefaultMfa = optionalBoolean(body, 'set_default_mfa');
  const attempt = await beginMfaAttempt(context, body);
  const { organization, member, registrations, nowMs } = attempt;
  const { repository } = context;
  const registration = registrationToVerify(registrations, nowMs);
  // Counted before the code is looked at: at most the lockout limit of codes is ever evaluated per lock window.
  const reserved = await reserveAttempt(context, member, nowMs);
  const activating = registration.status === 'pending';

  // Everything from the code's check to the spend: a refusal anywhere in it is this reserved attempt's failure.
  const evaluate = async (): Promise<SessionGrant> => {
    // The registration is its own binding: it has the three IDs (organizationId, memberId, totpRegistrationId).
    const secret = decryptSecret(registration.secret, { binding: registration, keyring: context.encryptionKeys });
    const result = verifyTotp(secret, code, {
      nowMs,
      algorithm: registration.algorithm,
      digits: registration.digits,
      periodSeconds: registration.periodSeconds,
      windowSteps: TOTP_WINDOW_STEPS,
    });
    secret.fill(0);
    if (!result.valid) {
      throw new TotpError('unable_to_authenticate_totp', 'the code is not valid for this member');
    }

    const { step } = result;
    // Event payloads are built only for a handler. A replay is refused before anything is accepted, so one attempt
    // reports either replayRefused or codeAccepted (with registrationActivated, which shares its `at`). A replayed code
    // stays counted: only a success gives its reservation back.
    if (registration.lastAcceptedStep !== null && registration.lastAcceptedStep >= step) {
      throw replayRefused(context, member, registration, nowMs, step);
    }
    // The step becomes single-use through one atomic write: of concurrent requests, one wins. That write is the grant
    // itself, the IST's exchange or the member session's extension (a request whose session is gone keeps its code
    // unspent); only an activation records the step on its own first.
    let accepted: CodeEvent | undefined;
    if (activating) {
      const recorded = await repository.recordAcceptedStep(registration.totpRegistrationId, step, { at: new Date(nowMs) });
      if (!recorded) throw replayRefused(context, member, registration, nowMs, step);
      accepted = reportCodeAccepted(context, member, registration, nowMs, step);
      const onActivated = eventHandler(context, 'registrationActivated');
      if (onActivated !== undefined) {
        // Read from codeAccepted's payload when there was one, as a handler may have changed it.
        const event = accepted ?? codeEvent(member, registration, new Date(nowMs), step);
        deliver(context, 'registrationActivated', onActivated, {
          organizationId: event.organizationId,
          memberId: event.memberId,
          at: event.at,
          totpRegistrationId: event.totpRegistrationId,
        });
      }
    }

    const granted = await grantMfaSession(
      context,
      attempt,
      totpFactor(nowMs, registration.totpRegistrationId),
      activating ? undefined : { kind: 'totp_step', totpRegistrationId: registration.totpRegistrationId, step },
    );
    // Refused: another request took this step (or a later one) meanwhile.
    if (granted === null) throw replayRefused(context, member, registration, nowMs, step);
    if (!activating) reportCodeAccepted(context, member, registration, nowMs, step);
    return granted.grant;
  };
  let grant: SessionGrant;
  try {
    grant = await evaluate();
  } catch (error) {
    throw failedAttempt(context, member, reserved, error);
  }

  // Only the winner of the spend writes the member: its count cleared, then its MFA settings. A request that lost the
  // race for the step changed nothing.
  let updated = await recordSuccessfulAttempt(context, member, reserved, nowMs);
  if (activating) updated = { ...updated, totpRegistrationId: registration.totpRegistrationId, updatedAt: new Date(nowMs) };
  const patch = mfaSettingsAfterSuccess(member, organization, { setDefaultMfa, setMfaEnrollment }, nowMs);
  if (patch !== null) {
    await repository.updateMemberMfa(member.organizationId, member.memberId, patch);
    updated = { ...updated, ...patch };
  }
  return mfaSuccessResponse(context, attempt, grant, updated, options);
}
