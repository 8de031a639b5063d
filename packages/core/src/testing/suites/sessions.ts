// Contract suite "sessions": sessions.authenticate by token or JWT, extension, revocation of one session or of every
// session of a member, expiry to the second, and custom claims that are stored, signed and never override ours.

import { expect } from 'vitest';
import type { SuiteContext } from '../harness';
import { MINUTE_MS, STEP_MS, enrollment, errorTypeOf } from '../fixtures';

export function sessionsSuite({ h, test }: SuiteContext): void {
  const { code, ist, pending, active } = enrollment(h);

  test('authenticates by token or JWT, extends on request, and refuses once revoked', async () => {
    const e = await active();
    const byToken = await h().service.sessions.authenticate({ session_token: e.sessionToken });
    expect(byToken.member_id).toBe(e.memberId);
    h().advance(MINUTE_MS);
    const byJwt = await h().service.sessions.authenticate({
      session_jwt: byToken.session_jwt,
      session_duration_minutes: 120,
      session_custom_claims: { seen: true },
    });
    expect(byJwt.member_session.member_session_id).toBe(byToken.member_session.member_session_id);
    expect(Date.parse(byJwt.member_session.expires_at)).toBe(h().now() + 120 * MINUTE_MS);
    expect(Date.parse(byJwt.member_session.last_accessed_at)).toBe(h().now());
    const stored = await h().repository.findMemberSession({ memberSessionId: byJwt.member_session.member_session_id });
    expect(stored).toMatchObject({ customClaims: { seen: true }, expiresAt: new Date(h().now() + 120 * MINUTE_MS) });
    // Without a duration the expiry stays; with a shorter one, it never moves back.
    const kept = await h().service.sessions.authenticate({ session_token: e.sessionToken, session_duration_minutes: 5 });
    expect(kept.member_session.expires_at).toBe(byJwt.member_session.expires_at);
    await h().service.sessions.revoke({ session_jwt: byJwt.session_jwt });
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: e.sessionToken }))).toBe('session_not_found');
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_jwt: byJwt.session_jwt }))).toBe('session_not_found');
    expect(
      await h().repository.extendMemberSession(byJwt.member_session.member_session_id, {
        at: new Date(h().now()),
        expiresAt: new Date(h().now() + MINUTE_MS),
      }),
    ).toBeNull();
    // A token and a JWT that name two sessions are refused.
    const other = await active();
    const otherJwt = (await h().service.sessions.authenticate({ session_token: other.sessionToken })).session_jwt;
    const third = await active();
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: third.sessionToken, session_jwt: otherJwt }))).toBe(
      'bad_request',
    );
  });

  test("revokes one session by ID, or every session of a member, and no one else's", async () => {
    const a = await active();
    const second = await h().service.recoveryCodes.recover({
      organization_id: a.organizationId,
      member_id: a.memberId,
      recovery_code: a.recoveryCodes[1]!,
      intermediate_session_token: await ist(a.organizationId, a.memberId),
    });
    const b = await active();
    await h().service.sessions.revoke({ member_session_id: second.member_session.member_session_id });
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: second.session_token }))).toBe('session_not_found');
    expect((await h().service.sessions.authenticate({ session_token: a.sessionToken })).member_id).toBe(a.memberId);
    expect(
      await h().repository.revokeMemberSessions({ memberSessionId: second.member_session.member_session_id }, new Date(h().now())),
    ).toBe(0);
    await h().service.sessions.revoke({ member_id: a.memberId });
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: a.sessionToken }))).toBe('session_not_found');
    expect((await h().service.sessions.authenticate({ session_token: b.sessionToken })).member_id).toBe(b.memberId);
    const revoked = await h().repository.findMemberSession({ memberSessionId: second.member_session.member_session_id });
    expect(revoked!.revokedAt).not.toBeNull();
    expect(await errorTypeOf(h().service.sessions.revoke({ member_id: 'emp-1' }))).toBe('member_not_found');
    expect(
      await errorTypeOf(h().service.sessions.revoke({ member_session_id: 'member-session-test-00000000-0000-4000-8000-000000000000' })),
    ).toBe('session_not_found');
    expect(await errorTypeOf(h().service.sessions.revoke({}))).toBe('bad_request');
  });

  test('expires a session and an IST to the second', async () => {
    const e = await active();
    const token = await ist(e.organizationId, e.memberId);
    h().advance(10 * MINUTE_MS);
    expect(
      await errorTypeOf(
        h().service.recoveryCodes.recover({
          organization_id: e.organizationId,
          member_id: e.memberId,
          recovery_code: e.recoveryCodes[0]!,
          intermediate_session_token: token,
        }),
      ),
    ).toBe('intermediate_session_not_found');
    h().advance(50 * MINUTE_MS - 2 * 1000 - STEP_MS);
    expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
    h().advance(2000);
    expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: e.sessionToken }))).toBe('session_not_found');
  });

  test('refuses custom claims with a "__proto__" key at any depth, and writes nothing', async () => {
    const e = await pending();
    const token = await ist(e.organizationId, e.memberId);
    for (const claims of ['{"__proto__": {"admin": true}}', '{"a": [{"b": {"__proto__": 1}}]}']) {
      expect(
        await errorTypeOf(
          h().service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: code(e.secret),
            intermediate_session_token: token,
            session_custom_claims: JSON.parse(claims) as Record<string, unknown>,
          }),
        ),
      ).toBe('bad_request');
    }
    // Refused before any code was checked: the IST and the code still work.
    const ok = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      intermediate_session_token: token,
      session_custom_claims: { proto: '__proto__', nested: { deep: [1, 'x'] } },
    });
    expect(ok.member_session.custom_claims).toEqual({ proto: '__proto__', nested: { deep: [1, 'x'] } });
    const stored = await h().repository.findMemberSession({ memberSessionId: ok.member_session.member_session_id });
    expect(stored!.customClaims).toEqual({ proto: '__proto__', nested: { deep: [1, 'x'] } });
  });

  test('puts custom claims in the JWT, never over the reserved ones', async () => {
    const e = await pending();
    const result = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      intermediate_session_token: await ist(e.organizationId, e.memberId),
      session_custom_claims: { plan: 'pro', sub: 'member-test-attacker', iss: 'evil', 'https://stytch.com/session': {} },
    });
    const payload = JSON.parse(atob(result.session_jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    expect(payload.plan).toBe('pro');
    expect(payload.sub).toBe(e.memberId);
    expect(payload.iss).toBe('@totp');
    expect((payload['https://stytch.com/session'] as { id: string }).id).toBe(result.member_session.member_session_id);
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    // Reserved claims are dropped, not merely kept out of the JWT: they are neither stored nor returned.
    expect(result.member_session.custom_claims).toEqual({ plan: 'pro' });
    expect((await h().repository.findMemberSession({ memberSessionId: result.member_session.member_session_id }))!.customClaims).toEqual({
      plan: 'pro',
    });
  });
}
