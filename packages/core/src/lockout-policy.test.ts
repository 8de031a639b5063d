import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLocked, nextLockoutState, resolveLockoutPolicy, type LockoutState } from './lockout-policy';

const fresh: LockoutState = { failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null };
const policyArb = fc.record({ maxFailedAttempts: fc.integer({ min: 1, max: 100 }), lockDurationMinutes: fc.integer({ min: 1, max: 10_080 }) });

describe('lockout policy', () => {
  it('locks on exactly the max-th consecutive failure, for the configured time', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 2 ** 40 }), (policy, now) => {
        let state = fresh;
        for (let i = 1; i < policy.maxFailedAttempts; i++) {
          const next = nextLockoutState(state, now, 'failure', policy);
          expect(next.lockStarted).toBe(false);
          expect(next.state.failedAttempts).toBe(i);
          state = next.state;
        }
        const last = nextLockoutState(state, now, 'failure', policy);
        expect(last.lockStarted).toBe(true);
        expect(last.state.lockExpiresAt!.getTime() - now).toBe(policy.lockDurationMinutes * 60_000);
        expect(isLocked(last.state, now)).toBe(true);
        expect(isLocked(last.state, now + policy.lockDurationMinutes * 60_000 - 1)).toBe(true);
        expect(isLocked(last.state, now + policy.lockDurationMinutes * 60_000)).toBe(false);
      }),
    );
  });

  it('a success resets the count, whatever came before', () => {
    fc.assert(
      fc.property(policyArb, fc.array(fc.constantFrom('success', 'failure') as fc.Arbitrary<'success' | 'failure'>), (policy, outcomes) => {
        let state = fresh;
        let now = 0;
        for (const outcome of outcomes) {
          now += 1000;
          state = nextLockoutState(state, now, outcome, policy).state;
        }
        const after = nextLockoutState(state, now + 10_080 * 60_000, 'success', policy).state;
        expect(after).toEqual(fresh);
      }),
    );
  });

  it('never changes the state of a locked member (no extension, no reset, no count)', () => {
    fc.assert(
      fc.property(policyArb, fc.constantFrom('success', 'failure') as fc.Arbitrary<'success' | 'failure'>, (policy, outcome) => {
        const locked: LockoutState = { failedAttempts: 0, lockCreatedAt: new Date(0), lockExpiresAt: new Date(60_000) };
        expect(nextLockoutState(locked, 30_000, outcome, policy)).toEqual({ state: locked, lockStarted: false });
      }),
    );
  });

  it('counts from zero again once a lock has run out', () => {
    const policy = resolveLockoutPolicy({ maxFailedAttempts: 3 });
    const expired: LockoutState = { failedAttempts: 0, lockCreatedAt: new Date(0), lockExpiresAt: new Date(1000) };
    expect(nextLockoutState(expired, 1000, 'failure', policy).state.failedAttempts).toBe(1);
  });

  it('validates the settings', () => {
    expect(resolveLockoutPolicy()).toEqual({ maxFailedAttempts: 10, lockDurationMinutes: 60 });
    for (const bad of [{ maxFailedAttempts: 0 }, { maxFailedAttempts: 101 }, { maxFailedAttempts: 2.5 }, { lockDurationMinutes: 0 }, { lockDurationMinutes: Number.NaN }]) {
      expect(() => resolveLockoutPolicy(bad)).toThrow(RangeError);
    }
  });
});
