// TOTP over HTTP: create, authenticate (with replay refusal and lockout), migrate and delete, each route's
// documented errors, with codes computed by the test's own RFC 6238 implementation.

import { describe, expect, it } from 'vitest';
import { createTestApp, enrolled, expectError, expectSuccess, intermediateToken, provision, totpCode, type TestApp } from './helpers';

async function pending(t: TestApp, body: Record<string, unknown> = {}) {
  const ids = await provision(t);
  const created = await t.api.post('/v1/b2b/totp', { organization_id: ids.organizationId, member_id: ids.memberId, ...body });
  expectSuccess(created);
  return { ...ids, secret: created.body.secret as string, created };
}

describe('POST /v1/b2b/totp', () => {
  it('creates a pending registration with the Stytch response shape', async () => {
    const t = createTestApp();
    const { created, memberId } = await pending(t);
    expect(Object.keys(created.body).sort()).toEqual(
      [
        'member',
        'member_id',
        'organization',
        'qr_code',
        'recovery_codes',
        'request_id',
        'secret',
        'status_code',
        'totp_registration_id',
      ].sort(),
    );
    expect(created.body.member_id).toBe(memberId);
    expect(created.body.totp_registration_id).toMatch(/^member-totp-test-[0-9a-f-]{36}$/);
    expect(created.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(created.body.qr_code).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(created.body.recovery_codes).toHaveLength(10);
    for (const code of created.body.recovery_codes) expect(code).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    expect(created.body.member.totp_registration_id).toBe('');
  });

  it.each([4, 1441, 5.5, '60', -60, 1e308, true])('refuses expiration_minutes %o with 400 invalid_expiration', async (value) => {
    const t = createTestApp();
    const ids = await provision(t);
    const res = await t.api.post('/v1/b2b/totp', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      expiration_minutes: value,
    });
    expectError(res, 400, 'invalid_expiration');
  });

  it('accepts expiration_minutes 5 and 1440', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    for (const value of [5, 1440]) {
      expectSuccess(
        await t.api.post('/v1/b2b/totp', { organization_id: ids.organizationId, member_id: ids.memberId, expiration_minutes: value }),
      );
    }
  });

  it('refuses a member with an active registration with 400 active_totp_exists', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.post('/v1/b2b/totp', {
      organization_id: m.organizationId,
      member_id: m.memberId,
      session_token: m.sessionToken,
    });
    expectError(res, 400, 'active_totp_exists');
  });

  it('refuses a member who is not active with 400 action_available_only_for_active_members', async () => {
    const t = createTestApp();
    await provision(t);
    const invited = await t.api.post('/v1/b2b/organizations/acme/members', {
      email_address: 'p@acme.example',
      create_member_as_pending: true,
    });
    expectSuccess(invited);
    const res = await t.api.post('/v1/b2b/totp', { organization_id: 'acme', member_id: invited.body.member_id });
    expectError(res, 400, 'action_available_only_for_active_members');
  });

  it('answers unknown organizations and members with 404, missing fields with 400 naming them', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    expectError(await t.api.post('/v1/b2b/totp', { organization_id: 'nope', member_id: ids.memberId }), 404, 'organization_not_found');
    expectError(await t.api.post('/v1/b2b/totp', { organization_id: 'acme', member_id: 'nobody' }), 404, 'member_not_found');
    const missing = await t.api.post('/v1/b2b/totp', { organization_id: 'acme' });
    expectError(missing, 400, 'bad_request');
    expect(missing.body.error_message).toMatch(/member_id is required/);
  });

  it("checks any token passed: unknown is 401, another member's is 403", async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const other = await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'o@acme.example' });
    const otherIst = await intermediateToken(t, ids.organizationId, other.body.member_id);
    const base = { organization_id: ids.organizationId, member_id: ids.memberId };
    expectError(await t.api.post('/v1/b2b/totp', { ...base, intermediate_session_token: 'nope' }), 401, 'intermediate_session_not_found');
    expectError(await t.api.post('/v1/b2b/totp', { ...base, session_token: 'nope' }), 401, 'session_not_found');
    expectError(await t.api.post('/v1/b2b/totp', { ...base, intermediate_session_token: otherIst }), 403, 'session_authorization_error');
  });
});

