// What every MFA attempt (a TOTP code, a recovery code) shares: one read that also reserves the attempt, the checks in
// their order, the grant that spends the code with the session in one write, and what a failure or a success answers.

import { hashToken, newOpaqueToken } from '../crypto/tokens';
import { TotpError } from '../domain/errors';
import { isExpiredPending } from '../domain/expiry-policy';
import { memberLookups, organizationLookups } from '../domain/identifiers';
import { attemptReservation, isLocked } from '../domain/lockout-policy';
import type { AuthenticationFactor, MemberRecord, MemberSessionRecord, OrganizationRecord, TotpRegistrationRecord } from '../domain/model';
import {
  toMemberObject,
  toMemberSessionObject,
  toOrganizationObject,
  type MemberObject,
  type MemberSessionObject,
  type OrganizationObject,
} from '../domain/objects';
import type { MemberPatch, MfaAttemptContext, MfaAttemptQuery, MfaSpend, PresentedSession } from '../domain/repository';
import { signSessionJwt } from '../domain/session-jwt';
import { type CallOptions, type ServiceContext, emit, newIdFor, requestIdFor } from './context';
import {
  DEFAULT_SESSION_DURATION_MINUTES,
  type PresentedTokens,
  type RequestBody,
  readCustomClaims,
  readPresentedTokens,
  readSessionDurationMinutes,
  requiredString,
} from './request-fields';
import {
  assertActiveMember,
  assertNotDeleted,
  assertOwnedBy,
  assertSameSession,
  intermediateSessionNotFound,
  liveIntermediateSession,
  liveMemberSession,
  memberNotFound,
  memberSessionLookup,
  organizationNotFound,
  resolveOrganization,
  sessionNotFound,
} from './resolve';

/** The fields every MFA attempt's request has, parsed. */
export interface MfaAttemptInput {
  organizationIdentifier: string;
  memberIdentifier: string;
  tokens: PresentedTokens;
  sessionDurationMinutes: number | undefined;
  customClaims: Record<string, unknown> | undefined;
}

export function readMfaAttemptFields(body: RequestBody): MfaAttemptInput {
  return {
    organizationIdentifier: requiredString(body, 'organization_id'),
    memberIdentifier: requiredString(body, 'member_id'),
    tokens: readPresentedTokens(body),
    sessionDurationMinutes: readSessionDurationMinutes(body),
    customClaims: readCustomClaims(body),
  };
}

/** Where the attempt's factor goes: an IST to exchange, or a member session to extend. */
export type MfaTarget =
  | { kind: 'intermediate'; tokenHash: string; authenticationFactors: AuthenticationFactor[] }
  | { kind: 'member'; session: MemberSessionRecord; sessionToken: string };

/** Everything an attempt has established, its attempt reserved, before it looks at the code. */
export interface MfaAttempt {
  input: MfaAttemptInput;
  organization: OrganizationRecord;
  member: MemberRecord;
  registration: TotpRegistrationRecord;
  target: MfaTarget;
  /** When this attempt's reservation started the lock, the lock's start: it alone may lift it by succeeding. */
  startedLockAt: Date | null;
  lockExpiresAt: Date;
  nowMs: number;
}

const lockedError = () => new TotpError('user_lock_limit_reached', 'too many failed attempts: the member is locked, try again later');

/**
 * Reads the attempt's organization, member, registrations and presented session, and reserves the attempt, in one
 * store call (another only when an identifier is not an ID and its first lookup misses). Then the checks, in this
 * order: organization and member found, member active, not locked, a session presented that is live and this
 * member's (401, 403), a registration to check the code against, and finally the reservation itself.
 */
