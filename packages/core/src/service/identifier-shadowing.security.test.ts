// Attack pinned here: organization B takes as its slug the external ID the host app uses for organization A (or as its
// external ID A's slug), so that A's identifier resolves to B; B's member, with the same external member ID and a secret
// the attacker knows, would then get A's member's MFA session. An identifier must name one organization only, and a
// member's external ID can never be taken for a member ID.

import { describe, expect, it } from 'vitest';
import { errorTypeOf } from '@totp/core/testing';
import { createMemoryTotp } from '@totp/memory';

async function victim() {
  const totp = createMemoryTotp();
  const { organization } = await totp.service.organizations.create({
    organization_name: 'Acme',
    organization_slug: 'acme',
    organization_external_id: 'crm-acme',
  });
  const { member_id } = await totp.service.organizations.members.create({
    organization_id: 'acme',
    email_address: 'ada@acme.example',
    external_id: 'emp-1',
  });
  return { ...totp, organizationId: organization.organization_id, memberId: member_id };
}

describe('identifiers cannot shadow one another', () => {
  it("refuses a slug that is another organization's external ID, and the reverse, with a 409 error", async () => {
    const { service, organizationId } = await victim();
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'Evil', organization_slug: 'crm-acme' }))).toBe(
      'duplicate_organization_slug',
    );
    expect(
      await errorTypeOf(
        service.organizations.create({ organization_name: 'Evil', organization_slug: 'evil', organization_external_id: 'acme' }),
      ),
    ).toBe('duplicate_organization_external_id');
    // Both of A's identifiers still name A, and only A.
    for (const identifier of ['acme', 'crm-acme', organizationId]) {
      expect((await service.organizations.get({ organization_id: identifier })).organization.organization_id).toBe(organizationId);
    }
    expect(await errorTypeOf(service.organizations.get({ organization_id: 'evil' }))).toBe('organization_not_found');
  });

  it("refuses slugs and external IDs shaped like another organization's or member's ID", async () => {
    const { service, organizationId, memberId } = await victim();
    expect(await errorTypeOf(service.organizations.create({ organization_name: 'Evil', organization_slug: organizationId }))).toBe(
      'bad_request',
    );
    expect(
      await errorTypeOf(
        service.organizations.create({ organization_name: 'Evil', organization_slug: 'evil', organization_external_id: organizationId }),
      ),
    ).toBe('bad_request');
    expect(
      await errorTypeOf(
        service.organizations.members.create({ organization_id: 'acme', email_address: 'eve@acme.example', external_id: memberId }),
      ),
    ).toBe('bad_request');
    expect((await service.organizations.members.get({ organization_id: 'acme', member_id: memberId })).member.email_address).toBe(
      'ada@acme.example',
    );
  });
});
