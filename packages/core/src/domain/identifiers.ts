// Organization and member identifiers (docs/http-reference.md, "Identifier resolution"): the formats provisioning checks,
// and the lookups an identifier may stand for, in order. Resolution through the store is service/resolve.ts.

import { isId } from './ids';

export const ORGANIZATION_SLUG_PATTERN = /^[A-Za-z0-9._~-]{2,128}$/;
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9._|-]{1,128}$/;

/** How a request names an organization: by ID, slug (compared exactly) or external ID. */
export interface OrganizationLookup {
  by: 'id' | 'slug' | 'externalId';
  value: string;
}

/** How a request names a member inside its organization: by member ID, external ID, or e-mail (case-insensitive). */
export interface MemberLookup {
  by: 'id' | 'externalId' | 'email';
  value: string;
}

/**
 * The lookups an organization identifier may stand for, in order: ID, slug, external ID; only those whose format the
 * identifier has. IDs have a shape no slug or external ID may take, and a slug or external ID names one organization
 * only, so at most one lookup can match.
 */
export function organizationLookups(identifier: string): OrganizationLookup[] {
  const lookups: OrganizationLookup[] = [];
  if (isId(identifier, 'organization')) lookups.push({ by: 'id', value: identifier });
  else {
    if (ORGANIZATION_SLUG_PATTERN.test(identifier)) lookups.push({ by: 'slug', value: identifier });
    if (EXTERNAL_ID_PATTERN.test(identifier)) lookups.push({ by: 'externalId', value: identifier });
  }
  return lookups;
}

/** The lookups a member identifier may stand for, in order: member ID, else external ID. */
export function memberLookups(identifier: string): MemberLookup[] {
  if (isId(identifier, 'member')) return [{ by: 'id', value: identifier }];
  return EXTERNAL_ID_PATTERN.test(identifier) ? [{ by: 'externalId', value: identifier }] : [];
}
