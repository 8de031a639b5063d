// Multi-row writes are all or nothing: a failure at any statement inside the transaction of saveRegistration,
// replaceRecoveryCodes, deleteRegistrations, an activation or a session extension (with or without a step or recovery
// code spent with it; a transaction on SQLite, one statement on PostgreSQL) leaves every table as it was, and so does
// one during an IST exchange (a transaction on SQLite, one statement on PostgreSQL): the IST stays, no session.
// The failure is injected under Prisma, in the driver adapter, at each statement in turn; also by a trigger that makes
// the database itself raise halfway through.

import { TotpError, type ExtendResult, type TotpRepository } from '@totp/core';
import { describe, expect, it } from 'vitest';
import { SEED_AT, SEED_STEP, codesFor, memberSessionFor, registrationFor, seed } from './support/seed';
import { createPostgresStore, createSqliteStore, type StoreOptions, type TestStore } from './support/stores';

class InjectedFailure extends Error {
  override name = 'InjectedFailure';
}

/**
 * Driver hooks that fail the `failAt`-th statement a call sends (BEGIN is 1; a COMMIT is never failed nor counted),
 * and `untilItSucceeds`, which makes a call with a failure at its first statement, then its second, and so on until
 * the call succeeds, checking each failure with `failed`. Returns the call's result and how many statements it sent.
 */
function statementFailures() {
  let failAt = -1;
  let sent = 0;
  const hooks = {
    beforeStatement(sql: string) {
      if (failAt < 0 || /^\s*COMMIT/i.test(sql)) return;
      sent += 1;
      if (sent === failAt) throw new InjectedFailure(`statement ${failAt}: ${sql.slice(0, 40)}`);
    },
  };
  async function untilItSucceeds<T>(call: () => Promise<T>, failed: (error: unknown) => Promise<void>): Promise<{ result: T; statements: number }> {
    try {
      for (failAt = 1; ; failAt++) {
        sent = 0;
        const outcome = await call().then(
          (r) => ({ r }),
          (e: unknown) => ({ e }),
        );
        if ('r' in outcome) return { result: outcome.r, statements: failAt - 1 };
        await failed(outcome.e);
      }
    } finally {
      failAt = -1;
    }
  }
  return { hooks, untilItSucceeds };
}

interface Operation {
  name: string;
  /** Makes the rows the operation will change; returns the call to make. */
  prepare(repository: TotpRepository): Promise<(repository: TotpRepository) => Promise<unknown>>;
  /** How many statements it sends inside its transaction, when the test pins it (else at least 2). */
  statements?: number;
  /** On PostgreSQL it is one statement, no transaction: tested below with the IST exchange's way of counting. */
  oneStatementOnPostgresql?: true;
}

const FACTOR = { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: '', created_at: '', updated_at: '' };

/** A session of a fresh member with no factor and custom claims { a: 1 }, and an update that changes all of it. */
async function sessionToExtend(repository: TotpRepository, tag: string) {
  const s = await seed(repository);
  const session = { ...memberSessionFor(s, tag), authenticationFactors: [], customClaims: { a: 1 } };
  await repository.insertMemberSession(session);
  const update = { at: SEED_AT, expiresAt: new Date(SEED_AT.getTime() + 7_200_000), factor: FACTOR, customClaims: { b: 2 } };
  return { s, memberSessionId: session.memberSessionId, update };
}

/** The call's result, checked: an extension that is not `extended` wrote nothing, and the test would prove nothing. */
async function extended(result: Promise<ExtendResult>): Promise<ExtendResult> {
  const r = await result;
  if (r.status !== 'extended') throw new Error(`expected the extension to go through, got ${r.status}`);
  return r;
}

