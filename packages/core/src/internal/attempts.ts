// What every MFA attempt (TOTP or recovery code) shares: reserve the attempt before its code is evaluated (refusing a
// locked member), report a failure, clear the count on success. The count lives in the store, shared by every process.

import { TotpError } from '../errors';
import {
  assertActiveMember,
  assertNotDeleted,
  memberNotFound,
  nextMemberLookup,
  nextOrganizationLookup,
  organizationNotFound,
  resolveOrganization,
} from '../identifiers';
import { attemptReservation, isLocked } from '../lockout-policy';
import { type MemberObject, type OrganizationObject, toMemberObject, toOrganizationObject } from '../api-objects';
import type { AuthenticationFactor, MemberRecord, OrganizationRecord } from '../model';
import type { ExchangeSpend, MemberLookup, MemberRegistrations, MfaContext, MfaContextQuery, OrganizationLookup } from '../repository';
import {
  type GrantedSession,
  type MfaTarget,
  parseCustomClaims,
  type SessionGrant,
  grantSession,
  parseSessionDurationMinutes,
  prefetchedMfaTarget,
  readPresentedTokens,
  requireMfaTarget,
} from '../sessions';
import { hashToken } from '../tokens';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './context';
import { type RequestBody, requiredString } from './request';

/** Everything an MFA attempt (authenticate or recover) has established before it looks at the code. */
export interface MfaAttempt {
  organization: OrganizationRecord;
  member: MemberRecord;
  /** The member's registrations, read with the member. */
  registrations: MemberRegistrations;
  target: MfaTarget;
  durationMinutes: number | undefined;
  customClaims: Record<string, unknown> | undefined;
  nowMs: number;
}

/**
 * The checks every MFA attempt makes, in this order: the request's own fields (the code is read by the caller,
 * before this), the member (active, not locked: refused before any code is checked), then the session to attach the
 * factor to (unknown 401, another member's 403, none 400).
 */
export async function beginMfaAttempt(context: ServiceContext, body: RequestBody): Promise<MfaAttempt> {
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const tokens = readPresentedTokens(body);
  const durationMinutes = parseSessionDurationMinutes(body);
  const customClaims = parseCustomClaims(body);
  // The organization, member, registrations and presented sessions in one repository call (one round trip on SQL
  // stores) when the identifiers match on their first lookup, which is the common case (IDs); another call per
  // fallback lookup otherwise. Same answers, in the same order of checks, as resolveOrganization + resolveMember.
  // Written out here rather than in a helper: each async call in between would cost a promise and an await.
  let organizationLookup = nextOrganizationLookup(organizationIdentifier);
  let memberLookup = nextMemberLookup(memberIdentifier);
  if (memberLookup === undefined) {
    // No member can match, but an unknown organization is still the error to report first.
    await resolveOrganization(context.repository, organizationIdentifier);
    throw memberNotFound();
  }
  const istHash = tokens.intermediateSessionToken === undefined ? undefined : hashToken(tokens.intermediateSessionToken);
  const sessionHash = tokens.sessionToken === undefined ? undefined : hashToken(tokens.sessionToken);
  let found: MfaContext;
  for (;;) {
    if (organizationLookup === undefined) throw organizationNotFound();
    if (memberLookup === undefined) throw memberNotFound();
    found = await context.repository.findMfaContext(mfaContextQuery(organizationLookup, memberLookup, istHash, sessionHash));
    if (found.organization === null) {
      organizationLookup = nextOrganizationLookup(organizationIdentifier, organizationLookup.by);
    } else if (found.member === null) {
      memberLookup = nextMemberLookup(memberIdentifier, memberLookup.by);
    } else {
      break;
    }
  }
  const { organization, member, registrations } = found;
  assertNotDeleted(member);
  const nowMs = context.clock();
  assertActiveMember(member);
  assertNotLocked(member, nowMs);
  // The sessions read with the member settle the common cases without a promise per step.
  const target = prefetchedMfaTarget(tokens, member, nowMs, found) ?? (await requireMfaTarget(context, tokens, member, nowMs, found));
  return { organization, member, registrations, target, durationMinutes, customClaims, nowMs };
}

/** The query for one pair of lookups, with the presented token's hash, if any (readPresentedTokens allows one kind). */
function mfaContextQuery(
  organization: OrganizationLookup,
  member: MemberLookup,
  intermediateSessionTokenHash: string | undefined,
  memberSessionTokenHash: string | undefined,
): MfaContextQuery {
  const query: MfaContextQuery = { organization, member };
  if (intermediateSessionTokenHash !== undefined) query.intermediateSessionTokenHash = intermediateSessionTokenHash;
  if (memberSessionTokenHash !== undefined) query.memberSessionTokenHash = memberSessionTokenHash;
  return query;
}

