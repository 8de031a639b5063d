// The port's session and housekeeping methods (packages/core domain/repository.ts) through the Prisma query API.
// A session is live while not revoked and `expiresAt > at`; extending one starts with the write that checks exactly that.

import { withFactor, type AuthenticationFactor, type MemberSessionExtension, type TotpRepository } from '@totp/core';
import type { TotpMemberSessionRow, TotpPrismaDelegates } from './client-shape';
import { intermediateSessionRecord, intermediateSessionRow, memberSessionRecord, memberSessionRow, nullOr, toJson } from './rows';
import { isForeignKeyViolation } from './store-errors';
import type { Store } from './transactions';

type SessionMethods =
  | 'insertIntermediateSession'
  | 'findIntermediateSession'
  | 'insertMemberSession'
  | 'findMemberSession'
  | 'extendMemberSession'
  | 'revokeMemberSessions'
  | 'purgeExpired';

/** An extension (the port's MemberSessionExtension), and for a grant the factor to add with core's `withFactor`. */
export type SessionChange = MemberSessionExtension & { factor?: AuthenticationFactor };

/**
 * Inside `tx`: `lastAccessedAt = at` on the member session if it is live (the first statement, which takes its row lock,
 * on SQLite the write lock), then `expiresAt = max(current, change.expiresAt)`, the factor and the claims, computed from
 * the row that statement returned. Undefined, having written nothing, when the session is not live.
 */
export async function extendLiveSession(
  tx: TotpPrismaDelegates,
  memberSessionId: string,
  change: SessionChange,
): Promise<TotpMemberSessionRow | undefined> {
  const { at, expiresAt, customClaims, factor } = change;
  const where = { memberSessionId, revokedAt: null, expiresAt: { gt: at } };
  const [row] = await tx.totpMemberSession.updateManyAndReturn({ where, data: { lastAccessedAt: at } });
  if (row === undefined) return undefined;
  const data = {
    ...(expiresAt > row.expiresAt ? { expiresAt } : {}),
    ...(factor === undefined ? {} : { authenticationFactors: toJson(withFactor(memberSessionRecord(row).authenticationFactors, factor)) }),
    ...(customClaims === undefined ? {} : { customClaims: toJson(customClaims) }),
  };
  return Object.keys(data).length === 0 ? row : tx.totpMemberSession.update({ where: { memberSessionId }, data });
}

/** A session's insert: its member gone (deleted before or while it ran) is what its foreign key refusing it means. */
const inserted = (create: PromiseLike<unknown>): Promise<'inserted' | 'member_not_found'> =>
  Promise.resolve(create).then(
    () => 'inserted',
    (error: unknown) => {
      if (isForeignKeyViolation(error)) return 'member_not_found';
      throw error;
    },
  );

export function sessionMethods({ prisma, transaction }: Store): Pick<TotpRepository, SessionMethods> {
  return {
    insertIntermediateSession: (session) => inserted(prisma.totpIntermediateSession.create({ data: intermediateSessionRow(session) })),

    findIntermediateSession: async (tokenHash) =>
      nullOr(await prisma.totpIntermediateSession.findUnique({ where: { tokenHash } }), intermediateSessionRecord),

    insertMemberSession: (session) => inserted(prisma.totpMemberSession.create({ data: memberSessionRow(session) })),

    findMemberSession: async (lookup) => nullOr(await prisma.totpMemberSession.findUnique({ where: { ...lookup } }), memberSessionRecord),

    extendMemberSession: (memberSessionId, extension) =>
      transaction(async (tx) => nullOr((await extendLiveSession(tx, memberSessionId, extension)) ?? null, memberSessionRecord)),

    revokeMemberSessions: async (which, at) =>
      (await prisma.totpMemberSession.updateMany({ where: { ...which, revokedAt: null }, data: { revokedAt: at } })).count,

    // Three statements, each deleting only rows nothing can use any more, so no transaction; a pending registration's
    // codes go with it (ON DELETE CASCADE).
    purgeExpired: async (before) => {
      const expired = { lte: before };
      const intermediate = await prisma.totpIntermediateSession.deleteMany({ where: { expiresAt: expired } });
      const sessions = await prisma.totpMemberSession.deleteMany({ where: { OR: [{ expiresAt: expired }, { revokedAt: expired }] } });
      const pending = await prisma.totpRegistration.deleteMany({ where: { status: 'pending', expiresAt: expired } });
      return { intermediateSessions: intermediate.count, memberSessions: sessions.count, pendingRegistrations: pending.count };
    },
  };
}
