// Organizations and members over HTTP: POST/GET/DELETE with Stytch's paths (and the SDK's GET …/member?member_id=),
// the documented errors of each route, and identifier resolution by ID, slug and external ID.

import { describe, expect, it } from 'vitest';
import { createTestApp, expectError, expectSuccess, provision } from './helpers';

describe('POST /v1/b2b/organizations', () => {
  it('creates an organization with the Stytch shape', async () => {
    const t = createTestApp();
    const res = await t.api.post('/v1/b2b/organizations', {
      organization_name: 'Acme Corp',
      organization_slug: 'acme',
      organization_external_id: 'crm|42',
      mfa_policy: 'REQUIRED_FOR_ALL',
    });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual(['organization', 'request_id', 'status_code']);
    expect(res.body.organization).toMatchObject({
      organization_id: expect.stringMatching(/^organization-test-[0-9a-f-]{36}$/),
      organization_name: 'Acme Corp',
      organization_slug: 'acme',
      organization_external_id: 'crm|42',
      mfa_policy: 'REQUIRED_FOR_ALL',
      mfa_methods: 'ALL_ALLOWED',
      allowed_mfa_methods: [],
      created_at: '2026-11-29T14:00:05Z',
      updated_at: '2026-11-29T14:00:05Z',
    });
  });

  it.each([
    [{ organization_slug: 'a1' }, /organization_name is required/],
    [{ organization_name: 'A' }, /organization_slug is required/],
    [{ organization_name: 42, organization_slug: 'a1' }, /organization_name must be a string/],
    [{ organization_name: 'A', organization_slug: 'a' }, /organization_slug/],
    [{ organization_name: 'A', organization_slug: 'has space' }, /organization_slug/],
    [{ organization_name: 'A', organization_slug: 'a1', organization_external_id: 'x y' }, /organization_external_id/],
    [{ organization_name: 'A', organization_slug: 'a1', mfa_policy: 'SOMETIMES' }, /mfa_policy/],
    [{ organization_name: 'x'.repeat(129), organization_slug: 'a1' }, /organization_name/],
  ])('refuses %o with 400 bad_request naming the field', async (body, message) => {
    const t = createTestApp();
    const res = await t.api.post('/v1/b2b/organizations', body);
    expectError(res, 400, 'bad_request');
    expect(res.body.error_message).toMatch(message);
  });

  it('refuses a duplicate slug or external ID with 409', async () => {
    const t = createTestApp();
    await t.api
      .post('/v1/b2b/organizations', { organization_name: 'A', organization_slug: 'acme', organization_external_id: 'ext' })
      .expect(200);
    expectError(
      await t.api.post('/v1/b2b/organizations', { organization_name: 'B', organization_slug: 'acme' }),
      409,
      'duplicate_organization_slug',
    );
    expectError(
      await t.api.post('/v1/b2b/organizations', { organization_name: 'B', organization_slug: 'other', organization_external_id: 'ext' }),
      409,
      'duplicate_organization_external_id',
    );
  });
});

describe('GET and DELETE /v1/b2b/organizations/{organization_id}', () => {
  it('finds an organization by ID, slug or external ID', async () => {
    const t = createTestApp();
    const created = await t.api.post('/v1/b2b/organizations', {
      organization_name: 'A',
      organization_slug: 'acme',
      organization_external_id: 'crm|1',
    });
    const id = created.body.organization.organization_id as string;
    for (const key of [id, 'acme', 'crm|1', encodeURIComponent('crm|1')]) {
      const res = await t.api.get(`/v1/b2b/organizations/${key}`);
      expectSuccess(res);
      expect(res.body.organization).toEqual(created.body.organization);
    }
  });

  it('answers an unknown organization with 404 organization_not_found', async () => {
    const t = createTestApp();
    expectError(
      await t.api.get('/v1/b2b/organizations/organization-test-00000000-0000-4000-8000-000000000000'),
      404,
      'organization_not_found',
    );
    expectError(await t.api.delete('/v1/b2b/organizations/nope'), 404, 'organization_not_found');
  });

  it('deletes an organization with its members (the SDK sends DELETE with an empty JSON body)', async () => {
    const t = createTestApp();
    const { organizationId, memberId } = await provision(t);
    const res = await t.api.delete(`/v1/b2b/organizations/${organizationId}`, {});
    expectSuccess(res);
    expectError(await t.api.get(`/v1/b2b/organizations/${organizationId}`), 404, 'organization_not_found');
    expectError(await t.api.get(`/v1/b2b/organizations/${organizationId}/members/${memberId}`), 404, 'organization_not_found');
    expectError(await t.api.delete(`/v1/b2b/organizations/${organizationId}`), 404, 'organization_not_found');
  });
});

