// Recovery codes (recover, get, rotate) and sessions (authenticate, revoke, and our intermediate-session route)
// over HTTP, each with the documented errors of its route.

import { describe, expect, it } from 'vitest';
import { createTestApp, enrolled, expectError, expectSuccess, intermediateToken, provision } from './helpers';

describe('POST /v1/b2b/recovery_codes/recover', () => {
  it('consumes a code once and returns a session and recovery_codes_remaining', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const ist = await intermediateToken(t, m.organizationId, m.memberId);
    const body = {
      organization_id: m.organizationId,
      member_id: m.memberId,
      recovery_code: m.recoveryCodes[0],
      intermediate_session_token: ist,
    };
    const res = await t.api.post('/v1/b2b/recovery_codes/recover', body);
    expectSuccess(res);
    expect(res.body.recovery_codes_remaining).toBe(9);
    expect(res.body.member_session.authentication_factors).toContainEqual(
      expect.objectContaining({ type: 'recovery_codes', delivery_method: 'recovery_code' }),
    );
    const again = await t.api.post('/v1/b2b/recovery_codes/recover', {
      ...body,
      intermediate_session_token: undefined,
      session_token: m.sessionToken,
    });
    expectError(again, 401, 'unable_to_authenticate_recovery_code');
  });

  it('normalises case, spaces and missing dashes', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const code = (m.recoveryCodes[1] as string).toUpperCase().replaceAll('-', ' ');
    const res = await t.api.post('/v1/b2b/recovery_codes/recover', {
      organization_id: m.organizationId,
      member_id: m.memberId,
      recovery_code: code,
      session_token: m.sessionToken,
    });
    expectSuccess(res);
  });

  it('refuses malformed, wrong and session-less codes', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const base = { organization_id: m.organizationId, member_id: m.memberId };
    expectError(
      await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, recovery_code: 'nope', session_token: m.sessionToken }),
      400,
      'invalid_recovery_code',
    );
    expectError(
      await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, recovery_code: 'aaaa-bbbb-cccc', session_token: m.sessionToken }),
      401,
      'unable_to_authenticate_recovery_code',
    );
    expectError(
      await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, recovery_code: m.recoveryCodes[2] }),
      400,
      'no_associated_session_passed_in',
    );
    const missing = await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, session_token: m.sessionToken });
    expectError(missing, 400, 'bad_request');
    expect(missing.body.error_message).toMatch(/recovery_code/);
  });

  it('answers a member without an active registration with 404 totp_not_found', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const ist = await intermediateToken(t, ids.organizationId, ids.memberId);
    const res = await t.api.post('/v1/b2b/recovery_codes/recover', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      recovery_code: 'aaaa-bbbb-cccc',
      intermediate_session_token: ist,
    });
    expectError(res, 404, 'totp_not_found');
  });
});

describe('GET /v1/b2b/recovery_codes/{organization_id}/{member_id}', () => {
  it('returns the count and no codes (deviation: codes are stored hashed)', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.get(`/v1/b2b/recovery_codes/${m.organizationId}/${m.memberId}`);
    expectSuccess(res);
    expect(res.body.recovery_codes).toEqual([]);
    expect(res.body.recovery_codes_remaining).toBe(10);
    expect(res.body.member_id).toBe(m.memberId);
    expect(JSON.stringify(res.body)).not.toContain(m.recoveryCodes[0]);
  });

  it('answers 404 for unknown organizations, members and registrations', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    expectError(await t.api.get(`/v1/b2b/recovery_codes/${ids.organizationId}/${ids.memberId}`), 404, 'totp_not_found');
    expectError(await t.api.get(`/v1/b2b/recovery_codes/${ids.organizationId}/nobody`), 404, 'member_not_found');
    expectError(await t.api.get(`/v1/b2b/recovery_codes/nope/${ids.memberId}`), 404, 'organization_not_found');
  });
});

