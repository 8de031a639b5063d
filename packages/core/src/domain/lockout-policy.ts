// The lockout policy: consecutive MFA failures per member lock the member for a while (docs/http-reference.md, 429
// `user_lock_limit_reached`). Pure functions of (state, reservation); stores apply them atomically (docs/lockout.md).

export interface LockoutPolicy {
  /**
   * Codes (TOTP and recovery codes together) evaluated per member before a lock, counting from the last success, and
   * never more, however many requests arrive at once; 1..100. Default 10.
   */
  maxFailedAttempts: number;
  /** How long a lock lasts, 1..10080 minutes (a week). Default 60. */
  lockDurationMinutes: number;
}

export interface LockoutState {
  failedAttempts: number;
  lockCreatedAt: Date | null;
  lockExpiresAt: Date | null;
}

/**
 * One attempt's reservation, as the store applies it (in `TotpRepository.beginMfaAttempt`): the moment, the limit, and
 * when a lock started by this attempt would end. Computed by core so that no store does time arithmetic.
 */
export interface AttemptReservation {
  at: Date;
  maxFailedAttempts: number;
  lockExpiresAt: Date;
}

export const DEFAULT_LOCKOUT_POLICY: Readonly<LockoutPolicy> = Object.freeze({
  maxFailedAttempts: 10,
  lockDurationMinutes: 60,
});

/** Validates a host's lockout settings, filling defaults. Programmer errors throw RangeError naming the field. */
export function resolveLockoutPolicy(input: Partial<LockoutPolicy> = {}): LockoutPolicy {
  const maxFailedAttempts = input.maxFailedAttempts ?? DEFAULT_LOCKOUT_POLICY.maxFailedAttempts;
  const lockDurationMinutes = input.lockDurationMinutes ?? DEFAULT_LOCKOUT_POLICY.lockDurationMinutes;
  if (!Number.isInteger(maxFailedAttempts) || maxFailedAttempts < 1 || maxFailedAttempts > 100) {
    throw new RangeError(`lockout.maxFailedAttempts must be an integer from 1 to 100, got ${String(maxFailedAttempts)}`);
  }
  if (!Number.isInteger(lockDurationMinutes) || lockDurationMinutes < 1 || lockDurationMinutes > 10_080) {
    throw new RangeError(`lockout.lockDurationMinutes must be an integer from 1 to 10080, got ${String(lockDurationMinutes)}`);
  }
  return { maxFailedAttempts, lockDurationMinutes };
}

/** True while a lock is in force: from its creation until (not including) its expiry. */
export function isLocked(state: LockoutState, nowMs: number): boolean {
  return state.lockExpiresAt !== null && nowMs < state.lockExpiresAt.getTime();
}

/** The reservation of an attempt made at `nowMs` under `policy`. */
export function attemptReservation(nowMs: number, policy: LockoutPolicy): AttemptReservation {
  return {
    at: new Date(nowMs),
    maxFailedAttempts: policy.maxFailedAttempts,
    lockExpiresAt: new Date(nowMs + policy.lockDurationMinutes * 60_000),
  };
}

/**
 * What reserving one MFA attempt does to a member's lockout state. An attempt is reserved before its code is looked
 * at, and stays counted unless it succeeds, so at most `maxFailedAttempts` codes are ever evaluated per lock window,
 * however many requests arrive together:
 * - while a lock is in force, nothing is reserved and nothing changes;
 * - a lock that has run out starts a fresh window (the count starts from zero again);
 * - the attempt that takes the last place starts the lock at once, so no other attempt is reserved while it is
 *   evaluated; if it then succeeds, it alone may lift that lock (see `lockoutAfterSuccess`).
 */
export function reserveAttempt(
  state: LockoutState,
  reservation: AttemptReservation,
): { reserved: false } | { reserved: true; state: LockoutState; lockStarted: boolean } {
  const nowMs = reservation.at.getTime();
  if (isLocked(state, nowMs)) return { reserved: false };
  const failedAttempts = (state.lockExpiresAt === null ? state.failedAttempts : 0) + 1;
  if (failedAttempts >= reservation.maxFailedAttempts) {
    const lock = { lockCreatedAt: new Date(nowMs), lockExpiresAt: new Date(reservation.lockExpiresAt.getTime()) };
    return { reserved: true, state: { failedAttempts, ...lock }, lockStarted: true };
  }
  return { reserved: true, state: { failedAttempts, lockCreatedAt: null, lockExpiresAt: null }, lockStarted: false };
}

/**
 * The state after a successful attempt at `at`: the count and any lock are cleared, unless a lock is in force that
 * this attempt did not start itself (`startedLockAt`: the reservation's `at` when it started one). A success never
 * lifts a lock that another attempt started, so it cannot give a burst of guesses a fresh allowance.
 */
export function lockoutAfterSuccess(state: LockoutState, at: Date, startedLockAt: Date | null): LockoutState {
  const ownLock = startedLockAt !== null && state.lockCreatedAt !== null && state.lockCreatedAt.getTime() === startedLockAt.getTime();
  if (isLocked(state, at.getTime()) && !ownLock) return state;
  return { failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null };
}
