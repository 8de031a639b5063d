// The port's member methods (packages/core domain/repository.ts) through the Prisma query API.
// E-mail addresses are unique per organization on `emailAddress.toLowerCase()`, stored as `email_address_lower`.

import type { MemberLookup, TotpRepository } from '@totp/core';
import { memberRecord, memberRow, nullOr, patchData } from './rows';
import { isForeignKeyViolation, isUniqueViolation } from './store-errors';
import type { Store } from './transactions';

/** The member fields a lookup compares, inside its organization; null when it can match nothing (`""`). */
export function memberKey({ by, value }: MemberLookup): Record<string, string> | null {
  if (value === '') return null;
  if (by === 'id') return { memberId: value };
  return by === 'email' ? { emailAddressLower: value.toLowerCase() } : { externalId: value };
}

export function memberMethods({ prisma }: Store) {
  return {
    // The unique indexes decide, so that of concurrent inserts exactly one wins; a lookup then names the one refused.
    insertMember: async (member) => {
      try {
        await prisma.totpMember.create({ data: memberRow(member) });
        return { status: 'inserted' };
      } catch (error) {
        // The organization is gone (deleted before or while this ran): its foreign key refused the row.
        if (isForeignKeyViolation(error)) return { status: 'organization_not_found' };
        if (!isUniqueViolation(error)) throw error;
        const { organizationId, externalId } = member;
        if (await prisma.totpMember.findFirst({ where: { organizationId, emailAddressLower: member.emailAddress.toLowerCase() } })) {
          return { status: 'conflict', field: 'email_address' };
        }
        if (externalId !== '' && (await prisma.totpMember.findFirst({ where: { organizationId, externalId } }))) {
          return { status: 'conflict', field: 'external_id' };
        }
        throw error;
      }
    },

    findMember: async (organizationId, lookup) => {
      const key = memberKey(lookup);
      return nullOr(key === null ? null : await prisma.totpMember.findFirst({ where: { organizationId, ...key } }), memberRecord);
    },

    updateMember: async (organizationId, memberId, patch) => {
      const [row] = await prisma.totpMember.updateManyAndReturn({ where: { organizationId, memberId }, data: patchData(patch) });
      return nullOr(row ?? null, memberRecord);
    },

    // One statement: the schema's ON DELETE CASCADE foreign keys remove registrations, codes and sessions with it.
    deleteMember: async (organizationId, memberId) =>
      (await prisma.totpMember.deleteMany({ where: { organizationId, memberId } })).count === 1,
  } satisfies Partial<TotpRepository>;
}