export async function beginMfaAttempt(
  context: ServiceContext,
  input: MfaAttemptInput,
  registration: MfaAttemptQuery['registration'],
): Promise<MfaAttempt> {
  const nowMs = context.clock();
  const reservation = attemptReservation(nowMs, context.lockout);
  const { tokens } = input;
  let session: PresentedSession | undefined;
  let jwtSessionId: string | undefined;
  let jwtRefused = false;
  if (tokens.intermediateSessionToken !== undefined) {
    session = { kind: 'intermediate', tokenHash: hashToken(context.crypto, tokens.intermediateSessionToken) };
  } else if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    try {
      const found = memberSessionLookup(context, tokens);
      jwtSessionId = found.jwtSessionId;
      session = { kind: 'member', ...found.lookup };
    } catch (error) {
      // A JWT that does not verify is reported after the member's own checks, as any unknown session is.
      if (!(error instanceof TotpError)) throw error;
      jwtRefused = true;
    }
  }

  const memberOptions = memberLookups(input.memberIdentifier);
  if (memberOptions.length === 0) {
    // No member can match, but an unknown organization is still the error to report first.
    await resolveOrganization(context, input.organizationIdentifier);
    throw memberNotFound();
  }
  let found: MfaAttemptContext | undefined;
  search: for (const organization of organizationLookups(input.organizationIdentifier)) {
    for (const member of memberOptions) {
      const query: MfaAttemptQuery = { organization, member, registration, reservation, ...(session === undefined ? {} : { session }) };
      found = await context.repository.beginMfaAttempt(query);
      if (found.organization === null) continue search;
      if (found.member !== null) break search;
    }
    throw memberNotFound();
  }
  if (found === undefined || found.organization === null || found.member === null) throw organizationNotFound();

  const { organization, registrations } = found;
  const member = assertNotDeleted(found.member);
  assertActiveMember(member);
  if (
    isLocked({ failedAttempts: member.failedMfaAttempts, lockCreatedAt: member.lockCreatedAt, lockExpiresAt: member.lockExpiresAt }, nowMs)
  ) {
    throw lockedError();
  }
  const target = mfaTarget(found, tokens, member, nowMs, jwtSessionId, jwtRefused);
  const checked = registrationToCheck(registrations, registration, nowMs);

  if (found.reservation === null) {
    throw new Error('the store reserved no attempt although every condition of beginMfaAttempt held');
  }
  if (found.reservation.status === 'locked') throw lockedError();
  return {
    input,
    organization,
    member,
    registration: checked,
    target,
    startedLockAt: found.reservation.lockStarted ? reservation.at : null,
    lockExpiresAt: reservation.lockExpiresAt,
    nowMs,
  };
}

function mfaTarget(
  found: MfaAttemptContext,
  tokens: PresentedTokens,
  member: MemberRecord,
  nowMs: number,
  jwtSessionId: string | undefined,
  jwtRefused: boolean,
): MfaTarget {
  if (tokens.intermediateSessionToken !== undefined) {
    const ist = liveIntermediateSession(found.intermediateSession, nowMs);
    assertOwnedBy(ist, member);
    return { kind: 'intermediate', tokenHash: ist.tokenHash, authenticationFactors: ist.authenticationFactors };
  }
  if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    if (jwtRefused) throw sessionNotFound();
    assertSameSession(found.memberSession, jwtSessionId);
    const session = liveMemberSession(found.memberSession, nowMs);
    assertOwnedBy(session, member);
    return { kind: 'member', session, sessionToken: tokens.sessionToken ?? '' };
  }
  throw new TotpError(
    'no_associated_session_passed_in',
    'pass an intermediate_session_token, session_token or session_jwt to attach the factor to',
  );
}

/** The registration a code is checked against: the active one, else (TOTP codes only) a pending one not yet expired. */
function registrationToCheck(
  registrations: MfaAttemptContext['registrations'],
  needs: MfaAttemptQuery['registration'],
  nowMs: number,
): TotpRegistrationRecord {
  if (registrations.active !== null) return registrations.active;
  if (registrations.pending === null) throw new TotpError('totp_not_found', 'the member has no TOTP registration');
  if (isExpiredPending(registrations.pending, nowMs)) {
    throw new TotpError('expired_totp', 'the TOTP registration expired before it was authenticated; create a new one');
  }
  if (needs === 'active') throw new TotpError('totp_not_found', 'recovery codes work once the TOTP registration is active');
  return registrations.pending;
}

/**
 * What a reserved attempt that did not succeed answers, given what it failed with: that, unless this attempt took the
 * last place and was refused (a wrong or replayed code, a lost race, a session gone meanwhile): its reservation started
 * the lock, which now stands, so it answers the lock error and reports `lockoutStarted`. Nothing to write: the
 * reservation already counted it. An unexpected failure (a store error) is passed on as it is.
 */