function lockedError(): TotpError {
  return new TotpError('user_lock_limit_reached', 'too many failed attempts: the member is locked, try again later');
}

/** Refuses a locked member before any code is looked at. */
export function assertNotLocked(member: MemberRecord, nowMs: number): void {
  if (isLocked({ failedAttempts: member.failedMfaAttempts, lockCreatedAt: member.lockCreatedAt, lockExpiresAt: member.lockExpiresAt }, nowMs)) {
    throw lockedError();
  }
}

/** A reserved attempt: when it started the lock, that lock's creation time (it alone may lift it by succeeding). */
export interface ReservedAttempt {
  startedLockAt: Date | null;
  lockExpiresAt: Date;
}

/**
 * Reserves one attempt for `member` in the store, before its code is evaluated: at most the policy's limit are ever
 * evaluated per lock window, across every process and concurrent request. Throws `user_lock_limit_reached` when a
 * lock is in force, `member_not_found` when the member is gone.
 */
export async function reserveAttempt(context: ServiceContext, member: MemberRecord, nowMs: number): Promise<ReservedAttempt> {
  const reservation = attemptReservation(nowMs, context.lockout);
  const result = await context.repository.reserveMfaAttempt(member.organizationId, member.memberId, reservation);
  if (result === null) throw memberNotFound();
  if (result.status === 'locked') throw lockedError();
  return { startedLockAt: result.lockStarted ? reservation.at : null, lockExpiresAt: reservation.lockExpiresAt };
}

/**
 * What a reserved attempt that did not succeed answers, given what it failed with: that, unless this attempt took the
 * last place and its code was refused (a wrong or replayed code, a lost race, a session gone): its reservation started
 * the lock, which now stands, so it answers the lock error and reports `lockoutStarted`. Nothing to write: the
 * reservation already counted it. An unexpected failure (a store error) is passed on as it is.
 */
export function failedAttempt(context: ServiceContext, member: MemberRecord, attempt: ReservedAttempt, failure: unknown): unknown {
  if (attempt.startedLockAt === null || !(failure instanceof TotpError)) return failure;
  emit(context, 'lockoutStarted', {
    organizationId: member.organizationId,
    memberId: member.memberId,
    at: new Date(attempt.startedLockAt),
    lockExpiresAt: new Date(attempt.lockExpiresAt),
  });
  return lockedError();
}

/**
 * After the winning spend, a success clears the count (and the lock its own reservation started, if it did), never a
 * lock another attempt started. Returns the member as it now stands, so callers need not read it back.
 */
export async function recordSuccessfulAttempt(
  context: ServiceContext,
  member: MemberRecord,
  attempt: ReservedAttempt,
  nowMs: number,
): Promise<MemberRecord> {
  const state = await context.repository.clearMfaAttempts(member.organizationId, member.memberId, new Date(nowMs), attempt.startedLockAt);
  if (state === null) return member;
  return { ...member, failedMfaAttempts: state.failedAttempts, lockCreatedAt: state.lockCreatedAt, lockExpiresAt: state.lockExpiresAt };
}

/** What authenticate and recover both answer after a success, before their own fields. */
export interface MfaSuccessResponse extends SessionGrant {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

/**
 * Attaches `factor` to the attempt's session, an IST exchanged or a member session extended, together with `spend`
 * when given. Null when the store refused the spend (see grantSession).
 */
export function grantMfaSession(
  context: ServiceContext,
  attempt: MfaAttempt,
  factor: AuthenticationFactor,
  spend?: ExchangeSpend,
): Promise<GrantedSession | null> {
  const { organization, target, durationMinutes, customClaims, nowMs } = attempt;
  return grantSession(context, target, factor, organization, { durationMinutes, customClaims, nowMs, spend });
}

/** What every successful MFA attempt answers: the granted session, and `member` as it now stands. */
export function mfaSuccessResponse(
  context: ServiceContext,
  attempt: MfaAttempt,
  grant: SessionGrant,
  member: MemberRecord,
  options: CallOptions | undefined,
): MfaSuccessResponse {
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, attempt.nowMs),
    organization: toOrganizationObject(attempt.organization),
    // Written out rather than spread: one object of its final shape, no properties added one by one.
    session_token: grant.session_token,
    session_jwt: grant.session_jwt,
    member_session: grant.member_session,
    status_code: 200,
  };
}
