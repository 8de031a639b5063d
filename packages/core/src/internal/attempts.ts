// What every MFA attempt (TOTP or recovery code) shares: refuse locked members, count failures, reset on success.
// The count lives in the repository (atomic increment), so every process sharing the store sees the same one.

import { TotpError } from '../errors';
import { assertActiveMember, resolveMember, resolveOrganization } from '../identifiers';
import { isLocked, nextLockoutState } from '../lockout-policy';
import type { MemberRecord, OrganizationRecord } from '../model';
import {
  type MfaTarget,
  parseCustomClaims,
  parseSessionDurationMinutes,
  readPresentedTokens,
  requireMfaTarget,
} from '../sessions';
import { type ServiceContext, emit } from './context';
import { type RequestBody, requiredString } from './request';

/** Everything an MFA attempt (authenticate or recover) has established before it looks at the code. */
export interface MfaAttempt {
  organization: OrganizationRecord;
  member: MemberRecord;
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
  const organization = await resolveOrganization(context.repository, organizationIdentifier);
  const member = await resolveMember(context.repository, organization, memberIdentifier);
  const nowMs = context.clock();
  assertActiveMember(member);
  assertNotLocked(member, nowMs);
  const target = await requireMfaTarget(context, tokens, member, nowMs);
  return { organization, member, target, durationMinutes, customClaims, nowMs };
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

/** Counts a failed attempt and returns the error to throw: `failure`, or the lock error when this one hit the limit. */
export async function recordFailedAttempt(context: ServiceContext, member: MemberRecord, failure: TotpError, nowMs: number): Promise<TotpError> {
  const count = await context.repository.incrementFailedMfaAttempts(member.organizationId, member.memberId);
  if (count === null) return failure;
  const { state, lockStarted } = nextLockoutState(
    { failedAttempts: count - 1, lockCreatedAt: null, lockExpiresAt: null },
    nowMs,
    'failure',
    context.lockout,
  );
  if (!lockStarted || state.lockCreatedAt === null || state.lockExpiresAt === null) return failure;
  const locked = await context.repository.lockMember(member.organizationId, member.memberId, state.lockCreatedAt, state.lockExpiresAt);
  if (locked) {
    emit(context, 'lockoutStarted', {
      organizationId: member.organizationId,
      memberId: member.memberId,
      at: new Date(nowMs),
      lockExpiresAt: state.lockExpiresAt,
    });
  }
  return lockedError();
}

/**
 * A success clears the count (and a lock that has run out), skipping the write when there is nothing to clear.
 * Returns the member as it now stands, so callers need not read it back.
 */
export async function recordSuccessfulAttempt(context: ServiceContext, member: MemberRecord): Promise<MemberRecord> {
  if (member.failedMfaAttempts === 0 && member.lockExpiresAt === null) return member;
  await context.repository.resetFailedMfaAttempts(member.organizationId, member.memberId);
  return { ...member, failedMfaAttempts: 0, lockCreatedAt: null, lockExpiresAt: null };
}
