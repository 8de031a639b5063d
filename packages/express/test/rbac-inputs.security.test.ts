// Attack pinned here: member B's session is passed as Stytch's RBAC authorization (the SDK's `authorization` option,
// sent as X-Stytch-Member-Session / X-Stytch-Member-SessionJWT) or as `authorization_check`, to delete member A's TOTP
// or revoke A's session. Without roles here, ignoring those inputs would run the request unchecked: it must be
// refused, naming what is not supported, and change nothing.

import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AUTH, createTestApp, enrolled } from './helpers';

describe('RBAC inputs are refused, never ignored', () => {
  it('refuses the member-session headers on every route, and deletes nothing', async () => {
    const t = createTestApp();
    const a = await enrolled(t, 'rbac-a');
    const b = await enrolled(t, 'rbac-b');
    const path = `/v1/b2b/organizations/${a.organizationId}/members/${a.memberId}/totp`;
    for (const [header, value] of [
      ['X-Stytch-Member-Session', b.sessionToken],
      ['X-Stytch-Member-SessionJWT', b.sessionJwt],
    ] as const) {
      const res = await request(t.app).delete(path).set('Authorization', AUTH).set(header, value);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status_code: 400, error_type: 'bad_request', error_message: expect.stringContaining(header) });
      const revoke = await request(t.app)
        .post('/v1/b2b/sessions/revoke')
        .set('Authorization', AUTH)
        .set(header, value)
        .send({ session_token: a.sessionToken });
      expect(revoke.status).toBe(400);
    }
    // A's registration and session are untouched.
    const member = await request(t.app).get(`/v1/b2b/organizations/${a.organizationId}/members/${a.memberId}`).set('Authorization', AUTH);
    expect(member.body.member.totp_registration_id).not.toBe('');
    const session = await request(t.app)
      .post('/v1/b2b/sessions/authenticate')
      .set('Authorization', AUTH)
      .send({ session_token: a.sessionToken });
    expect(session.status).toBe(200);
  });

  it('refuses authorization_check in a body, naming it', async () => {
    const t = createTestApp();
    const a = await enrolled(t, 'rbac-c');
    const res = await request(t.app)
      .post('/v1/b2b/sessions/authenticate')
      .set('Authorization', AUTH)
      .send({
        session_token: a.sessionToken,
        authorization_check: { organization_id: a.organizationId, resource_id: 'stytch.member', action: 'delete' },
      });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error_type: 'bad_request', error_message: expect.stringContaining('authorization_check') });
  });
});
