// The lockout policy: consecutive MFA failures per member lock the member for a while (docs/http-api.md, 429
// `user_lock_limit_reached`). A pure function of (state, now, outcome); the counting itself is atomic in the repository.

export interface LockoutPolicy {
  /** Consecutive failures that start a lock, 1..100. Default 10. */
  maxFailedAttempts: number;
  /** How long a lock lasts, 1..10080 minutes (a week). Default 60. */
  lockDurationMinutes: number;
}

export interface LockoutState {
  failedAttempts: number;
  lockCreatedAt: Date | null;
  lockExpiresAt: Date | null;
}

export type LockoutOutcome = 'success' | 'failure';

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
    throw new RangeError(
      `lockout.lockDurationMinutes must be an integer from 1 to 10080, got ${String(lockDurationMinutes)}`,
    );
  }
  return { maxFailedAttempts, lockDurationMinutes };
}

/** True while a lock is in force: from its creation until (not including) its expiry. */
export function isLocked(state: LockoutState, nowMs: number): boolean {
  return state.lockExpiresAt !== null && nowMs < state.lockExpiresAt.getTime();
}

/**
 * The state after an attempt with `outcome` at `nowMs`. A locked member's state never changes (the service refuses
 * them before any code is checked); a success clears everything; a failure counts, and the failure that reaches
 * the limit starts a lock and clears the count, so a member has a fresh allowance once the lock runs out.
 */
export function nextLockoutState(
  state: LockoutState,
  nowMs: number,
  outcome: LockoutOutcome,
  policy: LockoutPolicy,
): { state: LockoutState; lockStarted: boolean } {
  if (isLocked(state, nowMs)) return { state, lockStarted: false };
  if (outcome === 'success') {
    return { state: { failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null }, lockStarted: false };
  }
  const failedAttempts = state.failedAttempts + 1;
  if (failedAttempts >= policy.maxFailedAttempts) {
    return {
      state: {
        failedAttempts: 0,
        lockCreatedAt: new Date(nowMs),
        lockExpiresAt: new Date(nowMs + policy.lockDurationMinutes * 60_000),
      },
      lockStarted: true,
    };
  }
  return { state: { failedAttempts, lockCreatedAt: null, lockExpiresAt: null }, lockStarted: false };
}
