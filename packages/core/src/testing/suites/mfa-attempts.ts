// Contract suite "mfa attempts": totps.authenticate and recoveryCodes.recover through the service: activation, the
// window, single use of a step and of a code, each documented error, expiry to the second, and the session granted.

import { expect } from 'vitest';
import { nobleCrypto } from '../../crypto/noble';
import { hashToken } from '../../crypto/tokens';
import { decodeSecret } from '../../otp/secret';
import type { SuiteContext } from '../harness';
import { MINUTE_MS, STEP_MS, enrollment, errorTypeOf } from '../fixtures';

export function mfaAttemptSuite({ h, test }: SuiteContext): void {
  const { code, wrongCode, ist, pending, active } = enrollment(h);

  test('activates a pending registration, sets the member, and exchanges the IST for a session', async () => {
    const e = await pending();
    const token = await ist(e.organizationId, e.memberId);
    const result = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      intermediate_session_token: token,
    });
    expect(result.member).toMatchObject({ totp_registration_id: e.registrationId, default_mfa_method: 'totp', is_locked: false });
    expect(result.session_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.session_jwt.split('.')).toHaveLength(3);
    expect(result.member_session.authentication_factors.map((f) => f.type)).toEqual(['totp']);
    expect(result.member_session.authentication_factors[0]!.authenticator_app_factor).toEqual({ totp_id: e.registrationId });
    expect(Date.parse(result.member_session.expires_at)).toBe(h().now() + 60 * MINUTE_MS);
    const { active: stored, pending: left } = await h().repository.findRegistrations(e.organizationId, e.memberId);
    expect(left).toBeNull();
    expect(stored).toMatchObject({ status: 'active', expiresAt: null, lastAcceptedStep: Math.floor(h().now() / STEP_MS) });
    expect(stored!.activatedAt!.getTime()).toBe(h().now());
    expect(await h().repository.findMember(e.organizationId, { by: 'id', value: e.memberId })).toMatchObject({
      totpRegistrationId: e.registrationId,
      defaultMfaMethod: 'totp',
      failedMfaAttempts: 0,
      lockExpiresAt: null,
    });
    // The IST is single use, and the session token is stored only as its hash.
    expect(
      await errorTypeOf(
        h().service.totps.authenticate({
          organization_id: e.organizationId,
          member_id: e.memberId,
          code: code(e.secret, STEP_MS),
          intermediate_session_token: token,
        }),
      ),
    ).toBe('intermediate_session_not_found');
    expect(JSON.stringify(await h().dump())).not.toContain(result.session_token);
    const session = await h().repository.findMemberSession({ tokenHash: hashToken(nobleCrypto, result.session_token) });
    expect(session!.memberSessionId).toBe(result.member_session.member_session_id);
  });

  test('refuses the step that confirmed the registration, and any earlier one, then accepts the next', async () => {
    const e = await pending();
    const confirm = code(e.secret);
    await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: confirm,
      intermediate_session_token: await ist(e.organizationId, e.memberId),
    });
    for (const replay of [confirm, code(e.secret, -STEP_MS)]) {
      expect(
        await errorTypeOf(
          h().service.totps.authenticate({
            organization_id: e.organizationId,
            member_id: e.memberId,
            code: replay,
            intermediate_session_token: await ist(e.organizationId, e.memberId),
          }),
        ),
      ).toBe('totp_code_already_authenticated');
    }
    h().advance(STEP_MS);
    const next = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      intermediate_session_token: await ist(e.organizationId, e.memberId),
    });
    expect(next.status_code).toBe(200);
  });

  test('accepts one step either side of now and no further', async () => {
    const e = await active();
    const auth = (offsetSteps: number) =>
      errorTypeOf(
        h().service.totps.authenticate({
          organization_id: e.organizationId,
          member_id: e.memberId,
          code: code(e.secret, offsetSteps * STEP_MS),
          session_token: e.sessionToken,
        }),
      );
    expect(await auth(-2)).toBe('unable_to_authenticate_totp');
    expect(await auth(2)).toBe('unable_to_authenticate_totp');
    expect(await auth(1)).toBe('succeeded');
  });

  test('gives each documented error', async () => {
    const none = await h().provision();
    const token = await ist(none.organizationId, none.memberId);
    const base = { organization_id: none.organizationId, member_id: none.memberId, intermediate_session_token: token };
    const service = h().service;
    expect(await errorTypeOf(service.totps.authenticate({ ...base, code: '123456' }))).toBe('totp_not_found');
    for (const bad of ['12345', '1234567', ' 123456', '12345a', '１２３４５６', 'abcd-efgh-ijkl']) {
      expect(await errorTypeOf(service.totps.authenticate({ ...base, code: bad }))).toBe('invalid_totp_code');
    }
    expect(await errorTypeOf(service.totps.authenticate({ ...base, code: 123456 } as never))).toBe('bad_request');
    expect(await errorTypeOf(service.totps.authenticate({ ...base, member_id: 'no-such-member', code: '123456' }))).toBe(
      'member_not_found',
    );
    expect(await errorTypeOf(service.totps.authenticate({ ...base, organization_id: 'no-such-org', code: '123456' }))).toBe(
      'organization_not_found',
    );

    const e = await pending();
    const withoutSession = { organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret) };
    expect(await errorTypeOf(service.totps.authenticate(withoutSession))).toBe('no_associated_session_passed_in');
    expect(await errorTypeOf(service.totps.authenticate({ ...withoutSession, intermediate_session_token: 'nope' }))).toBe(
      'intermediate_session_not_found',
    );
    expect(await errorTypeOf(service.totps.authenticate({ ...withoutSession, session_token: 'nope' }))).toBe('session_not_found');
    expect(await errorTypeOf(service.totps.authenticate({ ...withoutSession, session_jwt: 'a.b.c' }))).toBe('session_not_found');
    expect(await errorTypeOf(service.totps.authenticate({ ...withoutSession, intermediate_session_token: token }))).toBe(
      'session_authorization_error',
    );
    expect(
      await errorTypeOf(
        service.totps.authenticate({
          ...withoutSession,
          code: wrongCode(e.secret),
          intermediate_session_token: await ist(e.organizationId, e.memberId),
        }),
      ),
    ).toBe('unable_to_authenticate_totp');
    expect(await errorTypeOf(service.totps.authenticate({ ...withoutSession, intermediate_session_token: 'x', session_token: 'y' }))).toBe(
      'bad_request',
    );
    expect(
      await errorTypeOf(
        service.totps.authenticate({
          ...withoutSession,
          intermediate_session_token: await ist(e.organizationId, e.memberId),
          session_duration_minutes: 4,
        }),
      ),
    ).toBe('invalid_session_duration_minutes');
    expect(
      await errorTypeOf(
        service.totps.authenticate({
          ...withoutSession,
          intermediate_session_token: await ist(e.organizationId, e.memberId),
          session_custom_claims: { big: 'x'.repeat(4097) },
        }),
      ),
    ).toBe('custom_claims_too_large');
    // None of those refusals (the wrong code aside) reserved an attempt.
    expect((await h().repository.findMember(e.organizationId, { by: 'id', value: e.memberId }))!.failedMfaAttempts).toBe(1);
  });

  test('expires a pending registration to the second', async () => {
    const { organizationId, memberId } = await h().provision();
    const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
    h().advance(5 * MINUTE_MS - 1000);
    const before = await h().service.totps.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: code(decodeSecret(created.secret)),
      intermediate_session_token: await ist(organizationId, memberId),
    });
    expect(before.member.totp_registration_id).toBe(created.totp_registration_id);

    const other = await h().provision();
    const late = await h().service.totps.create({
      organization_id: other.organizationId,
      member_id: other.memberId,
      expiration_minutes: 5,
    });
    h().advance(5 * MINUTE_MS);
    expect(
      await errorTypeOf(
        h().service.totps.authenticate({
          organization_id: other.organizationId,
          member_id: other.memberId,
          code: code(decodeSecret(late.secret)),
          intermediate_session_token: await ist(other.organizationId, other.memberId),
        }),
      ),
    ).toBe('expired_totp');
    expect((await h().repository.findMember(other.organizationId, { by: 'id', value: other.memberId }))!.failedMfaAttempts).toBe(0);
    // An expired registration is gone: a new one can be created and used.
    const again = await h().service.totps.create({ organization_id: other.organizationId, member_id: other.memberId });
    expect(again.totp_registration_id).not.toBe(late.totp_registration_id);
  });

  test('applies set_default_mfa and set_mfa_enrollment, ignoring enrollment under REQUIRED_FOR_ALL', async () => {
    const e = await pending();
    const result = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      intermediate_session_token: await ist(e.organizationId, e.memberId),
      set_mfa_enrollment: 'enroll',
      set_default_mfa: true,
    });
    expect(result.member).toMatchObject({ mfa_enrolled: true, default_mfa_method: 'totp' });
    expect(await h().repository.findMember(e.organizationId, { by: 'id', value: e.memberId })).toMatchObject({
      mfaEnrolled: true,
      defaultMfaMethod: 'totp',
    });

    const { organization } = await h().service.organizations.create({
      organization_name: 'Strict',
      organization_slug: 'strict-org',
      mfa_policy: 'REQUIRED_FOR_ALL',
    });
    const { member_id } = await h().service.organizations.members.create({
      organization_id: organization.organization_id,
      email_address: 's@strict.example',
    });
    const created = await h().service.totps.create({ organization_id: 'strict-org', member_id });
    const strict = await h().service.totps.authenticate({
      organization_id: 'strict-org',
      member_id,
      code: code(decodeSecret(created.secret)),
      intermediate_session_token: await ist('strict-org', member_id),
      set_mfa_enrollment: 'enroll',
    });
    expect(strict.member.mfa_enrolled).toBe(false);
  });

  test('adds the factor to an existing session and extends it', async () => {
    const e = await active();
    const recovered = await h().service.recoveryCodes.recover({
      organization_id: e.organizationId,
      member_id: e.memberId,
      recovery_code: e.recoveryCodes[0]!,
      intermediate_session_token: await ist(e.organizationId, e.memberId),
      session_custom_claims: { plan: 'free' },
    });
    h().advance(10 * MINUTE_MS);
    const result = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      session_token: recovered.session_token,
      session_duration_minutes: 120,
      session_custom_claims: { plan: 'pro' },
    });
    expect(result.session_token).toBe(recovered.session_token);
    expect(result.member_session.member_session_id).toBe(recovered.member_session.member_session_id);
    expect(result.member_session.authentication_factors.map((f) => f.type)).toEqual(['recovery_codes', 'totp']);
    expect(Date.parse(result.member_session.expires_at)).toBe(h().now() + 120 * MINUTE_MS);
    expect(Date.parse(result.member_session.last_accessed_at)).toBe(h().now());
    expect(result.member_session.custom_claims).toEqual({ plan: 'pro' });
    // A shorter duration never shortens the session.
    h().advance(STEP_MS);
    const again = await h().service.totps.authenticate({
      organization_id: e.organizationId,
      member_id: e.memberId,
      code: code(e.secret),
      session_token: recovered.session_token,
      session_duration_minutes: 5,
    });
    expect(again.member_session.expires_at).toBe(result.member_session.expires_at);
    expect(again.member_session.authentication_factors.map((f) => f.type)).toEqual(['recovery_codes', 'totp']);
  });

  test('recovers once per code, normalising input, and counts what is left', async () => {
    const e = await active();
    const messy = ` ${e.recoveryCodes[0]!.toUpperCase().replaceAll('-', '')} `;
    const first = await h().service.recoveryCodes.recover({
      organization_id: e.organizationId,
      member_id: e.memberId,
      recovery_code: messy,
      session_token: e.sessionToken,
    });
    expect(first.recovery_codes_remaining).toBe(9);
    expect(first.member_session.authentication_factors.map((f) => f.type)).toEqual(['totp', 'recovery_codes']);
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(9);
    const service = h().service;
    expect(
      await errorTypeOf(
        service.recoveryCodes.recover({
          organization_id: e.organizationId,
          member_id: e.memberId,
          recovery_code: e.recoveryCodes[0]!,
          session_token: e.sessionToken,
        }),
      ),
    ).toBe('unable_to_authenticate_recovery_code');
    expect(
      await errorTypeOf(
        service.recoveryCodes.recover({
          organization_id: e.organizationId,
          member_id: e.memberId,
          recovery_code: code(e.secret),
          session_token: e.sessionToken,
        }),
      ),
    ).toBe('invalid_recovery_code');
    expect(
      await errorTypeOf(
        service.recoveryCodes.recover({ organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[1]! }),
      ),
    ).toBe('no_associated_session_passed_in');
    // A pending registration's codes do not work until it is activated.
    const p = await pending();
    expect(
      await errorTypeOf(
        service.recoveryCodes.recover({
          organization_id: p.organizationId,
          member_id: p.memberId,
          recovery_code: p.recoveryCodes[0]!,
          intermediate_session_token: await ist(p.organizationId, p.memberId),
        }),
      ),
    ).toBe('totp_not_found');
    expect(await h().repository.countRecoveryCodes(p.registrationId)).toBe(10);
  });
}