describe('POST /v1/b2b/totp/authenticate', () => {
  it('activates the registration and exchanges the intermediate session for a member session', async () => {
    const t = createTestApp();
    const p = await pending(t);
    const ist = await intermediateToken(t, p.organizationId, p.memberId);
    const res = await t.api.post('/v1/b2b/totp/authenticate', {
      organization_id: p.organizationId,
      member_id: p.memberId,
      code: totpCode(p.secret, t.clock.now()),
      intermediate_session_token: ist,
    });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual(
      ['member', 'member_id', 'member_session', 'organization', 'request_id', 'session_jwt', 'session_token', 'status_code'].sort(),
    );
    expect(res.body.member.totp_registration_id).toBe(p.created.body.totp_registration_id);
    expect(res.body.member.default_mfa_method).toBe('totp');
    expect(res.body.session_token).toEqual(expect.any(String));
    expect(res.body.session_jwt.split('.')).toHaveLength(3);
    expect(res.body.member_session.member_id).toBe(p.memberId);
    expect(res.body.member_session.authentication_factors).toContainEqual(
      expect.objectContaining({ type: 'totp', delivery_method: 'authenticator_app' }),
    );
  });

  it('accepts the neighbouring steps and refuses a replayed code with 401 totp_code_already_authenticated', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const body = (code: string) => ({ organization_id: m.organizationId, member_id: m.memberId, code, session_token: m.sessionToken });
    const previous = totpCode(m.secret, t.clock.now(), -1);
    const current = totpCode(m.secret, t.clock.now());
    expectSuccess(await t.api.post('/v1/b2b/totp/authenticate', body(current)));
    expectError(await t.api.post('/v1/b2b/totp/authenticate', body(current)), 401, 'totp_code_already_authenticated');
    const older = await t.api.post('/v1/b2b/totp/authenticate', body(previous));
    expect(older.status).toBe(401);
    expect(['totp_code_already_authenticated', 'unable_to_authenticate_totp']).toContain(older.body.error_type);
  });

  it('lets exactly one of many concurrent requests with the same code succeed', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const code = totpCode(m.secret, t.clock.now());
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.api.post('/v1/b2b/totp/authenticate', {
          organization_id: m.organizationId,
          member_id: m.memberId,
          code,
          session_token: m.sessionToken,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 401, 'totp_code_already_authenticated');
  });

  it('refuses a wrong code with 401 unable_to_authenticate_totp and locks the member after 10 with 429', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const right = totpCode(m.secret, t.clock.now());
    const wrong = right === '000000' ? '111111' : '000000';
    const body = (code: string) => ({ organization_id: m.organizationId, member_id: m.memberId, code, session_token: m.sessionToken });
    const statuses: string[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await t.api.post('/v1/b2b/totp/authenticate', body(wrong))).body.error_type);
    expect(statuses.slice(0, 9)).toEqual(Array(9).fill('unable_to_authenticate_totp'));
    expect(['unable_to_authenticate_totp', 'user_lock_limit_reached']).toContain(statuses[9]);
    const locked = await t.api.post('/v1/b2b/totp/authenticate', body(right));
    expectError(locked, 429, 'user_lock_limit_reached');
    const member = await t.api.get(`/v1/b2b/organizations/${m.organizationId}/members/${m.memberId}`);
    expect(member.body.member.is_locked).toBe(true);
  });

  it.each(['12345', '1234567', 'abcdef', '١٢٣٤٥٦', '１２３４５６', '12 345', ' 123456'])(
    'refuses the malformed code %j with 400 invalid_totp_code',
    async (code) => {
      const t = createTestApp();
      const m = await enrolled(t);
      const res = await t.api.post('/v1/b2b/totp/authenticate', {
        organization_id: m.organizationId,
        member_id: m.memberId,
        code,
        session_token: m.sessionToken,
      });
      expectError(res, 400, 'invalid_totp_code');
    },
  );

  it.each([[123456], [null], [['123456']], [{ code: '123456' }]])('refuses the non-string code %j with 400', async (code) => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.post('/v1/b2b/totp/authenticate', {
      organization_id: m.organizationId,
      member_id: m.memberId,
      code,
      session_token: m.sessionToken,
    });
    expect(res.status).toBe(400);
    expectError(res, 400);
  });

  it('refuses a code without a session with 400 no_associated_session_passed_in', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.post('/v1/b2b/totp/authenticate', {
      organization_id: m.organizationId,
      member_id: m.memberId,
      code: totpCode(m.secret, t.clock.now()),
    });
    expectError(res, 400, 'no_associated_session_passed_in');
  });

  it('refuses a pending registration past expiration_minutes with 400 expired_totp', async () => {
    const t = createTestApp();
    const p = await pending(t, { expiration_minutes: 5 });
    const ist = await intermediateToken(t, p.organizationId, p.memberId);
    t.clock.advanceSeconds(5 * 60 + 1);
    const res = await t.api.post('/v1/b2b/totp/authenticate', {
      organization_id: p.organizationId,
      member_id: p.memberId,
      code: totpCode(p.secret, t.clock.now()),
      intermediate_session_token: ist,
    });
    expectError(res, 400, 'expired_totp');
  });

  it('answers a member without a registration with 404 totp_not_found', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const ist = await intermediateToken(t, ids.organizationId, ids.memberId);
    const res = await t.api.post('/v1/b2b/totp/authenticate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      code: '123456',
      intermediate_session_token: ist,
    });
    expectError(res, 404, 'totp_not_found');
  });

  it('checks session_duration_minutes, session_custom_claims and the tokens', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const base = { organization_id: m.organizationId, member_id: m.memberId, code: totpCode(m.secret, t.clock.now()) };
    for (const minutes of [4, 527041, 1.5, '60']) {
      const res = await t.api.post('/v1/b2b/totp/authenticate', {
        ...base,
        session_token: m.sessionToken,
        session_duration_minutes: minutes,
      });
      expect(res.status).toBe(400);
      expect(['invalid_session_duration_minutes', 'bad_request']).toContain(res.body.error_type);
    }
    expectError(
      await t.api.post('/v1/b2b/totp/authenticate', {
        ...base,
        session_token: m.sessionToken,
        session_custom_claims: { big: 'x'.repeat(5000) },
      }),
      400,
      'custom_claims_too_large',
    );
    expectError(await t.api.post('/v1/b2b/totp/authenticate', { ...base, session_token: 'unknown' }), 401, 'session_not_found');
    expectError(
      await t.api.post('/v1/b2b/totp/authenticate', { ...base, intermediate_session_token: 'unknown' }),
      401,
      'intermediate_session_not_found',
    );
    const other = await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'o@acme.example' });
    const otherIst = await intermediateToken(t, m.organizationId, other.body.member_id);
    expectError(
      await t.api.post('/v1/b2b/totp/authenticate', { ...base, intermediate_session_token: otherIst }),
      403,
      'session_authorization_error',
    );
  });
});

