// Contract suite "races": the same code, recovery code or IST sent many times at once through the service. Exactly one
// request wins; the losers write nothing (no second session, no settings changed, no proof spent for nothing).

import { expect } from 'vitest';
import type { SuiteContext } from '../harness';
import { enrollment, errorTypeOf } from '../fixtures';

/**
 * The losers of a race of 20 requests, each reserving an attempt under the default limit of 10: at most 9 are
 * evaluated and refused with `refusal`; the one that took the 10th place and lost answers the lock, as does every
 * request past the limit (refused before its code was looked at).
 */
function expectRefusedOrLocked(results: string[], refusal: string): void {
  const losers = results.filter((r) => r !== 'succeeded');
  expect(losers.every((r) => r === refusal || r === 'user_lock_limit_reached')).toBe(true);
  expect(losers.filter((r) => r === refusal).length).toBeLessThanOrEqual(9);
}

export function racesSuite({ h, test }: SuiteContext): void {
  const { code, ist, pending, active } = enrollment(h);

  test('of 20 concurrent authenticates with one code and 20 ISTs, exactly one succeeds and one session is stored', async () => {
    const e = await pending();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => ist(e.organizationId, e.memberId)));
    const theCode = code(e.secret);
    const results = await Promise.all(
      tokens.map((t) =>
        errorTypeOf(
          h().service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: theCode,
            intermediate_session_token: t,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
    expectRefusedOrLocked(results, 'totp_code_already_authenticated');
    // One session was stored, the winner's; every loser wrote nothing.
    expect(JSON.stringify(await h().dump()).match(/member-session-test-[0-9a-f-]{36}/g)).toHaveLength(1);
  });

  test('of 20 concurrent step-ups of one member session with one code, exactly one succeeds', async () => {
    const e = await active();
    const theCode = code(e.secret);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        errorTypeOf(
          h().service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: theCode,
            session_token: e.sessionToken,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
    expectRefusedOrLocked(results, 'totp_code_already_authenticated');
  });

  test('of 20 concurrent recovers with one recovery code, exactly one succeeds and one code is spent', async () => {
    const e = await active();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => ist(e.organizationId, e.memberId)));
    const results = await Promise.all(
      tokens.map((t) =>
        h()
          .service.recoveryCodes.recover({
            organization_id: e.organizationId,
            member_id: e.memberId,
            recovery_code: e.recoveryCodes[3]!,
            intermediate_session_token: t,
          })
          .then(
            (r) => r.recovery_codes_remaining,
            (error: { error_type?: string }) => error.error_type,
          ),
      ),
    );
    expect(results.filter((r) => r === 9)).toHaveLength(1);
    expectRefusedOrLocked(results.filter((r) => r !== 9).map(String), 'unable_to_authenticate_recovery_code');
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(9);
  });

  test('turns one IST into exactly one session under concurrency, and the losers keep their codes', async () => {
    const e = await active();
    const token = await ist(e.organizationId, e.memberId);
    const results = await Promise.all(
      e.recoveryCodes.map((recovery_code) =>
        errorTypeOf(
          h().service.recoveryCodes.recover({
            organization_id: e.organizationId,
            member_id: e.memberId,
            recovery_code,
            intermediate_session_token: token,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
    expectRefusedOrLocked(results, 'intermediate_session_not_found');
    // The exchange spends the code with the IST: the requests that lost the IST kept their codes.
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(9);
  });

  test('a step-up whose member session is revoked while it runs fails, and its code (or recovery code) stays unspent', async () => {
    const e = await active();
    const repo = h().repository;
    const { member_session } = await h().service.sessions.authenticate({ session_token: e.sessionToken });
    const realBegin = repo.beginMfaAttempt;
    // The session is read live, then revoked before the request's write, as a concurrent revoke would.
    repo.beginMfaAttempt = async (query) => {
      const found = await realBegin.call(repo, query);
      await repo.revokeMemberSessions({ memberSessionId: member_session.member_session_id }, new Date(h().now()));
      return found;
    };
    const theCode = code(e.secret);
    const ids = { organization_id: e.organizationId, member_id: e.memberId };
    try {
      expect(await errorTypeOf(h().service.totps.authenticate({ ...ids, code: theCode, session_token: e.sessionToken }))).toBe(
        'session_not_found',
      );
      expect(
        await errorTypeOf(h().service.recoveryCodes.recover({ ...ids, recovery_code: e.recoveryCodes[2]!, session_token: e.sessionToken })),
      ).toBe('session_not_found');
    } finally {
      repo.beginMfaAttempt = realBegin;
    }
    // Neither proof was spent: both still work, with an IST.
    expect(
      await errorTypeOf(
        h().service.totps.authenticate({ ...ids, code: theCode, intermediate_session_token: await ist(e.organizationId, e.memberId) }),
      ),
    ).toBe('succeeded');
    const recovered = await h().service.recoveryCodes.recover({
      ...ids,
      recovery_code: e.recoveryCodes[2]!,
      intermediate_session_token: await ist(e.organizationId, e.memberId),
    });
    expect(recovered.recovery_codes_remaining).toBe(9);
  });

  test("a request that loses the race for its step changes none of the member's settings", async () => {
    const e = await active();
    const repo = h().repository;
    const theCode = code(e.secret);
    const realBegin = repo.beginMfaAttempt;
    // Another request takes the step after this one has read the registration, as a concurrent winner would.
    repo.beginMfaAttempt = async (query) => {
      const found = await realBegin.call(repo, query);
      repo.beginMfaAttempt = realBegin;
      const winner = await h().service.totps.authenticate({
        organization_id: e.organizationId,
        member_id: e.memberId,
        code: theCode,
        intermediate_session_token: await ist(e.organizationId, e.memberId),
      });
      expect(winner.status_code).toBe(200);
      return found;
    };
    const before = await repo.findMember(e.organizationId, { by: 'id', value: e.memberId });
    try {
      expect(
        await errorTypeOf(
          h().service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: theCode,
            session_token: e.sessionToken,
            set_mfa_enrollment: 'enroll',
          }),
        ),
      ).toBe('totp_code_already_authenticated');
    } finally {
      repo.beginMfaAttempt = realBegin;
    }
    const after = await repo.findMember(e.organizationId, { by: 'id', value: e.memberId });
    expect(after).toMatchObject({ mfaEnrolled: before!.mfaEnrolled, defaultMfaMethod: before!.defaultMfaMethod });
    // The winner's success, written after this request's reservation, cleared the count: this one wrote nothing after.
    expect(after!.failedMfaAttempts).toBe(0);
  });
}
