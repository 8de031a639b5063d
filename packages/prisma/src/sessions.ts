// The port's session and housekeeping methods (packages/core domain/repository.ts) through the Prisma query API, but
// the extension, one raw statement. A session is live while not revoked and `expiresAt > at`.

import type { MemberSessionExtension, TotpRepository } from '@totp/core';
import type { PrismaProvider } from './client-shape';
import { intermediateSessionRecord, intermediateSessionRow, memberSessionRecord, memberSessionRow, nullOr } from './rows';
import { dialect, readAs, selectAs } from './names';
import { isForeignKeyViolation } from './store-errors';
import type { Store } from './transactions';

/**
 * extendMemberSession as one statement, the write that checks the session is live: $1 its ID, $2 at, $3 expiresAt, $4 the
 * custom claims as JSON text (NULL: as they are). It computes from the row as it stands, so that no extension is lost.
 */
export const extendSessionSql = (provider: PrismaProvider) =>
  `UPDATE {S} SET {S.lastAccessedAt} = $2, {S.expiresAt} = ${dialect(provider).greatest('{S.expiresAt}', '$3')}, ` +
  `{S.customClaims} = COALESCE(${dialect(provider).json(4)}, {S.customClaims}) ` +
  `WHERE {S.memberSessionId} = $1 AND {S.revokedAt} IS NULL AND {S.expiresAt} > $2 RETURNING ${selectAs('TotpMemberSession', 's')}`;

/** The values of `extendSessionSql`'s statement. */
export function extensionValues(id: string, { at, expiresAt, customClaims }: MemberSessionExtension): unknown[] {
  return [id, at, expiresAt, customClaims === undefined ? null : JSON.stringify(customClaims)];
}

/** A session's insert: its member gone (deleted before or while it ran) is what its foreign key refusing it means. */
const inserted = (create: PromiseLike<unknown>): Promise<'inserted' | 'member_not_found'> =>
  Promise.resolve(create).then(
    () => 'inserted',
    (error: unknown) => (isForeignKeyViolation(error) ? 'member_not_found' : Promise.reject(error)),
  );

export function sessionMethods({ prisma, provider, compile, rows }: Store) {
  const extend = compile(extendSessionSql(provider));
  return {
    insertIntermediateSession: (session) => inserted(prisma.totpIntermediateSession.create({ data: intermediateSessionRow(session) })),

    findIntermediateSession: async (tokenHash) =>
      nullOr(await prisma.totpIntermediateSession.findUnique({ where: { tokenHash } }), intermediateSessionRecord),

    insertMemberSession: (session) => inserted(prisma.totpMemberSession.create({ data: memberSessionRow(session) })),

    findMemberSession: async (lookup) => nullOr(await prisma.totpMemberSession.findUnique({ where: { ...lookup } }), memberSessionRecord),

    extendMemberSession: async (memberSessionId, extension) => {
      const [row = {}] = await rows(extend, extensionValues(memberSessionId, extension));
      return readAs(row, 'TotpMemberSession', 's', memberSessionRecord);
    },

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
  } satisfies Partial<TotpRepository>;
}
