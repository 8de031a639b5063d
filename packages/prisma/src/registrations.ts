// The port's TOTP registration and recovery code methods (packages/core domain/repository.ts) through the Prisma query API.
// Each multi-row write is one transaction that starts by locking the member's row (or the registration's).

import type { TotpRepository } from '@totp/core';
import { patchData, recoveryCodeRows, registrationRow, registrationsByStatus } from './rows';
import { lockMember, type Store } from './transactions';

export function registrationMethods({ prisma, transaction }: Store) {
  return {
    findRegistrations: async (organizationId, memberId) =>
      registrationsByStatus(await prisma.totpRegistration.findMany({ where: { organizationId, memberId } })),

    // Member first: concurrent saves for one member run one after the other, each seeing the rows the last one left.
    saveRegistration: (registration, recoveryCodes, memberPatch) =>
      transaction(async (tx) => {
        const { organizationId, memberId, totpRegistrationId } = registration;
        if ((await lockMember(tx, organizationId, memberId)) === undefined) return 'member_not_found';
        const existing = await tx.totpRegistration.findMany({ where: { organizationId, memberId } });
        if (existing.some((r) => r.status === 'active')) return 'active_totp_exists';
        // Their codes go with them (ON DELETE CASCADE).
        if (existing.length > 0) await tx.totpRegistration.deleteMany({ where: { organizationId, memberId } });
        await tx.totpRegistration.create({ data: registrationRow(registration) });
        if (recoveryCodes.length > 0) await tx.totpRecoveryCode.createMany({ data: recoveryCodeRows(totpRegistrationId, recoveryCodes) });
        if (registration.status === 'active') {
          const data = { totpRegistrationId, ...(memberPatch === undefined ? {} : patchData(memberPatch)) };
          await tx.totpMember.updateMany({ where: { organizationId, memberId }, data });
        }
        return 'saved';
      }),

    deleteRegistrations: (organizationId, memberId, at) =>
      transaction(async (tx) => {
        const member = await lockMember(tx, organizationId, memberId);
        if (member === undefined) return 0;
        const { count } = await tx.totpRegistration.deleteMany({ where: { organizationId, memberId } });
        if (count > 0) {
          const data = { totpRegistrationId: '', updatedAt: at, ...(member.defaultMfaMethod === 'totp' ? { defaultMfaMethod: '' } : {}) };
          await tx.totpMember.updateMany({ where: { organizationId, memberId }, data });
        }
        return count;
      }),

    countRecoveryCodes: (totpRegistrationId) => Promise.resolve(prisma.totpRecoveryCode.count({ where: { totpRegistrationId } })),

    // The registration's row first (a write that changes nothing): concurrent replacements run one after the other.
    replaceRecoveryCodes: (totpRegistrationId, recoveryCodes) =>
      transaction(async (tx) => {
        const locked = await tx.totpRegistration.updateMany({ where: { totpRegistrationId }, data: { digits: { increment: 0 } } });
        if (locked.count === 0) return false;
        await tx.totpRecoveryCode.deleteMany({ where: { totpRegistrationId } });
        if (recoveryCodes.length > 0) await tx.totpRecoveryCode.createMany({ data: recoveryCodeRows(totpRegistrationId, recoveryCodes) });
        return true;
      }),
  } satisfies Partial<TotpRepository>;
}
