import { describe, expect, it } from 'vitest';
import { createPrismaRepository } from './prisma-repository';

describe('createPrismaRepository', () => {
  it('names what is wrong with what it was given', () => {
    expect(() => createPrismaRepository(null as never)).toThrow(/must be a PrismaClient/);
    expect(() => createPrismaRepository({ $transaction: () => undefined } as never)).toThrow(/no `totpOrganization` model.*merge prisma\/totp.prisma/);
    const delegates = Object.fromEntries(
      ['totpOrganization', 'totpMember', 'totpRegistration', 'totpRecoveryCode', 'totpIntermediateSession', 'totpMemberSession'].map((d) => [d, {}]),
    );
    expect(() => createPrismaRepository({ ...delegates, $transaction: () => undefined } as never, { provider: 'mysql' as never })).toThrow(RangeError);
    expect(() => createPrismaRepository({ ...delegates, $transaction: () => undefined } as never, { schema: '' })).toThrow(/`schema` must be/);
    // A data model without one of the fields the raw SQL reads is refused at once, naming it.
    const dataModel = { models: { TotpOrganization: { dbName: 'o', fields: [{ name: 'organizationId' }] } } };
    expect(() =>
      createPrismaRepository({ ...delegates, $transaction: () => undefined, $queryRawUnsafe: () => undefined, _runtimeDataModel: dataModel } as never, {
        provider: 'postgresql',
      }),
    ).toThrow(/`TotpOrganization` model has no `organizationName` field/);
  });
});