const operations: Operation[] = [
  {
    name: 'saveRegistration (replacing a pending registration and its 10 codes)',
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-next`, 'pending');
      return (r) => r.saveRegistration(next, codesFor('fa11'));
    },
  },
  {
    name: 'saveRegistration (an active one, setting the member)',
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-active`, 'active');
      return (r) => r.saveRegistration(next, codesFor('fa12'));
    },
  },
  {
    name: 'replaceRecoveryCodes',
    prepare: async (repository) => {
      const s = await seed(repository);
      return (r) => r.replaceRecoveryCodes(s.totpRegistrationId, codesFor('fa13'));
    },
  },
  {
    name: 'deleteRegistrations',
    prepare: async (repository) => {
      const s = await seed(repository);
      await repository.updateMemberMfa(s.organizationId, s.memberId, { defaultMfaMethod: 'totp', updatedAt: SEED_AT });
      return (r) => r.deleteRegistrations(s.organizationId, s.memberId, new Date(SEED_AT.getTime() + 1000));
    },
  },
  {
    name: 'recordAcceptedStep with activation',
    prepare: async (repository) => {
      const s = await seed(repository, { status: 'pending' });
      return (r) => r.recordAcceptedStep(s.totpRegistrationId, SEED_STEP, { at: SEED_AT });
    },
  },
  {
    name: 'extendMemberSession',
    oneStatementOnPostgresql: true,
    // The session's UPDATE … RETURNING, its write.
    statements: 2,
    prepare: async (repository) => {
      const { memberSessionId, update } = await sessionToExtend(repository, 'extend-fault');
      return (r) => r.extendMemberSession(memberSessionId, update);
    },
  },
  {
    name: 'extendMemberSessionWithSpend (a time step)',
    oneStatementOnPostgresql: true,
    // The session's UPDATE … RETURNING, the step's UPDATE, the session's write.
    statements: 3,
    prepare: async (repository) => {
      const { s, memberSessionId, update } = await sessionToExtend(repository, 'extend-step-fault');
      return (r) => extended(r.extendMemberSessionWithSpend(memberSessionId, update, { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP }));
    },
  },
  {
    name: 'extendMemberSessionWithSpend (a recovery code)',
    oneStatementOnPostgresql: true,
    // The session's UPDATE … RETURNING, the code's DELETE, the count of codes left, the session's write.
    statements: 4,
    prepare: async (repository) => {
      const { s, memberSessionId, update } = await sessionToExtend(repository, 'extend-code-fault');
      const spend = { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[3]!] } as const;
      return (r) => extended(r.extendMemberSessionWithSpend(memberSessionId, update, spend));
    },
  },
];

const databases: Array<[string, (options: StoreOptions) => Promise<TestStore>]> = [
  ['sqlite', createSqliteStore],
  ['postgresql', createPostgresStore],
];

describe.each(databases)('transactions on %s are all or nothing', (name, createStore) => {
  const transactional = operations.filter((o) => !(o.oneStatementOnPostgresql && name === 'postgresql'));
  it.each(transactional.map((o) => [o.name, o] as const))('%s: a failure at any statement leaves no trace', async (_label, operation) => {
    // failAt: the statement of the transaction to fail (1 = the first after BEGIN); -1 = none.
    let failAt = -1;
    const store = await createStore({
      hooks: {
        beforeStatement(sql, transaction) {
          // Not the COMMIT: a COMMIT that fails before it reaches the server has no defined outcome (the client
          // cannot know whether it was applied); the statements before it are what "halfway" means.
          if (/^\s*COMMIT/i.test(sql)) return;
          if (transaction !== undefined && transaction.statement === failAt) throw new InjectedFailure(`statement ${failAt}`);
        },
      },
    });
    try {
      const call = await operation.prepare(store.repository);
      const before = JSON.stringify(await store.dump());
      let statements = 0;
      for (failAt = 1; ; failAt++) {
        const error = await call(store.repository).then(
          () => null,
          (e: unknown) => e,
        );
        if (error === null) {
          // Past the last statement before the COMMIT: the call went through.
          statements = failAt - 1;
          break;
        }
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(TotpError);
        expect(String((error as Error).message)).toMatch(/^@totp\/prisma: \w+ failed$/);
        expect(JSON.stringify(await store.dump())).toBe(before);
      }
      // Every statement was failed once; then the untouched call did its work.
      if (operation.statements === undefined) expect(statements).toBeGreaterThanOrEqual(2);
      else expect(statements).toBe(operation.statements);
      expect(JSON.stringify(await store.dump())).not.toBe(before);
    } finally {
      failAt = -1;
      await store.close();
    }
  });
});

