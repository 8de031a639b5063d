// Organization and member identifier resolution and the formats checked when they are provisioned.
// An organization is named by ID, slug or external ID; a member by ID or external ID inside it (docs/http-api.md).

import { TotpError } from './errors';
import { isId } from './ids';
import type { MemberRecord, OrganizationRecord } from './model';
import type { TotpRepository } from './repository';

export const ORGANIZATION_SLUG_PATTERN = /^[A-Za-z0-9._~-]{2,128}$/;
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._|-]{1,128}$/;

/**
 * Finds an organization by ID, then slug, then external ID (IDs have a shape no slug or external ID can take
 * for another organization, so the order cannot make one organization shadow another's ID).
 * Throws `organization_not_found` when nothing matches.
 */
export async function resolveOrganization(
  repository: TotpRepository,
  identifier: string,
): Promise<OrganizationRecord> {
  let found: OrganizationRecord | null = null;
  if (isId(identifier, 'organization')) {
    found = await repository.findOrganizationById(identifier);
  }
  if (found === null && ORGANIZATION_SLUG_PATTERN.test(identifier)) {
    found = await repository.findOrganizationBySlug(identifier);
  }
  if (found === null && EXTERNAL_ID_PATTERN.test(identifier)) {
    found = await repository.findOrganizationByExternalId(identifier);
  }
  if (found === null) {
    throw new TotpError('organization_not_found', 'no organization matches organization_id');
  }
  return found;
}

/** Finds a member of `organization` by member ID, then external ID. Throws `member_not_found`. */
export async function resolveMember(
  repository: TotpRepository,
  organization: OrganizationRecord,
  identifier: string,
): Promise<MemberRecord> {
  let found: MemberRecord | null = null;
  if (isId(identifier, 'member')) {
    found = await repository.findMemberById(organization.organizationId, identifier);
  }
  if (found === null && EXTERNAL_ID_PATTERN.test(identifier)) {
    found = await repository.findMemberByExternalId(organization.organizationId, identifier);
  }
  if (found === null || found.status === 'deleted') {
    throw new TotpError('member_not_found', 'no member of this organization matches member_id');
  }
  return found;
}

/** MFA is only for active members (not invited, pending or deleted ones): `action_available_only_for_active_members`. */
export function assertActiveMember(member: MemberRecord): void {
  if (member.status !== 'active') {
    throw new TotpError(
      'action_available_only_for_active_members',
      `the member's status is "${member.status}"; only active members can use MFA`,
    );
  }
}
