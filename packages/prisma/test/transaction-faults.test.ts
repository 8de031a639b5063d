// Multi-row writes are all or nothing: a failure at any statement a call sends (a transaction's, or each of the
// one-statement methods' on PostgreSQL) leaves every table as it was: saveRegistration,
// replaceRecoveryCodes, deleteRegistrations, extendMemberSession, insertOrganization, beginMfaAttempt's reservation and
// grantMfaSession with each target and spend. The failure is injected under Prisma, in the driver adapter, at each
// statement in turn; also by a trigger that makes the database itself raise halfway through.

import { TotpError, type TotpRepository } from '@totp/core';
import { describe, expect, it } from 'vitest';
import {
  SEED_AT,
  SEED_STEP,
  codeSpend,
  codesFor,
  grantOf,
  memberSessionFor,
  registrationFor,
  reservationAt,
  seed,
  stepSpend,
} from './support/seed';
import { createPostgresStore, createSqliteStore, type StoreOptions, type TestStore } from './support/stores';

class InjectedFailure extends Error {
  override name = 'InjectedFailure';
}

/**
 * Driver hooks that fail the `failAt`-th statement a call sends (BEGIN included; a COMMIT is never failed nor counted:
 * a COMMIT whose reply is lost has no defined outcome), and `untilItSucceeds`, which makes the call with a failure at its
 * first statement, then its second, and so on until it succeeds, checking each failure. Returns how many it sent.
 */
function statementFailures() {
  let failAt = -1;
  let sent = 0;
  const hooks: StoreOptions['hooks'] = {
    beforeStatement(sql) {
      if (failAt < 0 || /^\s*COMMIT/i.test(sql)) return;
      sent += 1;
      if (sent === failAt) throw new InjectedFailure(`statement ${failAt}: ${sql.slice(0, 40)}`);
    },
  };
  async function untilItSucceeds(call: () => Promise<unknown>, failed: (error: unknown) => Promise<void>): Promise<number> {
    try {
      for (failAt = 1; ; failAt++) {
        sent = 0;
        const error = await call().then(
          () => null,
          (e: unknown) => e,
        );
        if (error === null) return failAt - 1;
        await failed(error);
      }
    } finally {
      failAt = -1;
    }
  }
  return { hooks, untilItSucceeds };
}

interface Operation {
  name: string;
  method: keyof TotpRepository;
  /** Makes the rows the call will change; returns the call, which must succeed untouched. */
  prepare(repository: TotpRepository): Promise<(repository: TotpRepository) => Promise<unknown>>;
  /** Statements sent, when pinned: [SQLite, PostgreSQL]. */
  statements?: [number, number];
}

const granted = async (result: Promise<{ status: string }>) => {
  const r = await result;
  if (r.status !== 'granted') throw new Error(`expected the grant to go through, got ${r.status}`);
};

async function withSession(repository: TotpRepository, tag: string) {
  const s = await seed(repository);
  const session = { ...memberSessionFor(s, tag), authenticationFactors: [], customClaims: { a: 1 } };
  await repository.insertMemberSession(session);
  return { s, memberSessionId: session.memberSessionId };
}

