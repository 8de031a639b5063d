// recoveryCodes.recover (docs/http-reference.md, "Recovery codes"): one recovery code in place of a TOTP code, spent
// exactly once under any concurrency, counted by the same lockout as TOTP codes.

import { recoveryCodeLookupHashes } from '../crypto/recovery-code-hashes';
import { TotpError } from '../domain/errors';
import { recoveryCodeFactor } from '../domain/factors';
import { normalizeRecoveryCode } from '../otp/recovery-codes';
import { isWellFormedTotpCode } from '../otp/totp';
import { type CallOptions, type ServiceContext, emit } from './context';
import {
  type MfaAttemptInput,
  type MfaSuccessResponse,
  beginMfaAttempt,
  failedAttempt,
  grantAttempt,
  mfaSuccessResponse,
  readMfaAttemptFields,
} from './mfa-attempt';
import { asRequestBody, field } from './request-fields';

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

export interface RecoverInput extends MfaAttemptInput {
  /** Normalised: `xxxx-xxxx-xxxx`. */
  recoveryCode: string;
}

export function parseRecoverRequest(request: unknown): RecoverInput {
  const body = asRequestBody(request);
  const value = field(body, 'recovery_code');
  if (value === undefined || value === null) throw new TotpError('bad_request', 'recovery_code is required');
  if (typeof value !== 'string') throw new TotpError('bad_request', 'recovery_code must be a string');
  const recoveryCode = normalizeRecoveryCode(value);
  if (recoveryCode === null) {
    if (isWellFormedTotpCode(value.trim(), 6)) {
      throw new TotpError('invalid_recovery_code', 'recovery_code looks like a TOTP code: send it as code to /v1/b2b/totp/authenticate');
    }
    throw new TotpError('invalid_recovery_code', 'recovery_code must look like xxxx-xxxx-xxxx (letters and digits)');
  }
  return { recoveryCode, ...readMfaAttemptFields(body) };
}

export async function recoverWithCode(context: ServiceContext, request: RecoverRequest, options?: CallOptions): Promise<RecoverResponse> {
  const input = parseRecoverRequest(request);
  // Recovery codes belong to the active registration: a pending one's codes start working when it is activated.
  const attempt = await beginMfaAttempt(context, input, 'active');
  const { member, registration, nowMs } = attempt;
  try {
    // The code is checked by spending it: the grant deletes a matching unused code in its one atomic write, with the
    // session and the member's count; a wrong or used code writes nothing, and a request that loses its session
    // keeps its code.
    const granted = await grantAttempt(
      context,
      attempt,
      {
        kind: 'recovery_code',
        totpRegistrationId: registration.totpRegistrationId,
        candidates: recoveryCodeLookupHashes(input.recoveryCode, context.recoveryCodePepper, context.crypto),
      },
      recoveryCodeFactor(nowMs, registration.totpRegistrationId),
      undefined,
    );
    if (granted === null) throw new TotpError('unable_to_authenticate_recovery_code', 'the recovery code is wrong or was already used');
    const remaining = granted.recoveryCodesRemaining;
    if (remaining === null) throw new Error('the store did not count the recovery codes left');
    emit(context, 'recoveryCodeUsed', {
      organizationId: member.organizationId,
      memberId: member.memberId,
      at: new Date(nowMs),
      totpRegistrationId: registration.totpRegistrationId,
      remaining,
    });
    return { ...mfaSuccessResponse(context, attempt, granted, options), recovery_codes_remaining: remaining };
  } catch (error) {
    throw failedAttempt(context, attempt, error);
  }
}
