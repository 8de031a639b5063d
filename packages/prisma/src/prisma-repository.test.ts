// createPrismaRepository's checks of what it is given, and the methods it makes (the port's, no more).

import { describe, expect, it } from 'vitest';
import { createPrismaRepository } from './prisma-repository';

const delegates = Object.fromEntries(
  ['totpOrganization', 'totpMember', 'totpRegistration', 'totpRecoveryCode', 'totpIntermediateSession', 'totpMemberSession'].map((d) => [
    d,
    {},
  ]),
);
const client = { ...delegates, $transaction: () => undefined } as never;

describe('createPrismaRepository', () => {
  it('names what is wrong with what it was given', () => {
    expect(() => createPrismaRepository(null as never, { provider: 'sqlite' })).toThrow(/must be a PrismaClient/);
    expect(() => createPrismaRepository({ $transaction: () => undefined } as never, { provider: 'sqlite' })).toThrow(
      /no `totpOrganization` model.*merge prisma\/totp.prisma/,
    );
    expect(() => createPrismaRepository(client, undefined as never)).toThrow(/`provider` must be "sqlite" or "postgresql"/);
    expect(() => createPrismaRepository(client, { provider: 'mysql' as never })).toThrow(RangeError);
    expect(() => createPrismaRepository(client, { provider: 'postgresql', schema: '' })).toThrow(/`schema` is for PostgreSQL/);
    expect(() => createPrismaRepository(client, { provider: 'sqlite', schema: 'app' })).toThrow(/`schema` is for PostgreSQL/);
    expect(() => createPrismaRepository(client, { provider: 'sqlite', tableNames: { TotpUser: {} } as never })).toThrow(
      /`tableNames.TotpUser`/,
    );
    expect(() => createPrismaRepository(client, { provider: 'postgresql', tableNames: { TotpUser: { table: 'x' } } as never })).toThrow(
      /`tableNames.TotpUser`/,
    );
    expect(() =>
      createPrismaRepository(client, { provider: 'postgresql', tableNames: { TotpMember: { columns: { memberId: '' } } } }),
    ).toThrow(/`tableNames.TotpMember`/);
  });

  it('makes every port method, and only those', () => {
    const repository = createPrismaRepository(client, {
      provider: 'postgresql',
      schema: 'app',
      tableNames: { TotpMember: { table: 'members' } },
    });
    expect(Object.keys(repository).sort()).toEqual(
      [
        'insertOrganization',
        'findOrganization',
        'deleteOrganization',
        'insertMember',
        'findMember',
        'updateMember',
        'deleteMember',
        'beginMfaAttempt',
        'grantMfaSession',
        'findRegistrations',
        'saveRegistration',
        'deleteRegistrations',
        'countRecoveryCodes',
        'replaceRecoveryCodes',
        'insertIntermediateSession',
        'findIntermediateSession',
        'insertMemberSession',
        'findMemberSession',
        'extendMemberSession',
        'revokeMemberSessions',
        'purgeExpired',
      ].sort(),
    );
  });
});