describe('POST /v1/b2b/recovery_codes/rotate', () => {
  it('replaces every code', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    const res = await t.api.post('/v1/b2b/recovery_codes/rotate', { organization_id: m.organizationId, member_id: m.memberId });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual(['member', 'member_id', 'organization', 'recovery_codes', 'request_id', 'status_code']);
    expect(res.body.recovery_codes).toHaveLength(10);
    expect(res.body.recovery_codes).not.toContain(m.recoveryCodes[0]);
    const base = { organization_id: m.organizationId, member_id: m.memberId, session_token: m.sessionToken };
    expectError(
      await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, recovery_code: m.recoveryCodes[0] }),
      401,
      'unable_to_authenticate_recovery_code',
    );
    expectSuccess(await t.api.post('/v1/b2b/recovery_codes/recover', { ...base, recovery_code: res.body.recovery_codes[0] }));
  });

  it('answers 404 totp_not_found without an active registration', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    expectError(
      await t.api.post('/v1/b2b/recovery_codes/rotate', { organization_id: ids.organizationId, member_id: ids.memberId }),
      404,
      'totp_not_found',
    );
  });
});

describe('sessions', () => {
  it('authenticates a session by token or JWT, and revokes it', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    for (const body of [{ session_token: m.sessionToken }, { session_jwt: m.sessionJwt }]) {
      const res = await t.api.post('/v1/b2b/sessions/authenticate', body);
      expectSuccess(res);
      expect(res.body.member_session.member_session_id).toBe(m.memberSessionId);
      expect(res.body.member.member_id).toBe(m.memberId);
    }
    const revoked = await t.api.post('/v1/b2b/sessions/revoke', { member_session_id: m.memberSessionId });
    expectSuccess(revoked);
    expect(Object.keys(revoked.body).sort()).toEqual(['request_id', 'status_code']);
    expectError(await t.api.post('/v1/b2b/sessions/authenticate', { session_token: m.sessionToken }), 401, 'session_not_found');
  });

  it('revokes by session token', async () => {
    const t = createTestApp();
    const m = await enrolled(t);
    expectSuccess(await t.api.post('/v1/b2b/sessions/revoke', { session_token: m.sessionToken }));
    expectError(await t.api.post('/v1/b2b/sessions/authenticate', { session_jwt: m.sessionJwt }), 401, 'session_not_found');
  });

  it('refuses unknown and missing tokens', async () => {
    const t = createTestApp();
    expectError(await t.api.post('/v1/b2b/sessions/authenticate', { session_token: 'nope' }), 401, 'session_not_found');
    expectError(await t.api.post('/v1/b2b/sessions/authenticate', { session_jwt: 'a.b.c' }), 401, 'session_not_found');
    expectError(await t.api.post('/v1/b2b/sessions/authenticate', {}), 400, 'bad_request');
    expectError(await t.api.post('/v1/b2b/sessions/revoke', {}), 400, 'bad_request');
    expectError(
      await t.api.post('/v1/b2b/sessions/revoke', { member_session_id: 'member-session-test-00000000-0000-4000-8000-000000000000' }),
      401,
      'session_not_found',
    );
  });
});

describe('POST /v1/b2b/sessions/intermediate (ours)', () => {
  it('starts an intermediate session for an active member', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const res = await t.api.post('/v1/b2b/sessions/intermediate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      authentication_factors: [{ type: 'password', delivery_method: 'knowledge' }],
    });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual([
      'intermediate_session_token',
      'member',
      'member_id',
      'organization',
      'request_id',
      'status_code',
    ]);
    expect(res.body.intermediate_session_token).toEqual(expect.any(String));
  });

  it('refuses bad factors, unknown members and members who are not active', async () => {
    const t = createTestApp();
    const ids = await provision(t);
    const bad = await t.api.post('/v1/b2b/sessions/intermediate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      authentication_factors: 'password',
    });
    expectError(bad, 400, 'bad_request');
    expect(bad.body.error_message).toMatch(/authentication_factors/);
    expectError(
      await t.api.post('/v1/b2b/sessions/intermediate', { organization_id: ids.organizationId, member_id: 'nobody' }),
      404,
      'member_not_found',
    );
    const invited = await t.api.post('/v1/b2b/organizations/acme/members', {
      email_address: 'p@acme.example',
      create_member_as_pending: true,
    });
    expectError(
      await t.api.post('/v1/b2b/sessions/intermediate', { organization_id: ids.organizationId, member_id: invited.body.member_id }),
      400,
      'action_available_only_for_active_members',
    );
  });
});
