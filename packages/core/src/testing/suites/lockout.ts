// Contract suite "lockout": at most the limit of codes (TOTP and recovery codes together) evaluated per lock window,
// however many requests arrive at once; a lock refuses even a right code until it runs out; a success clears the count.

import { expect } from 'vitest';
import { createTotpService } from '../../service/service';
import type { SuiteContext } from '../harness';
import { MINUTE_MS, enrollment, errorTypeOf } from '../fixtures';
import { CONTRACT_ENCRYPTION_KEYS, CONTRACT_RECOVERY_CODE_PEPPER, CONTRACT_SESSION_SIGNING_KEYS } from '../harness';

export function lockoutSuite({ h, test }: SuiteContext): void {
  const { code, wrongCode, ist, active } = enrollment(h);

  test('locks the member on the 10th refused attempt and refuses even a right code until the lock ends', async () => {
    const e = await active();
    const attempt = async (c: string) =>
      errorTypeOf(
        h().service.totps.authenticate({
          organization_id: e.organizationId,
          member_id: e.memberId,
          code: c,
          intermediate_session_token: await ist(e.organizationId, e.memberId),
        }),
      );
    for (let i = 1; i <= 9; i++) expect(await attempt(wrongCode(e.secret))).toBe('unable_to_authenticate_totp');
    expect(await attempt(wrongCode(e.secret))).toBe('user_lock_limit_reached');
    expect(await attempt(code(e.secret))).toBe('user_lock_limit_reached');
    const { member } = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
    expect(member.is_locked).toBe(true);
    expect(Date.parse(member.lock_expires_at!)).toBe(h().now() + 60 * MINUTE_MS);
    expect(Date.parse(member.lock_created_at!)).toBe(h().now());
    // A right recovery code is not spent while locked.
    expect(
      await errorTypeOf(
        h().service.recoveryCodes.recover({
          organization_id: e.organizationId,
          member_id: e.memberId,
          recovery_code: e.recoveryCodes[0]!,
          session_token: e.sessionToken,
        }),
      ),
    ).toBe('user_lock_limit_reached');
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(10);
    h().advance(60 * MINUTE_MS);
    expect(await attempt(code(e.secret))).toBe('succeeded');
    const after = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
    expect(after.member.is_locked).toBe(false);
    expect(await h().repository.findMember(e.organizationId, { by: 'id', value: e.memberId })).toMatchObject({
      failedMfaAttempts: 0,
      lockExpiresAt: null,
    });
  });

  test('counts wrong recovery codes with TOTP codes, and a success resets the count', async () => {
    const e = await active();
    const recover = (recovery_code: string) =>
      errorTypeOf(
        h().service.recoveryCodes.recover({
          organization_id: e.organizationId,
          member_id: e.memberId,
          recovery_code,
          session_token: e.sessionToken,
        }),
      );
    const totp = (c: string) =>
      errorTypeOf(
        h().service.totps.authenticate({
          organization_id: e.organizationId,
          member_id: e.memberId,
          code: c,
          session_token: e.sessionToken,
        }),
      );
    for (let i = 0; i < 9; i++)
      expect(await (i % 2 ? totp(wrongCode(e.secret)) : recover('aaaa-bbbb-cccc'))).toMatch(/^unable_to_authenticate_/);
    expect(await recover(e.recoveryCodes[0]!)).toBe('succeeded');
    for (let i = 0; i < 9; i++) expect(await recover('aaaa-bbbb-cccc')).toBe('unable_to_authenticate_recovery_code');
    expect(await totp(wrongCode(e.secret))).toBe('user_lock_limit_reached');
  });

  test('a burst of 200 concurrent wrong codes evaluates at most the limit, and refuses the right code sent in its second half', async () => {
    const e = await active();
    const repo = h().repository;
    // Counts the attempts the store let through to evaluation, whatever the requests answer.
    const realBegin = repo.beginMfaAttempt;
    let reserved = 0;
    repo.beginMfaAttempt = async (query) => {
      const found = await realBegin.call(repo, query);
      if (found.reservation?.status === 'reserved') reserved += 1;
      return found;
    };
    try {
      const right = code(e.secret);
      const codes = Array.from({ length: 200 }, (_, i) => (i === 150 ? right : wrongCode(e.secret)));
      const results = await Promise.all(
        codes.map((c) =>
          errorTypeOf(
            h().service.totps.authenticate({
              organization_id: e.organizationId,
              member_id: e.memberId,
              code: c,
              session_token: e.sessionToken,
            }),
          ),
        ),
      );
      expect(results).not.toContain('succeeded');
      expect(reserved).toBe(10);
      expect(results.filter((r) => r === 'unable_to_authenticate_totp').length).toBeLessThanOrEqual(9);
      expect(results.filter((r) => r !== 'unable_to_authenticate_totp').every((r) => r === 'user_lock_limit_reached')).toBe(true);
    } finally {
      repo.beginMfaAttempt = realBegin;
    }
    expect(await repo.findMember(e.organizationId, { by: 'id', value: e.memberId })).toMatchObject({ failedMfaAttempts: 10 });
    // Still refused, right code and all, until the lock runs out.
    expect(
      await errorTypeOf(
        h().service.totps.authenticate({
          organization_id: e.organizationId,
          member_id: e.memberId,
          code: code(e.secret),
          session_token: e.sessionToken,
        }),
      ),
    ).toBe('user_lock_limit_reached');
  });

  test('reports lockoutStarted once, when the attempt that took the last place fails', async () => {
    const started: Array<{ memberId: string; lockExpiresAt: Date }> = [];
    const e = await active();
    // A second service over the same store, with a lower limit and the event handler.
    const service = createTotpService({
      repository: h().repository,
      encryptionKeys: CONTRACT_ENCRYPTION_KEYS,
      recoveryCodePepper: CONTRACT_RECOVERY_CODE_PEPPER,
      sessionSigningKeys: CONTRACT_SESSION_SIGNING_KEYS,
      clock: () => h().now(),
      lockout: { maxFailedAttempts: 3, lockDurationMinutes: 5 },
      events: { lockoutStarted: (event) => void started.push(event) },
    });
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        errorTypeOf(
          service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: wrongCode(e.secret),
            session_token: e.sessionToken,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r === 'unable_to_authenticate_totp')).toHaveLength(2);
    expect(started).toEqual([expect.objectContaining({ memberId: e.memberId, lockExpiresAt: new Date(h().now() + 5 * MINUTE_MS) })]);
  });
}
