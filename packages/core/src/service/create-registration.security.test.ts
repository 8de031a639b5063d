// Hostile callers of totps.create and provisioning: wrong types, prototype keys, huge strings and unchecked tokens
// must give a clear TotpError (never a crash, never a silent pass) and leave nothing written.

import { errorTypeOf } from '@totp/core/testing';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function setup() {
  const totp = createMemoryTotp();
  await totp.service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
  const { member_id } = await totp.service.organizations.members.create({ organization_id: 'acme', email_address: 'a@acme.example' });
  return { ...totp, member_id };
}

describe('totps.create with hostile input', () => {
  it('refuses bodies that are not objects', async () => {
    const { service } = await setup();
    for (const body of [null, undefined, 'x', 42, [], ['organization_id']]) {
      expect(await errorTypeOf(service.totps.create(body as never))).toBe('bad_request');
    }
  });

  it('refuses missing, empty, non-string and oversized identifiers, naming the field', async () => {
    const { service, member_id } = await setup();
    const cases: Array<[unknown, unknown, string]> = [
      [undefined, member_id, 'organization_id'],
      ['', member_id, 'organization_id'],
      [42, member_id, 'organization_id'],
      [{ $ne: null }, member_id, 'organization_id'],
      ['acme', ['x'], 'member_id'],
      ['acme', 'm'.repeat(100_000), 'member_id'],
    ];
    for (const [organization_id, mid, named] of cases) {
      await expect(service.totps.create({ organization_id, member_id: mid } as never)).rejects.toMatchObject({
        error_type: 'bad_request',
        message: expect.stringContaining(named),
      });
    }
  });

  it('does not read fields from the prototype chain', async () => {
    const { service, member_id } = await setup();
    const body = JSON.parse(`{"__proto__": {"organization_id": "acme"}, "member_id": "${member_id}"}`);
    expect(await errorTypeOf(service.totps.create(body as never))).toBe('bad_request');
    expect(({} as Record<string, unknown>)['organization_id']).toBeUndefined();
  });

  it('refuses a forged or mistyped session token on create, naming what is wrong, and writes nothing', async () => {
    const { service, repository, member_id } = await setup();
    const expected: Record<string, string> = {
      intermediate_session_token: 'intermediate_session_not_found',
      session_token: 'session_not_found',
      session_jwt: 'session_not_found',
    };
    for (const [name, errorType] of Object.entries(expected)) {
      expect(await errorTypeOf(service.totps.create({ organization_id: 'acme', member_id, [name]: 'forged' }))).toBe(errorType);
      expect(await errorTypeOf(service.totps.create({ organization_id: 'acme', member_id, [name]: 7 }))).toBe('bad_request');
    }
    expect(repository.dump().registrations).toEqual([]);
  });

  it('refuses malformed provisioning input with bad_request', async () => {
    const { service } = await setup();
    const organizations: unknown[] = [
      { organization_name: 'x', organization_slug: 'a' },
      { organization_name: 'x', organization_slug: 'has space' },
      { organization_name: '', organization_slug: 'ok-slug' },
      { organization_name: '   ', organization_slug: 'ok-slug' },
      { organization_name: 'x'.repeat(129), organization_slug: 'ok-slug' },
      { organization_name: 'x', organization_slug: 'ok-slug', organization_external_id: 'bad id' },
      { organization_name: 'x', organization_slug: 'ok-slug', mfa_policy: 'SOMETIMES' },
    ];
    for (const body of organizations) {
      expect(await errorTypeOf(service.organizations.create(body as never))).toBe('bad_request');
    }
    const members: unknown[] = [
      { organization_id: 'acme', email_address: 'not-an-email' },
      { organization_id: 'acme', email_address: 'a b@c.d' },
      { organization_id: 'acme', email_address: 'x@y.z', external_id: 'no spaces' },
      { organization_id: 'acme', email_address: 'x@y.z', create_member_as_pending: 'yes' },
    ];
    for (const body of members) {
      expect(await errorTypeOf(service.organizations.members.create(body as never))).toBe('bad_request');
    }
  });

  it('reports provisioning conflicts with their error types', async () => {
    const { service } = await setup();
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'Other', organization_slug: 'acme' }))).toBe(
      'duplicate_organization_slug',
    );
    expect(await errorTypeOf(service.organizations.members.create({ organization_id: 'acme', email_address: 'A@ACME.example' }))).toBe(
      'duplicate_member_email',
    );
  });

  it('refuses text with a lone surrogate anywhere, before anything is written', async () => {
    const { service, repository, member_id } = await setup();
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'Bad \uD800 name', organization_slug: 'bad-org' }))).toBe(
      'bad_request',
    );
    expect(
      await errorTypeOf(service.organizations.members.create({ organization_id: 'acme', email_address: 'x\uDC00@acme.example' })),
    ).toBe('bad_request');
    expect(await errorTypeOf(service.totps.create({ organization_id: 'acme\uD800', member_id }))).toBe('bad_request');
    expect(repository.dump().organizations).toHaveLength(1);
  });

  it('refuses slugs and external IDs shaped like IDs, which could shadow another record', async () => {
    const { service } = await setup();
    const idLike = 'organization-test-00000000-0000-4000-8000-000000000000';
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'X', organization_slug: idLike }))).toBe('bad_request');
    expect(
      await errorTypeOf(
        service.organizations.create({ organization_name: 'X', organization_slug: 'x-org', organization_external_id: idLike }),
      ),
    ).toBe('bad_request');
    expect(
      await errorTypeOf(
        service.organizations.members.create({ organization_id: 'acme', email_address: 'y@acme.example', external_id: 'member-live-1' }),
      ),
    ).toBe('bad_request');
  });

  it('refuses NUL and control characters that a database cannot store or a log should not hold', async () => {
    const { service, member_id } = await setup();
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'a\u0000b', organization_slug: 'nul-org' }))).toBe(
      'bad_request',
    );
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'line\nbreak', organization_slug: 'nl-org' }))).toBe(
      'bad_request',
    );
    expect(
      await errorTypeOf(
        service.organizations.members.create({ organization_id: 'acme', email_address: 'n@acme.example', name: 'x\u0007' }),
      ),
    ).toBe('bad_request');
    const { intermediate_session_token } = await service.sessions.startIntermediate({ organization_id: 'acme', member_id });
    for (const claims of [{ k: 'a\u0000b' }, { 'k\u0000': 1 }, { k: '\uD800' }]) {
      expect(
        await errorTypeOf(
          service.totps.authenticate({
            organization_id: 'acme',
            member_id,
            code: '123456',
            intermediate_session_token,
            session_custom_claims: claims,
          }),
        ),
      ).toBe('bad_request');
    }
  });
});
