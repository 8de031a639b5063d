// Organization and member identifier resolution and the formats checked when they are provisioned.
// An organization is named by ID, slug or external ID; a member by ID or external ID inside it (docs/http-api.md).

import { TotpError } from './errors';
import { isId } from './ids';
import type { MemberRecord, OrganizationRecord } from './model';
import type { MemberLookup, OrganizationLookup, TotpRepository } from './repository';

export const ORGANIZATION_SLUG_PATTERN = /^[A-Za-z0-9._~-]{2,128}$/;
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._|-]{1,128}$/;

/**
 * How an organization identifier may be looked up, in order: by ID, then slug, then external ID (IDs have a shape
 * no slug or external ID can take for another organization, so the order cannot make one organization shadow
 * another's ID). Empty when the identifier has no shape any organization could have.
 */
export function organizationLookups(identifier: string): OrganizationLookup[] {
  const lookups: OrganizationLookup[] = [];
  for (let l = nextOrganizationLookup(identifier); l !== undefined; l = nextOrganizationLookup(identifier, l.by)) lookups.push(l);
  return lookups;
}

/**
 * The organization lookup after the one `by` (the first when absent), in `organizationLookups`' order, or undefined.
 * One at a time, so that the common case (an ID, found) builds no array and tests one pattern.
 */
export function nextOrganizationLookup(identifier: string, by?: OrganizationLookup['by']): OrganizationLookup | undefined {
  if (by === undefined && isId(identifier, 'organization')) return { by: 'id', value: identifier };
  if ((by === undefined || by === 'id') && ORGANIZATION_SLUG_PATTERN.test(identifier)) return { by: 'slug', value: identifier };
  if (by !== 'externalId' && EXTERNAL_ID_PATTERN.test(identifier)) return { by: 'externalId', value: identifier };
  return undefined;
}

/** How a member identifier may be looked up inside its organization, in order: by member ID, then external ID. */
export function memberLookups(identifier: string): MemberLookup[] {
  const lookups: MemberLookup[] = [];
  for (let l = nextMemberLookup(identifier); l !== undefined; l = nextMemberLookup(identifier, l.by)) lookups.push(l);
  return lookups;
}

/** The member lookup after the one `by` (the first when absent), in `memberLookups`' order, or undefined. */
export function nextMemberLookup(identifier: string, by?: MemberLookup['by']): MemberLookup | undefined {
  if (by === undefined && isId(identifier, 'member')) return { by: 'id', value: identifier };
  if (by !== 'externalId' && EXTERNAL_ID_PATTERN.test(identifier)) return { by: 'externalId', value: identifier };
  return undefined;
}

export function organizationNotFound(): TotpError {
  return new TotpError('organization_not_found', 'no organization matches organization_id');
}

export function memberNotFound(): TotpError {
  return new TotpError('member_not_found', 'no member of this organization matches member_id');
}

/** Finds an organization by the first of its `organizationLookups` that matches. Throws `organization_not_found`. */
export async function resolveOrganization(
  repository: TotpRepository,
  identifier: string,
): Promise<OrganizationRecord> {
  for (const lookup of organizationLookups(identifier)) {
    const found =
      lookup.by === 'id'
        ? await repository.findOrganizationById(lookup.value)
        : lookup.by === 'slug'
          ? await repository.findOrganizationBySlug(lookup.value)
          : await repository.findOrganizationByExternalId(lookup.value);
    if (found !== null) return found;
  }
  throw organizationNotFound();
}

/**
 * Finds a member of `organization` by the first of its `memberLookups` that matches. Throws `member_not_found`,
 * also for a deleted member.
 */
export async function resolveMember(
  repository: TotpRepository,
  organization: OrganizationRecord,
  identifier: string,
): Promise<MemberRecord> {
  for (const lookup of memberLookups(identifier)) {
    const found =
      lookup.by === 'id'
        ? await repository.findMemberById(organization.organizationId, lookup.value)
        : await repository.findMemberByExternalId(organization.organizationId, lookup.value);
    if (found !== null) return assertNotDeleted(found);
  }
  throw memberNotFound();
}

/** A deleted member is reported as not found. */
export function assertNotDeleted(member: MemberRecord): MemberRecord {
  if (member.status === 'deleted') throw memberNotFound();
  return member;
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
