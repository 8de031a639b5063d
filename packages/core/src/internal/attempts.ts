// What every MFA attempt (TOTP or recovery code) shares: refuse locked members, count failures, reset on success.
// The count lives in the repository (atomic increment), so every process sharing the store sees the same one.

import { TotpError } from '../errors';
import { isLocked, nextLockoutState } from '../lockout-policy';
import type { MemberRecord } from '../model';
import { type ServiceContext, emit } from './context';

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