export function failedAttempt(context: ServiceContext, attempt: MfaAttempt, failure: unknown): unknown {
  if (attempt.startedLockAt === null || !(failure instanceof TotpError)) return failure;
  emit(context, 'lockoutStarted', {
    organizationId: attempt.member.organizationId,
    memberId: attempt.member.memberId,
    at: new Date(attempt.startedLockAt),
    lockExpiresAt: new Date(attempt.lockExpiresAt),
  });
  return lockedError();
}

/** A granted attempt: the session as it now stands, its token and JWT, and the member as it now stands. */
export interface GrantedAttempt {
  session: MemberSessionRecord;
  sessionToken: string;
  sessionJwt: string;
  member: MemberRecord;
  recoveryCodesRemaining: number | null;
}

/**
 * Attaches `factor` to the attempt's target and spends `spend` in one atomic write, with the member's success write
 * (its count cleared, `patch` applied). Null when the store refused the spend: nothing was written, and the caller
 * answers its own error. A session gone meanwhile is `session_not_found` / `intermediate_session_not_found`.
 */
export async function grantAttempt(
  context: ServiceContext,
  attempt: MfaAttempt,
  spend: MfaSpend,
  factor: AuthenticationFactor,
  patch: MemberPatch | undefined,
): Promise<GrantedAttempt | null> {
  const { target, nowMs, input, member } = attempt;
  const at = new Date(nowMs);
  const expiresAt = new Date(nowMs + (input.sessionDurationMinutes ?? DEFAULT_SESSION_DURATION_MINUTES) * 60_000);
  let sessionToken: string;
  let grantTarget;
  if (target.kind === 'intermediate') {
    sessionToken = newOpaqueToken(context.crypto);
    const session: MemberSessionRecord = {
      memberSessionId: newIdFor(context, 'member-session'),
      tokenHash: hashToken(context.crypto, sessionToken),
      organizationId: member.organizationId,
      memberId: member.memberId,
      startedAt: at,
      lastAccessedAt: at,
      expiresAt,
      authenticationFactors: [...target.authenticationFactors, factor],
      customClaims: input.customClaims ?? {},
      revokedAt: null,
    };
    grantTarget = { kind: 'exchange', intermediateSessionTokenHash: target.tokenHash, session } as const;
  } else {
    sessionToken = target.sessionToken;
    grantTarget = {
      kind: 'extend',
      memberSessionId: target.session.memberSessionId,
      expiresAt,
      factor,
      ...(input.customClaims === undefined ? {} : { customClaims: input.customClaims }),
    } as const;
  }
  const result = await context.repository.grantMfaSession({
    at,
    spend,
    target: grantTarget,
    member: {
      organizationId: member.organizationId,
      memberId: member.memberId,
      startedLockAt: attempt.startedLockAt,
      ...(patch === undefined ? {} : { patch }),
    },
  });
  if (result.status === 'spend_refused') return null;
  if (result.status === 'session_not_found') throw target.kind === 'intermediate' ? intermediateSessionNotFound() : sessionNotFound();
  return {
    session: result.session,
    sessionToken,
    sessionJwt: signSessionJwt(result.session, attempt.organization, context.sessionJwt, nowMs),
    member: result.member,
    recoveryCodesRemaining: result.recoveryCodesRemaining,
  };
}

/** What authenticate and recover both answer after a success, before their own fields. */
export interface MfaSuccessResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  /** The opaque token; `""` when the caller presented only a JWT (the store keeps no token in clear to return). */
  session_token: string;
  session_jwt: string;
  member_session: MemberSessionObject;
  status_code: 200;
}

export function mfaSuccessResponse(
  context: ServiceContext,
  attempt: MfaAttempt,
  granted: GrantedAttempt,
  options: CallOptions | undefined,
): MfaSuccessResponse {
  return {
    request_id: requestIdFor(context, options),
    member_id: granted.member.memberId,
    member: toMemberObject(granted.member, attempt.nowMs),
    organization: toOrganizationObject(attempt.organization),
    session_token: granted.sessionToken,
    session_jwt: granted.sessionJwt,
    member_session: toMemberSessionObject(granted.session, attempt.organization),
    status_code: 200,
  };
}