const operations: Operation[] = [
  {
    name: 'saveRegistration (replacing a pending registration and its 10 codes)',
    method: 'saveRegistration',
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      return (r) =>
        r.saveRegistration(registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-next`, 'pending'), codesFor('fa11'));
    },
  },
  {
    name: 'saveRegistration (an active one, setting the member)',
    method: 'saveRegistration',
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-active`, 'active');
      return (r) => r.saveRegistration(next, codesFor('fa12'), { mfaEnrolled: true, updatedAt: SEED_AT });
    },
  },
  {
    name: 'replaceRecoveryCodes',
    method: 'replaceRecoveryCodes',
    prepare: async (repository) => {
      const s = await seed(repository);
      return (r) => r.replaceRecoveryCodes(s.totpRegistrationId, codesFor('fa13'));
    },
  },
  {
    name: 'deleteRegistrations',
    method: 'deleteRegistrations',
    prepare: async (repository) => {
      const s = await seed(repository);
      await repository.updateMember(s.organizationId, s.memberId, { defaultMfaMethod: 'totp', updatedAt: SEED_AT });
      return (r) => r.deleteRegistrations(s.organizationId, s.memberId, new Date(SEED_AT.getTime() + 1000));
    },
  },
  {
    name: 'extendMemberSession',
    method: 'extendMemberSession',
    statements: [1, 1],
    prepare: async (repository) => {
      const { memberSessionId } = await withSession(repository, 'extend-fault');
      return (r) =>
        r.extendMemberSession(memberSessionId, { at: SEED_AT, expiresAt: new Date(SEED_AT.getTime() + 7_200_000), customClaims: { b: 2 } });
    },
  },
  {
    name: 'insertOrganization',
    method: 'insertOrganization',
    prepare: async () => {
      const organization = {
        organizationId: 'organization-fault',
        organizationName: 'F',
        organizationSlug: 'fault',
        organizationExternalId: 'crm-fault',
        mfaPolicy: 'OPTIONAL',
        mfaMethods: 'ALL_ALLOWED',
        allowedMfaMethods: [],
        createdAt: SEED_AT,
        updatedAt: SEED_AT,
      } as const;
      return (r) => r.insertOrganization({ ...organization, allowedMfaMethods: ['totp'] });
    },
  },
  {
    name: 'beginMfaAttempt (a reservation that starts the lock)',
    method: 'beginMfaAttempt',
    statements: [2, 1],
    prepare: async (repository) => {
      const s = await seed(repository);
      const query = {
        organization: { by: 'id', value: s.organizationId },
        member: { by: 'id', value: s.memberId },
        registration: 'active',
        session: { kind: 'intermediate', tokenHash: s.istHashes[0]! },
        reservation: reservationAt(SEED_AT, 1),
      } as const;
      return (r) => r.beginMfaAttempt(query);
    },
  },
  ...(['step', 'code'] as const).flatMap((spend): Operation[] => [
    {
      name: `grantMfaSession (exchanging an IST, spending a ${spend})`,
      method: 'grantMfaSession',
      statements: [5, 1],
      prepare: async (repository) => {
        const s = await seed(repository);
        await repository.updateMember(s.organizationId, s.memberId, { mfaEnrolled: false, updatedAt: SEED_AT });
        const grant = grantOf(
          s,
          spend === 'step' ? stepSpend(s) : codeSpend(s, 3),
          { ist: s.istHashes[0]!, tag: `exchange-${spend}-fault` },
          { patch: { mfaEnrolled: true, updatedAt: SEED_AT } },
        );
        return (r) => granted(r.grantMfaSession(grant));
      },
    },
    {
      name: `grantMfaSession (extending a session, spending a ${spend})`,
      method: 'grantMfaSession',
      statements: [5, 1],
      prepare: async (repository) => {
        const { s, memberSessionId } = await withSession(repository, `extend-${spend}-fault`);
        const grant = grantOf(s, spend === 'step' ? stepSpend(s) : codeSpend(s, 3), { memberSessionId, customClaims: { b: 2 } });
        return (r) => granted(r.grantMfaSession(grant));
      },
    },
  ]),
  {
    name: 'grantMfaSession (an activation)',
    method: 'grantMfaSession',
    statements: [5, 1],
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      const grant = grantOf(
        s,
        { kind: 'activation', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP },
        { ist: s.istHashes[0]!, tag: 'activation-fault' },
      );
      return (r) => granted(r.grantMfaSession(grant));
    },
  },
];

const databases: Array<[string, (options: StoreOptions) => Promise<TestStore>]> = [
  ['sqlite', createSqliteStore],
  ['postgresql', createPostgresStore],
];

