// Contract suite "provisioning": organizations and members stored, found by every identifier, unique where the
// contract says, atomically, and never found through another organization.

import { expect } from 'vitest';
import type { SuiteContext } from '../harness';
import {
  errorTypeOf,
  memberRecord,
  organizationRecord,
  registrationRecord,
  intermediateSessionRecord,
  memberSessionRecord,
} from '../fixtures';

export function provisioningSuite({ h, test }: SuiteContext): void {
  test('stores an organization and finds it by ID, slug and external ID, returning copies', async () => {
    const org = organizationRecord({ organizationSlug: 'acme', organizationExternalId: 'acme-ext' });
    expect(await h().repository.insertOrganization(org)).toEqual({ status: 'inserted' });
    const repo = h().repository;
    expect(await repo.findOrganization({ by: 'id', value: org.organizationId })).toEqual(org);
    expect(await repo.findOrganization({ by: 'slug', value: 'acme' })).toEqual(org);
    expect(await repo.findOrganization({ by: 'externalId', value: 'acme-ext' })).toEqual(org);
    expect(await repo.findOrganization({ by: 'slug', value: 'ACME' })).toBeNull();
    expect(await repo.findOrganization({ by: 'slug', value: 'acme-ext' })).toBeNull();
    expect(await repo.findOrganization({ by: 'externalId', value: 'acme' })).toBeNull();
    expect(await repo.findOrganization({ by: 'externalId', value: '' })).toBeNull();
    expect(await repo.findOrganization({ by: 'id', value: 'organization-test-missing' })).toBeNull();
    const found = await repo.findOrganization({ by: 'id', value: org.organizationId });
    found!.organizationName = 'mutated';
    found!.allowedMfaMethods.push('sms');
    expect(await repo.findOrganization({ by: 'id', value: org.organizationId })).toEqual(org);
  });

  test('refuses a taken slug or external ID, in either role, and stores nothing for the refused one', async () => {
    const repo = h().repository;
    await repo.insertOrganization(organizationRecord({ organizationSlug: 'alpha', organizationExternalId: 'crm-alpha' }));
    const cases = [
      [{ organizationSlug: 'alpha' }, 'organization_slug'],
      [{ organizationSlug: 'beta', organizationExternalId: 'crm-alpha' }, 'organization_external_id'],
      // Either would make an identifier the host uses for alpha resolve to another organization.
      [{ organizationSlug: 'crm-alpha' }, 'organization_slug'],
      [{ organizationSlug: 'gamma', organizationExternalId: 'alpha' }, 'organization_external_id'],
    ] as const;
    for (const [overrides, field] of cases) {
      const refused = organizationRecord(overrides);
      expect(await repo.insertOrganization(refused)).toEqual({ status: 'conflict', field });
      expect(await repo.findOrganization({ by: 'id', value: refused.organizationId })).toBeNull();
    }
    // No collision on the empty external ID; one organization may use one identifier in both roles.
    expect(await repo.insertOrganization(organizationRecord({ organizationSlug: 'delta' }))).toEqual({ status: 'inserted' });
    expect(await repo.insertOrganization(organizationRecord({ organizationSlug: 'epsilon' }))).toEqual({ status: 'inserted' });
    expect(await repo.insertOrganization(organizationRecord({ organizationSlug: 'zeta', organizationExternalId: 'zeta' }))).toEqual({
      status: 'inserted',
    });
  });

  test('of 20 concurrent inserts taking one identifier, as slug or as external ID, exactly one succeeds', async () => {
    for (const mixed of [false, true]) {
      const shared = mixed ? 'shared-mixed' : 'shared-slug';
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h().repository.insertOrganization(
            mixed && i % 2 === 1
              ? organizationRecord({ organizationSlug: `own-${i}`, organizationExternalId: shared })
              : organizationRecord({ organizationSlug: shared }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'inserted')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'conflict')).toHaveLength(19);
    }
  });

  test('stores members, unique by e-mail (case-insensitive) and external ID within an organization only', async () => {
    const repo = h().repository;
    const a = organizationRecord();
    const b = organizationRecord();
    await repo.insertOrganization(a);
    await repo.insertOrganization(b);
    const m1 = memberRecord(a.organizationId, { emailAddress: 'Ann@Example.com', externalId: 'emp-1' });
    expect(await repo.insertMember(m1)).toEqual({ status: 'inserted' });
    expect(await repo.findMember(a.organizationId, { by: 'id', value: m1.memberId })).toEqual(m1);
    expect(await repo.findMember(a.organizationId, { by: 'externalId', value: 'emp-1' })).toEqual(m1);
    expect(await repo.findMember(a.organizationId, { by: 'email', value: 'ann@example.COM' })).toEqual(m1);
    for (const lookup of [
      { by: 'id', value: m1.memberId },
      { by: 'externalId', value: 'emp-1' },
      { by: 'email', value: 'ann@example.com' },
    ] as const) {
      expect(await repo.findMember(b.organizationId, lookup)).toBeNull();
    }
    expect(await repo.findMember(a.organizationId, { by: 'externalId', value: '' })).toBeNull();

    const sameEmail = memberRecord(a.organizationId, { emailAddress: 'ann@EXAMPLE.com' });
    expect(await repo.insertMember(sameEmail)).toEqual({ status: 'conflict', field: 'email_address' });
    const sameExternalId = memberRecord(a.organizationId, { externalId: 'emp-1' });
    expect(await repo.insertMember(sameExternalId)).toEqual({ status: 'conflict', field: 'external_id' });
    expect(await repo.findMember(a.organizationId, { by: 'id', value: sameEmail.memberId })).toBeNull();
    expect(await repo.findMember(a.organizationId, { by: 'id', value: sameExternalId.memberId })).toBeNull();
    // No collision on the empty external ID, nor in another organization.
    expect(await repo.insertMember(memberRecord(a.organizationId))).toEqual({ status: 'inserted' });
    expect(await repo.insertMember(memberRecord(a.organizationId))).toEqual({ status: 'inserted' });
    expect(await repo.insertMember(memberRecord(b.organizationId, { emailAddress: 'ann@example.com', externalId: 'emp-1' }))).toEqual({
      status: 'inserted',
    });
  });

  test('of 20 concurrent member inserts with one e-mail address, exactly one succeeds', async () => {
    const org = organizationRecord();
    await h().repository.insertOrganization(org);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h().repository.insertMember(memberRecord(org.organizationId, { emailAddress: i % 2 ? 'RACE@example.com' : 'race@example.com' })),
      ),
    );
    expect(results.filter((r) => r.status === 'inserted')).toHaveLength(1);
  });

  test('updates a member and returns it as it now stands; null for a member that does not exist', async () => {
    const repo = h().repository;
    const org = organizationRecord();
    await repo.insertOrganization(org);
    const member = memberRecord(org.organizationId);
    await repo.insertMember(member);
    const at = new Date(member.updatedAt.getTime() + 60_000);
    const updated = await repo.updateMember(org.organizationId, member.memberId, { mfaEnrolled: true, updatedAt: at });
    expect(updated).toEqual({ ...member, mfaEnrolled: true, updatedAt: at });
    expect(await repo.findMember(org.organizationId, { by: 'id', value: member.memberId })).toEqual(updated);
    const later = await repo.updateMember(org.organizationId, member.memberId, { defaultMfaMethod: 'totp', updatedAt: at });
    expect(later).toEqual({ ...member, mfaEnrolled: true, defaultMfaMethod: 'totp', updatedAt: at });
    expect(await repo.updateMember(org.organizationId, 'member-test-00000000-0000-4000-8000-000000000000', { updatedAt: at })).toBeNull();
  });

  test('answers not-found results for writes under a missing organization or member, writing nothing', async () => {
    const repo = h().repository;
    const gone = organizationRecord();
    const member = memberRecord(gone.organizationId);
    expect(await repo.insertMember(member)).toEqual({ status: 'organization_not_found' });
    await repo.insertOrganization(gone);
    await repo.insertMember(member);
    expect(await repo.deleteMember(gone.organizationId, member.memberId)).toBe(true);
    expect(await repo.deleteMember(gone.organizationId, member.memberId)).toBe(false);
    expect(await repo.insertIntermediateSession(intermediateSessionRecord(member))).toBe('member_not_found');
    expect(await repo.insertMemberSession(memberSessionRecord(member))).toBe('member_not_found');
    expect(await repo.saveRegistration(registrationRecord(member, { status: 'pending' }), [])).toBe('member_not_found');
    expect(await repo.findRegistrations(gone.organizationId, member.memberId)).toEqual({ active: null, pending: null });
  });

  test('deletes a member or an organization with everything that hangs on it', async () => {
    const repo = h().repository;
    const org = organizationRecord({ organizationExternalId: 'crm-del' });
    await repo.insertOrganization(org);
    const [kept, gone] = [memberRecord(org.organizationId), memberRecord(org.organizationId, { externalId: 'emp-gone' })];
    for (const m of [kept, gone]) {
      await repo.insertMember(m);
      await repo.saveRegistration(registrationRecord(m), []);
      await repo.insertIntermediateSession(intermediateSessionRecord(m));
      await repo.insertMemberSession(memberSessionRecord(m));
    }
    expect(await repo.deleteMember(org.organizationId, gone.memberId)).toBe(true);
    expect(await repo.findMember(org.organizationId, { by: 'externalId', value: 'emp-gone' })).toBeNull();
    expect(await repo.findRegistrations(org.organizationId, gone.memberId)).toEqual({ active: null, pending: null });
    expect((await repo.findRegistrations(org.organizationId, kept.memberId)).active).not.toBeNull();
    // The e-mail and external ID are free again.
    expect(await repo.insertMember(memberRecord(org.organizationId, { emailAddress: gone.emailAddress, externalId: 'emp-gone' }))).toEqual({
      status: 'inserted',
    });

    expect(await repo.deleteOrganization(org.organizationId)).toBe(true);
    expect(await repo.deleteOrganization(org.organizationId)).toBe(false);
    expect(await repo.findOrganization({ by: 'externalId', value: 'crm-del' })).toBeNull();
    expect(await repo.findMember(org.organizationId, { by: 'id', value: kept.memberId })).toBeNull();
    expect(await repo.findRegistrations(org.organizationId, kept.memberId)).toEqual({ active: null, pending: null });
    const dump = JSON.stringify(await h().dump());
    expect(dump).not.toContain(kept.memberId);
    // Its identifiers are free again.
    expect(
      await repo.insertOrganization(organizationRecord({ organizationSlug: org.organizationSlug, organizationExternalId: 'crm-del' })),
    ).toEqual({ status: 'inserted' });
  });

  test('through the service: finds by every identifier, never through another organization', async () => {
    const { organizationId, memberId, organizationSlug } = await h().provision({
      externalId: 'employee-7',
      orgExternalId: 'crm-42',
      email: 'Grace.Hopper@Example.com',
    });
    const other = await h().provision();
    for (const organization_id of [organizationId, organizationSlug, 'crm-42']) {
      for (const member_id of [memberId, 'employee-7']) {
        const got = await h().service.organizations.members.get({ organization_id, member_id });
        expect(got.member_id).toBe(memberId);
        expect(got.organization.organization_id).toBe(organizationId);
      }
    }
    const byEmail = await h().service.organizations.members.get({
      organization_id: organizationId,
      email_address: 'grace.hopper@example.COM',
    });
    expect(byEmail.member_id).toBe(memberId);
    const service = h().service;
    expect(
      await errorTypeOf(
        service.organizations.members.get({ organization_id: other.organizationId, email_address: 'grace.hopper@example.com' }),
      ),
    ).toBe('member_not_found');
    expect(await errorTypeOf(service.organizations.members.get({ organization_id: other.organizationId, member_id: memberId }))).toBe(
      'member_not_found',
    );
    expect(await errorTypeOf(service.organizations.members.get({ organization_id: organizationId }))).toBe('bad_request');
    expect(
      await errorTypeOf(service.organizations.get({ organization_id: 'organization-test-00000000-0000-4000-8000-000000000000' })),
    ).toBe('organization_not_found');
  });

  test('through the service: deletes racing writes leave every write landed or answered with a documented not-found', async () => {
    for (let round = 0; round < 3; round++) {
      const { organization } = await h().service.organizations.create({
        organization_name: 'Racing',
        organization_slug: `racing-${round}`,
      });
      const orgId = organization.organization_id;
      const { member_id } = await h().service.organizations.members.create({
        organization_id: orgId,
        email_address: `m-${round}@race.example`,
      });
      const service = h().service;
      const outcomes = await Promise.all([
        ...Array.from({ length: 8 }, (_, i) =>
          errorTypeOf(service.organizations.members.create({ organization_id: orgId, email_address: `n-${round}-${i}@race.example` })),
        ),
        ...Array.from({ length: 4 }, () => errorTypeOf(service.sessions.startIntermediate({ organization_id: orgId, member_id }))),
        ...Array.from({ length: 4 }, () => errorTypeOf(service.totps.create({ organization_id: orgId, member_id }))),
        errorTypeOf(service.organizations.members.delete({ organization_id: orgId, member_id })),
        errorTypeOf(service.organizations.delete({ organization_id: orgId })),
      ]);
      for (const outcome of outcomes) expect(['succeeded', 'organization_not_found', 'member_not_found']).toContain(outcome);
      expect(await h().repository.findOrganization({ by: 'id', value: orgId })).toBeNull();
    }
  });
}