describe.each(databases)('exchangeIntermediateSession on %s is all or nothing', (name, createStore) => {
  it.each([
    ['without a spend', 'none'],
    ['spending a time step', 'totp_step'],
    ['spending a recovery code', 'recovery_code'],
  ] as const)('%s: a failure at any statement it sends leaves the IST (and the step or code) in place and no session', async (_label, spends) => {
    const failures = statementFailures();
    const store = await createStore({ hooks: failures.hooks });
    try {
      const s = await seed(store.repository);
      const session = memberSessionFor(s, 'fault');
      const before = JSON.stringify(await store.dump());
      const spend =
        spends === 'totp_step'
          ? ({ kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const)
          : spends === 'recovery_code'
            ? ({ kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[0]!] } as const)
            : undefined;
      const { result, statements } = await failures.untilItSucceeds(
        () => store.repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, session, spend),
        async (error) => {
          expect(error).toBeInstanceOf(Error);
          expect(error).not.toBeInstanceOf(TotpError);
          expect(String((error as Error).message)).toBe('@totp/prisma: exchangeIntermediateSession failed');
          expect(JSON.stringify(await store.dump())).toBe(before);
        },
      );
      expect(result.status === 'exchanged' && result.consumed.tokenHash).toBe(s.istHashes[0]);
      // SQLite: BEGIN, the DELETE … RETURNING, (the step's UPDATE, or the code's DELETE and the count,) the INSERT.
      // PostgreSQL: the one statement.
      expect(statements).toBe(name === 'sqlite' ? { none: 3, totp_step: 4, recovery_code: 5 }[spends] : 1);
      expect(await store.rows('totp_intermediate_sessions')).toEqual([]);
      const step = (await store.rows('totp_registrations'))[0]!.last_accepted_step;
      expect(step === null ? null : String(step)).toBe(spends === 'totp_step' ? String(SEED_STEP) : null);
      expect(await store.rows('totp_recovery_codes')).toHaveLength(spends === 'recovery_code' ? 9 : 10);
      expect((await store.rows('totp_member_sessions')).map((r) => r.member_session_id)).toEqual([session.memberSessionId]);
    } finally {
      await store.close();
    }
  });

  it('the database refusing the session (a trigger) after the IST was deleted: the IST stays, no session', async () => {
    const store = await createStore({});
    try {
      const s = await seed(store.repository);
      if (name === 'sqlite') {
        await store.prisma.$executeRawUnsafe(
          `CREATE TRIGGER refuse_session BEFORE INSERT ON ${store.qualify('totp_member_sessions')} BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`,
        );
      } else {
        await store.prisma.$executeRawUnsafe(`
          CREATE FUNCTION ${store.qualify('refuse_session')}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$`);
        await store.prisma.$executeRawUnsafe(
          `CREATE TRIGGER refuse_session BEFORE INSERT ON ${store.qualify('totp_member_sessions')} FOR EACH ROW EXECUTE FUNCTION ${store.qualify('refuse_session')}()`,
        );
      }
      const before = JSON.stringify(await store.dump());
      const error = await store.repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, memberSessionFor(s, 'refused')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(String((error as Error).message)).toBe('@totp/prisma: exchangeIntermediateSession failed');
      // The driver's error is kept: the raw statement's failure (Prisma's P2010), caused by the trigger. (Prisma's SQLite
      // adapter reports a RAISE as SQLITE_CONSTRAINT_TRIGGER, without its text.)
      const cause = (error as Error).cause as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string; originalMessage?: string } } } };
      expect(cause.code).toBe('P2010');
      const driver = cause.meta?.driverAdapterError?.cause;
      if (name === 'sqlite') expect(driver?.originalCode).toBe('SQLITE_CONSTRAINT_TRIGGER');
      else expect(driver?.originalMessage).toMatch(/refused by the test trigger/);
      expect(JSON.stringify(await store.dump())).toBe(before);
      expect(await store.rows('totp_intermediate_sessions', `token_hash = '${s.istHashes[0]}'`)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe.each(databases)('session extensions on %s are all or nothing', (name, createStore) => {
  const kinds = [
    ['extendMemberSession', 'none'],
    ['extendMemberSessionWithSpend spending a time step', 'totp_step'],
    ['extendMemberSessionWithSpend spending a recovery code', 'recovery_code'],
  ] as const;
  type Kind = (typeof kinds)[number][1];
  /** The call to make for `kind` on a fresh session (factors [], claims { a: 1 }) and its member's registration. */
  async function extensionOf(repository: TotpRepository, kind: Kind) {
    const { s, memberSessionId, update } = await sessionToExtend(repository, `extend-${kind}-all-or-nothing`);
    const call = (r: TotpRepository): Promise<ExtendResult> => {
      if (kind === 'none') return r.extendMemberSession(memberSessionId, update).then((session) => (session === null ? { status: 'session_not_found' } : { status: 'extended', session }));
      const spend =
        kind === 'totp_step'
          ? ({ kind, totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const)
          : ({ kind, totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[3]!] } as const);
      return r.extendMemberSessionWithSpend(memberSessionId, update, spend);
    };
    return { s, memberSessionId, call };
  }

  it.each(kinds)('%s: a failure at any statement it sends leaves the session (and the step or code) as they were', async (method, kind) => {
    const failures = statementFailures();
    const store = await createStore({ hooks: failures.hooks });
    try {
      const { s, memberSessionId, call } = await extensionOf(store.repository, kind);
      const before = JSON.stringify(await store.dump());
      const { result, statements } = await failures.untilItSucceeds(
        () => call(store.repository),
        async (error) => {
          expect(error).toBeInstanceOf(Error);
          expect(error).not.toBeInstanceOf(TotpError);
          expect(String((error as Error).message)).toBe(`@totp/prisma: ${method.split(' ')[0]} failed`);
          expect(JSON.stringify(await store.dump())).toBe(before);
        },
      );
      expect(result.status).toBe('extended');
      // SQLite: BEGIN, the session's UPDATE … RETURNING, (the step's UPDATE, or the code's DELETE and the count,) the
      // session's write. PostgreSQL: the one statement.
      expect(statements).toBe(name === 'sqlite' ? { none: 3, totp_step: 4, recovery_code: 5 }[kind] : 1);
      const [session] = await store.rows('totp_member_sessions', `member_session_id = '${memberSessionId}'`);
      const factors = session!.authentication_factors;
      expect(typeof factors === 'string' ? JSON.parse(factors) : factors).toEqual([FACTOR]);
      const step = (await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`))[0]!.last_accepted_step;
      expect(step === null ? null : String(step)).toBe(kind === 'totp_step' ? String(SEED_STEP) : null);
      expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(kind === 'recovery_code' ? 9 : 10);
    } finally {
      await store.close();
    }
  });

  it.each(kinds.filter(([, kind]) => kind !== 'none'))(
    '%s: the database refusing the session’s write (a trigger) after the spend leaves the step or code unspent',
    async (method, kind) => {
      const store = await createStore({});
      try {
        const { s, call } = await extensionOf(store.repository, kind);
        const sessions = store.qualify('totp_member_sessions');
        // Only the write that changes the factors: SQLite's first UPDATE (the access time) goes through, and the spend.
        if (name === 'sqlite') {
          await store.prisma.$executeRawUnsafe(
            `CREATE TRIGGER refuse_extension BEFORE UPDATE ON ${sessions} WHEN NEW.authentication_factors IS NOT OLD.authentication_factors BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`,
          );
        } else {
          await store.prisma.$executeRawUnsafe(`
            CREATE FUNCTION ${store.qualify('refuse_extension')}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$`);
          await store.prisma.$executeRawUnsafe(
            `CREATE TRIGGER refuse_extension BEFORE UPDATE ON ${sessions} FOR EACH ROW WHEN (NEW.authentication_factors IS DISTINCT FROM OLD.authentication_factors) EXECUTE FUNCTION ${store.qualify('refuse_extension')}()`,
          );
        }
        const before = JSON.stringify(await store.dump());
        store.counter.reset();
        const error = await call(store.repository).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(String((error as Error).message)).toBe(`@totp/prisma: ${method.split(' ')[0]} failed`);
        // PostgreSQL: the trigger fired inside the one statement (a raw query's failure, P2010), after its `spent` part.
        if (name === 'postgresql') {
          expect(store.counter.statements.map((x) => x.sql.split(' ')[0])).toEqual(['WITH']);
          const cause = (error as Error).cause as { code?: string; meta?: { driverAdapterError?: { cause?: { originalMessage?: string } } } };
          expect(cause.code).toBe('P2010');
          expect(cause.meta?.driverAdapterError?.cause?.originalMessage).toMatch(/refused by the test trigger/);
        }
        expect(JSON.stringify(await store.dump())).toBe(before);
        const step = (await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`))[0]!.last_accepted_step;
        expect(step).toBeNull();
        expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
      } finally {
        await store.close();
      }
    },
  );
});

describe('PostgreSQL raising inside the transaction', () => {
  it('saveRegistration: a trigger refusing the 6th new recovery code leaves the old pending registration whole', async () => {
    const store = await createPostgresStore();
    try {
      const s = await seed(store.repository, { status: 'pending' });
      const refused = codesFor('bad')[5]!.hash;
      await store.prisma.$executeRawUnsafe(`
        CREATE FUNCTION ${store.qualify('refuse_code')}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.hash = '${refused}' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF;
          RETURN NEW;
        END $$`);
      await store.prisma.$executeRawUnsafe(
        `CREATE TRIGGER refuse_code BEFORE INSERT ON ${store.qualify('totp_recovery_codes')} FOR EACH ROW EXECUTE FUNCTION ${store.qualify('refuse_code')}()`,
      );
      const before = JSON.stringify(await store.dump());
      const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-next`, 'pending');
      const error = await store.repository.saveRegistration(next, codesFor('bad')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(String(((error as Error).cause as Error).message)).toMatch(/refused by the test trigger/);
      // The old registration and its 10 codes are there; nothing of the new one is.
      expect(JSON.stringify(await store.dump())).toBe(before);
      expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
    } finally {
      await store.close();
    }
  });
});
