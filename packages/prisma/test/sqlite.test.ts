// SQLite specifics. One PrismaClient over @prisma/adapter-better-sqlite3 is one connection, and a query sent while an
// interactive transaction is open runs inside it: if that transaction then rolls back, the other caller's write is
// rolled back with it, after it was acknowledged. The repository queues its operations per client to prevent that.

import { describe, expect, it } from 'vitest';
import { exerciseEveryMethod } from './exercise';
import { SEED_AT, codesFor, grantOf, memberSessionFor, registrationFor, reservationAt, seed, stepSpend } from './support/seed';
import { createSqliteStore, type TestStore } from './support/stores';

/** saveRegistration fails at its 3rd statement; during its 1st, another caller updates the member's MFA settings. */
async function updateDuringAFailingTransaction(provider: 'sqlite' | 'postgresql') {
  let interleaved: Promise<unknown> | undefined;
  let armed = false;
  const store = await createSqliteStore({
    repository: { provider },
    hooks: {
      beforeStatement(_sql, transaction) {
        if (!armed || transaction === undefined) return;
        if (transaction.statement === 1) {
          interleaved = store.repository.updateMember(s.organizationId, s.memberId, { mfaEnrolled: true, updatedAt: SEED_AT });
        }
        if (transaction.statement === 3) {
          armed = false;
          throw new Error('injected failure');
        }
      },
    },
  });
  const s = await seed(store.repository, { status: 'pending' });
  try {
    armed = true;
    const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-n`, 'pending');
    await expect(store.repository.saveRegistration(next, codesFor('a1'))).rejects.toThrow(/saveRegistration failed/);
    const acknowledged = (await interleaved) === null ? 0 : 1;
    const [member] = await store.rows('totp_members');
    return { acknowledged, stored: Number(member!.mfa_enrolled) };
  } finally {
    await store.close();
  }
}

describe('SQLite', () => {
  it('keeps a write that arrives while another operation’s transaction is open and then fails', async () => {
    expect(await updateDuringAFailingTransaction('sqlite')).toEqual({ acknowledged: 1, stored: 1 });
  });

  it('(why the queue exists) without it, Prisma’s SQLite adapter loses that acknowledged write', async () => {
    // Claiming PostgreSQL turns the queue off (the two methods used here send no raw SQL). If this starts to fail,
    // Prisma fixed the adapter: the queue can go.
    expect(await updateDuringAFailingTransaction('postgresql')).toEqual({ acknowledged: 1, stored: 0 });
  });

  it('runs every port method on a real file', async () => {
    const store = await createSqliteStore();
    try {
      await exerciseEveryMethod(store.repository);
      // The member and organization were deleted last, with everything hanging on them.
      for (const rows of Object.values(await store.dump())) expect(rows).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('starts every transaction with a write, so that it holds the write lock before it reads', async () => {
    const store = await createSqliteStore();
    try {
      await exerciseEveryMethod(store.repository);
      // The counter notes an isolation level as a statement of its own after BEGIN (the organization insert's).
      const statements = store.counter.statements.filter((statement) => statement.sql !== 'SET TRANSACTION ISOLATION LEVEL');
      const firsts = statements.flatMap((statement, i) => (statement.sql === 'BEGIN' ? [statements[i + 1]!.sql] : []));
      expect(firsts.length).toBeGreaterThan(5);
      for (const sql of firsts) expect(sql).toMatch(/^(UPDATE|DELETE|INSERT)|^COMMIT$/);
    } finally {
      await store.close();
    }
  });

  // Two clients on one file, as two processes have: B's call lands between A's read and A's compare-and-set.
  it.each([
    ['reserved', 'a reservation, made again: none is lost'],
    ['consumed the IST', 'nothing reserved, as the IST is gone by the write'],
  ] as const)('another connection %s between a reservation’s read and its write: %s', async (interleaved, _outcome) => {
    let other: TestStore | undefined;
    let interleave: (() => Promise<unknown>) | undefined;
    const store = await createSqliteStore({
      hooks: {
        async beforeStatement(sql) {
          // The reservation's compare-and-set: the read's WITH, then an UPDATE.
          if (interleave === undefined || !/^WITH .* UPDATE /s.test(sql)) return;
          const call = interleave;
          interleave = undefined;
          await call();
        },
      },
    });
    try {
      const s = await seed(store.repository);
      other = await createSqliteStore({ repository: {}, url: store.location.url });
      const attempt = {
        organization: { by: 'id', value: s.organizationId },
        member: { by: 'id', value: s.memberId },
        registration: 'active',
        session: { kind: 'intermediate', tokenHash: s.istHashes[0]! },
        reservation: reservationAt(SEED_AT, 2),
      } as const;
      interleave =
        interleaved === 'reserved'
          ? () => other!.repository.beginMfaAttempt(attempt)
          : () => other!.repository.grantMfaSession(grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'between' }));
      const a = await store.repository.beginMfaAttempt(attempt);
      const [member] = await store.rows('totp_members');
      if (interleaved === 'reserved') {
        // A read a count of 0, lost the compare-and-set to B's 1, read again and took the second place, starting the lock.
        expect([a.member?.failedMfaAttempts, a.reservation]).toEqual([1, { status: 'reserved', lockStarted: true }]);
        expect(member).toMatchObject({ failed_mfa_attempts: 2, lock_created_at: SEED_AT });
      } else {
        expect([a.intermediateSession, a.reservation]).toEqual([null, null]);
        expect(member).toMatchObject({ failed_mfa_attempts: 0, lock_created_at: null });
      }
    } finally {
      await other?.close();
      await store.close();
    }
  });

  it('keeps timestamps to the millisecond and compares them in time order', async () => {
    const store = await createSqliteStore();
    try {
      const s = await seed(store.repository, { ists: 1 });
      const registration = (await store.repository.findRegistrations(s.organizationId, s.memberId)).active!;
      expect(registration.createdAt.getTime()).toBe(SEED_AT.getTime());
      // At expiry nothing is exchanged (nothing written); one millisecond before, the IST becomes the one session.
      const expiresAt = SEED_AT.getTime() + 3_600_000;
      const grant = (at: number) => grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'expiry' }, {}, new Date(at));
      expect((await store.repository.grantMfaSession(grant(expiresAt))).status).toBe('session_not_found');
      expect(await store.rows('totp_member_sessions')).toEqual([]);
      expect((await store.repository.grantMfaSession(grant(expiresAt - 1))).status).toBe('granted');
      expect(await store.rows('totp_intermediate_sessions')).toEqual([]);
      expect((await store.rows('totp_member_sessions')).map((r) => r.member_session_id)).toEqual([
        memberSessionFor(s, 'expiry').memberSessionId,
      ]);
    } finally {
      await store.close();
    }
  });
});
