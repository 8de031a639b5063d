import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attemptReservation,
  isLocked,
  lockoutAfterSuccess,
  reserveAttempt,
  resolveLockoutPolicy,
  type LockoutPolicy,
  type LockoutState,
} from './lockout-policy';

const fresh: LockoutState = { failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null };
const policyArb = fc.record({
  maxFailedAttempts: fc.integer({ min: 1, max: 100 }),
  lockDurationMinutes: fc.integer({ min: 1, max: 10_080 }),
});

function reserve(state: LockoutState, nowMs: number, policy: LockoutPolicy) {
  return reserveAttempt(state, attemptReservation(nowMs, policy));
}

describe('lockout policy', () => {
  it('reserves exactly the limit at one moment; the last one starts the lock for the configured time', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 2 ** 40 }), (policy, now) => {
        let state = fresh;
        for (let i = 1; i < policy.maxFailedAttempts; i++) {
          const next = reserve(state, now, policy);
          expect(next).toMatchObject({ reserved: true, lockStarted: false, state: { failedAttempts: i } });
          if (next.reserved) state = next.state;
        }
        const last = reserve(state, now, policy);
        if (!last.reserved) throw new Error('the last place was refused');
        expect(last.lockStarted).toBe(true);
        expect(last.state.lockCreatedAt!.getTime()).toBe(now);
        expect(last.state.lockExpiresAt!.getTime() - now).toBe(policy.lockDurationMinutes * 60_000);
        expect(isLocked(last.state, now)).toBe(true);
        expect(isLocked(last.state, now + policy.lockDurationMinutes * 60_000 - 1)).toBe(true);
        expect(isLocked(last.state, now + policy.lockDurationMinutes * 60_000)).toBe(false);
        expect(reserve(last.state, now, policy)).toEqual({ reserved: false });
      }),
    );
  });

  it('never reserves more than the limit between two successes, whatever the order of reservations and outcomes', () => {
    // Reservations are made and settled in any interleaving (as concurrent requests would); a failure writes nothing.
    type Step = { kind: 'reserve' } | { kind: 'succeed'; pick: number } | { kind: 'fail'; pick: number } | { kind: 'wait'; ms: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'reserve' } as const),
      fc.record({ kind: fc.constant('succeed' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 120 * 60_000 }) }),
    );
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 300 }), (policy, steps) => {
        let state = fresh;
        let now = 0;
        const inFlight: Array<{ startedLockAt: Date | null }> = [];
        let reservedSinceReset = 0;
        for (const step of steps) {
          if (step.kind === 'wait') {
            now += step.ms;
          } else if (step.kind === 'reserve') {
            const wasLocked = isLocked(state, now);
            const result = reserve(state, now, policy);
            expect(result.reserved).toBe(!wasLocked);
            if (!result.reserved) continue;
            if (state.lockExpiresAt !== null) reservedSinceReset = 0; // a lock ran out: a fresh window
            state = result.state;
            reservedSinceReset += 1;
            inFlight.push({ startedLockAt: result.lockStarted ? new Date(now) : null });
          } else if (inFlight.length > 0) {
            const [attempt] = inFlight.splice(step.pick % inFlight.length, 1);
            if (step.kind === 'fail') continue;
            const before = state;
            state = lockoutAfterSuccess(state, new Date(now), attempt!.startedLockAt);
            const ownLock = attempt!.startedLockAt !== null && before.lockCreatedAt?.getTime() === attempt!.startedLockAt.getTime();
            if (isLocked(before, now) && !ownLock) expect(state).toBe(before);
            else reservedSinceReset = 0;
          }
          expect(reservedSinceReset).toBeLessThanOrEqual(policy.maxFailedAttempts);
          expect(state.failedAttempts).toBeLessThanOrEqual(policy.maxFailedAttempts);
        }
      }),
    );
  });

  it('a success clears the count and its own lock, never a lock another attempt started', () => {
    const at = new Date(1_000);
    const lock: LockoutState = { failedAttempts: 10, lockCreatedAt: new Date(500), lockExpiresAt: new Date(60_000) };
    expect(lockoutAfterSuccess(lock, at, new Date(500))).toEqual(fresh);
    expect(lockoutAfterSuccess(lock, at, null)).toBe(lock);
    expect(lockoutAfterSuccess(lock, at, new Date(499))).toBe(lock);
    expect(lockoutAfterSuccess({ failedAttempts: 4, lockCreatedAt: null, lockExpiresAt: null }, at, null)).toEqual(fresh);
    // A lock that has run out is no obstacle.
    expect(lockoutAfterSuccess(lock, new Date(60_000), null)).toEqual(fresh);
  });

  it('counts from zero again once a lock has run out', () => {
    const policy = resolveLockoutPolicy({ maxFailedAttempts: 3 });
    const expired: LockoutState = { failedAttempts: 3, lockCreatedAt: new Date(0), lockExpiresAt: new Date(1000) };
    expect(reserve(expired, 999, policy)).toEqual({ reserved: false });
    expect(reserve(expired, 1000, policy)).toEqual({
      reserved: true,
      lockStarted: false,
      state: { failedAttempts: 1, lockCreatedAt: null, lockExpiresAt: null },
    });
  });

  it('validates the settings', () => {
    expect(resolveLockoutPolicy()).toEqual({ maxFailedAttempts: 10, lockDurationMinutes: 60 });
    for (const bad of [
      { maxFailedAttempts: 0 },
      { maxFailedAttempts: 101 },
      { maxFailedAttempts: 2.5 },
      { lockDurationMinutes: 0 },
      { lockDurationMinutes: Number.NaN },
    ]) {
      expect(() => resolveLockoutPolicy(bad)).toThrow(RangeError);
    }
  });
});