describe('POST /v1/b2b/totp/migrate', () => {
  const SECRET32 = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it('imports a secret as an active registration, with minted or imported recovery codes', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const res = await t.api.post('/v1/b2b/totp/migrate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      secret: SECRET32,
    });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual([
      'member',
      'member_id',
      'organization',
      'recovery_codes',
      'request_id',
      'status_code',
      'totp_registration_id',
    ]);
    expect(res.body.recovery_codes).toHaveLength(10);
    expect(res.body.member.totp_registration_id).toBe(res.body.totp_registration_id);
    const ist = await intermediateToken(t, ids.organizationId, ids.memberId);
    expectSuccess(
      await t.api.post('/v1/b2b/totp/authenticate', {
        organization_id: ids.organizationId,
        member_id: ids.memberId,
        code: totpCode(SECRET32, t.clock.now()),
        intermediate_session_token: ist,
      }),
    );
    const again = await t.api.post('/v1/b2b/totp/migrate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      secret: SECRET32,
    });
    expectError(again, 400, 'active_totp_exists');
  });

  it('imports given recovery codes and refuses malformed ones', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const codes = ['abcd-efgh-ijkm', 'aaaa-bbbb-cccc'];
    const res = await t.api.post('/v1/b2b/totp/migrate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      secret: SECRET32,
      recovery_codes: codes,
    });
    expectSuccess(res);
    expect(res.body.recovery_codes).toEqual(codes);
    const u = createTestApp();
    const v = await provision(u);
    expectError(
      await u.api.post('/v1/b2b/totp/migrate', {
        organization_id: v.organizationId,
        member_id: v.memberId,
        secret: SECRET32,
        recovery_codes: ['nope'],
      }),
      400,
      'invalid_recovery_code',
    );
  });

  it.each([undefined, '', 'not base32!', 'ABCD', 42])('refuses the secret %j with 400 bad_request', async (secret) => {
    const t = createTestApp();
    const ids = await provision(t);
    const res = await t.api.post('/v1/b2b/totp/migrate', { organization_id: ids.organizationId, member_id: ids.memberId, secret });
    expectError(res, 400, 'bad_request');
    expect(res.body.error_message).toMatch(/secret/);
  });
});

describe('DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp', () => {
  it('deletes the registration and its recovery codes; the session survives', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.delete(`/v1/b2b/organizations/${m.organizationId}/members/${m.memberId}/totp`, {});
    expectSuccess(res);
    expect(res.body.member.totp_registration_id).toBe('');
    expectError(await t.api.delete(`/v1/b2b/organizations/${m.organizationId}/members/${m.memberId}/totp`), 404, 'totp_not_found');
    expectError(await t.api.get(`/v1/b2b/recovery_codes/${m.organizationId}/${m.memberId}`), 404, 'totp_not_found');
    expectSuccess(await t.api.post('/v1/b2b/sessions/authenticate', { session_token: m.sessionToken }));
    expectSuccess(
      await t.api.post('/v1/b2b/totp', { organization_id: m.organizationId, member_id: m.memberId, session_token: m.sessionToken }),
    );
  });

  it('answers unknown members and organizations with 404', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    expectError(await t.api.delete(`/v1/b2b/organizations/${ids.organizationId}/members/nobody/totp`), 404, 'member_not_found');
    expectError(await t.api.delete(`/v1/b2b/organizations/nope/members/${ids.memberId}/totp`), 404, 'organization_not_found');
  });
});