describe('members', () => {
  it('creates a member with the Stytch shape', async () => {
    const t = createTestApp();
    await t.api.post('/v1/b2b/organizations', { organization_name: 'Acme', organization_slug: 'acme' }).expect(200);
    const res = await t.api.post('/v1/b2b/organizations/acme/members', {
      email_address: 'Ada@Acme.example',
      name: 'Ada Lovelace',
      external_id: 'emp-1',
    });
    expectSuccess(res);
    expect(Object.keys(res.body).sort()).toEqual(['member', 'member_id', 'organization', 'request_id', 'status_code']);
    expect(res.body.member).toMatchObject({
      member_id: res.body.member_id,
      organization_id: res.body.organization.organization_id,
      email_address: 'Ada@Acme.example',
      name: 'Ada Lovelace',
      status: 'active',
      external_id: 'emp-1',
      mfa_enrolled: false,
      mfa_phone_number: '',
      totp_registration_id: '',
      default_mfa_method: '',
      is_locked: false,
      roles: [],
    });
  });

  it('refuses duplicates with 409 and bad input with 400', async () => {
    const t = createTestApp();
    await provision(t);
    await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'b@acme.example', external_id: 'emp-2' }).expect(200);
    expectError(
      await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'ADA@acme.example' }),
      409,
      'duplicate_member_email',
    );
    expectError(
      await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'c@acme.example', external_id: 'emp-2' }),
      409,
      'duplicate_member_external_id',
    );
    const bad = await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'not an email' });
    expectError(bad, 400, 'bad_request');
    expect(bad.body.error_message).toMatch(/email_address/);
    const missing = await t.api.post('/v1/b2b/organizations/acme/members', {});
    expectError(missing, 400, 'bad_request');
    expect(missing.body.error_message).toMatch(/email_address is required/);
    expectError(await t.api.post('/v1/b2b/organizations/nope/members', { email_address: 'a@b.c' }), 404, 'organization_not_found');
  });

  it("gets a member by ID or external ID, at Stytch's path and at the SDK's …/member?member_id=", async () => {
    const t = createTestApp();
    const { organizationId, memberId } = await provision(t);
    await t.api.post('/v1/b2b/organizations/acme/members', { email_address: 'e@acme.example', external_id: 'emp-9' }).expect(200);
    for (const path of [
      `/v1/b2b/organizations/${organizationId}/members/${memberId}`,
      `/v1/b2b/organizations/acme/members/${memberId}`,
      `/v1/b2b/organizations/${organizationId}/member?member_id=${memberId}`,
    ]) {
      const res = await t.api.get(path);
      expectSuccess(res);
      expect(res.body.member_id).toBe(memberId);
      expect(res.body.organization.organization_id).toBe(organizationId);
    }
    const byExternal = await t.api.get('/v1/b2b/organizations/acme/member?member_id=emp-9');
    expectSuccess(byExternal);
    expect(byExternal.body.member.external_id).toBe('emp-9');
  });

  it('answers unknown members and organizations with 404, and a repeated query field with 400', async () => {
    const t = createTestApp();
    const { memberId } = await provision(t);
    expectError(
      await t.api.get('/v1/b2b/organizations/acme/members/member-test-00000000-0000-4000-8000-000000000000'),
      404,
      'member_not_found',
    );
    expectError(await t.api.get('/v1/b2b/organizations/acme/member?member_id=nobody'), 404, 'member_not_found');
    expectError(await t.api.get(`/v1/b2b/organizations/other/members/${memberId}`), 404, 'organization_not_found');
    expectError(await t.api.get(`/v1/b2b/organizations/acme/member?member_id=${memberId}&member_id=x`), 400, 'bad_request');
    const none = await t.api.get('/v1/b2b/organizations/acme/member');
    expectError(none, 400, 'bad_request');
    expect(none.body.error_message).toMatch(/member_id/);
  });

  it('deletes a member', async () => {
    const t = createTestApp();
    const { organizationId, memberId } = await provision(t);
    const res = await t.api.delete(`/v1/b2b/organizations/${organizationId}/members/${memberId}`, {});
    expectSuccess(res);
    expect(res.body.member_id).toBe(memberId);
    expectError(await t.api.get(`/v1/b2b/organizations/${organizationId}/members/${memberId}`), 404, 'member_not_found');
    expectError(await t.api.delete(`/v1/b2b/organizations/${organizationId}/members/${memberId}`), 404, 'member_not_found');
  });
});