describe.each(databases)('writes on %s are all or nothing', (name, createStore) => {
  it.each(operations.map((o) => [o.name, o] as const))('%s: a failure at any statement leaves no trace', async (_label, operation) => {
    const failures = statementFailures();
    const store = await createStore({ hooks: failures.hooks });
    try {
      const call = await operation.prepare(store.repository);
      const before = JSON.stringify(await store.dump());
      const statements = await failures.untilItSucceeds(
        () => call(store.repository),
        async (error) => {
          expect(error).toBeInstanceOf(Error);
          expect(error).not.toBeInstanceOf(TotpError);
          expect((error as Error).message).toBe(`@totp/prisma: ${operation.method} failed`);
          expect(JSON.stringify(await store.dump())).toBe(before);
        },
      );
      // Every statement was failed once; then the untouched call did its work.
      if (operation.statements !== undefined) expect(statements).toBe(operation.statements[name === 'sqlite' ? 0 : 1]);
      else expect(statements).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(await store.dump())).not.toBe(before);
    } finally {
      await store.close();
    }
  });

  /** A trigger that raises on `event` of `table` (when `when` holds, SQL on NEW and OLD). */
  async function refuse(store: TestStore, table: string, event: 'INSERT' | 'UPDATE', when = 'TRUE'): Promise<void> {
    const name = `refuse_${table}`;
    if (store.qualify('x').includes('.')) {
      await store.prisma.$executeRawUnsafe(
        `CREATE FUNCTION ${store.qualify(name)}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$`,
      );
      await store.prisma.$executeRawUnsafe(
        `CREATE TRIGGER ${name} BEFORE ${event} ON ${store.qualify(table)} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${store.qualify(name)}()`,
      );
    } else {
      await store.prisma.$executeRawUnsafe(
        `CREATE TRIGGER ${name} BEFORE ${event} ON ${store.qualify(table)} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`,
      );
    }
  }

  it.each([
    ['the new session (an exchange), after the IST is deleted and the step spent', 'totp_member_sessions', 'INSERT', 'TRUE', 'exchange'],
    [
      'the session’s new factors (an extension), after the step is spent',
      'totp_member_sessions',
      'UPDATE',
      'NEW.authentication_factors IS DISTINCT FROM OLD.authentication_factors',
      'extend',
    ],
    [
      'the member’s write, after everything else',
      'totp_members',
      'UPDATE',
      'NEW.mfa_enrolled IS DISTINCT FROM OLD.mfa_enrolled',
      'exchange',
    ],
  ] as const)('the database refusing %s: the grant wrote nothing', async (_label, table, event, when, target) => {
    const store = await createStore({});
    try {
      const { s, memberSessionId } = await withSession(store.repository, `trigger-${table}-${event}`);
      await refuse(store, table, event, name === 'sqlite' ? when.replace('IS DISTINCT FROM', 'IS NOT') : when);
      const before = JSON.stringify(await store.dump());
      const grant = grantOf(s, stepSpend(s), target === 'exchange' ? { ist: s.istHashes[0]!, tag: 'refused' } : { memberSessionId }, {
        patch: { mfaEnrolled: true, updatedAt: SEED_AT },
      });
      const error = await store.repository.grantMfaSession(grant).catch((e: unknown) => e);
      expect((error as Error).message).toBe('@totp/prisma: grantMfaSession failed');
      // The driver's error is kept as the cause.
      expect(JSON.stringify((error as Error).cause)).toMatch(/refused by the test trigger|SQLITE_CONSTRAINT_TRIGGER/);
      expect(JSON.stringify(await store.dump())).toBe(before);
    } finally {
      await store.close();
    }
  });

  it('saveRegistration: a trigger refusing the 6th new recovery code leaves the old pending registration whole', async () => {
    const store = await createStore({});
    try {
      const s = await seed(store.repository, { status: 'pending' });
      await refuse(store, 'totp_recovery_codes', 'INSERT', `NEW.hash = '${codesFor('bad')[5]!.hash}'`);
      const before = JSON.stringify(await store.dump());
      const error = await store.repository
        .saveRegistration(registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-next`, 'pending'), codesFor('bad'))
        .catch((e: unknown) => e);
      expect((error as Error).message).toBe('@totp/prisma: saveRegistration failed');
      expect(JSON.stringify(await store.dump())).toBe(before);
      expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
    } finally {
      await store.close();
    }
  });
});
