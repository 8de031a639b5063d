// The port's organization methods (packages/core domain/repository.ts) through the Prisma query API.
// An identifier names one organization only: a slug or external ID is refused when another uses it in either role.

import type { OrganizationLookup, TotpRepository } from '@totp/core';
import { nullOr, organizationRecord, organizationRow } from './rows';
import type { Store } from './transactions';

/** The unique key a lookup goes by; null when it can match nothing (an empty external ID is stored as NULL). */
export function organizationKey({ by, value }: OrganizationLookup): Record<string, string> | null {
  if (by === 'id') return { organizationId: value };
  if (by === 'slug') return { organizationSlug: value };
  return value === '' ? null : { organizationExternalId: value };
}

export function organizationMethods({ prisma, serializable }: Store) {
  return {
    // Serializable: of two inserts at once, one with slug X and one with external ID X, the database aborts one, which
    // is made again and then finds the other. The unique indexes alone cannot see a slug used as an external ID.
    insertOrganization: (organization) =>
      serializable(async (tx) => {
        const { organizationId, organizationSlug: slug, organizationExternalId: externalId } = organization;
        // A write first, so that on SQLite the transaction holds the write lock before it reads. It changes nothing.
        await tx.totpOrganization.updateMany({ where: { organizationId }, data: { organizationId } });
        const identifiers = externalId === '' ? [slug] : [slug, externalId];
        const others = await tx.totpOrganization.findMany({
          where: { OR: [{ organizationSlug: { in: identifiers } }, { organizationExternalId: { in: identifiers } }] },
        });
        const taken = (identifier: string) =>
          others.some((o) => o.organizationSlug === identifier || o.organizationExternalId === identifier);
        if (taken(slug)) return { status: 'conflict', field: 'organization_slug' };
        if (externalId !== '' && taken(externalId)) return { status: 'conflict', field: 'organization_external_id' };
        await tx.totpOrganization.create({ data: organizationRow(organization) });
        return { status: 'inserted' };
      }),

    findOrganization: async (lookup) => {
      const where = organizationKey(lookup);
      return nullOr(where === null ? null : await prisma.totpOrganization.findUnique({ where }), organizationRecord);
    },

    // The schema's ON DELETE CASCADE foreign keys take its members and everything theirs with it.
    deleteOrganization: async (organizationId) => (await prisma.totpOrganization.deleteMany({ where: { organizationId } })).count === 1,
  } satisfies Partial<TotpRepository>;
}
