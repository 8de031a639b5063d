// SQLite specifics. One PrismaClient over @prisma/adapter-better-sqlite3 is one connection, and a query sent while an
// interactive transaction is open runs inside it: if that transaction then rolls back, the other caller's write is
// rolled back with it, after it was acknowledged. The repository queues its operations per client to prevent that.

import { describe, expect, it } from 'vitest';
import { exerciseEveryMethod } from './exercise';
import { SEED_AT, codesFor, memberSessionFor, registrationFor, seed } from './support/seed';
import { createSqliteStore } from './support/stores';

/** saveRegistration fails at its 3rd statement; during its 1st, another caller updates the member's MFA settings. */
async function incrementDuringAFailingTransaction(provider: 'sqlite' | 'postgresql' | undefined) {
  let interleaved: Promise<unknown> | undefined;
  let armed = false;
  const store = await createSqliteStore({
    ...(provider === undefined ? {} : { repository: { provider } }),
    hooks: {
      beforeStatement(_sql, transaction) {
        if (!armed || transaction === undefined) return;
        if (transaction.statement === 1) {
          interleaved = store.repository.updateMemberMfa(s.organizationId, s.memberId, { mfaEnrolled: true, updatedAt: SEED_AT });
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
    const acknowledged = (await interleaved) === true ? 1 : 0;
    const [member] = await store.rows('totp_members');
    return { acknowledged, stored: Number(member!.mfa_enrolled) };
  } finally {
    await store.close();
  }
}

describe('SQLite', () => {
  it('keeps a write that arrives while another operation’s transaction is open and then fails', async () => {
    expect(await incrementDuringAFailingTransaction(undefined)).toEqual({ acknowledged: 1, stored: 1 });
  });

  it('(why the queue exists) without it, Prisma’s SQLite adapter loses that acknowledged write', async () => {
    // Claiming PostgreSQL turns the queue off. If this starts to fail, Prisma fixed the adapter: the queue can go.
    expect(await incrementDuringAFailingTransaction('postgresql')).toEqual({ acknowledged: 1, stored: 0 });
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

  it('keeps timestamps to the millisecond and compares them in time order', async () => {
    const store = await createSqliteStore();
    try {
      const s = await seed(store.repository, { ists: 1 });
      const registration = (await store.repository.findRegistrations(s.organizationId, s.memberId)).active!;
      expect(registration.createdAt.getTime()).toBe(SEED_AT.getTime());
      // At expiry nothing is exchanged (nothing written); one millisecond before, the IST becomes the one session.
      const expiresAt = SEED_AT.getTime() + 3_600_000;
      const session = memberSessionFor(s, 'expiry');
      expect((await store.repository.exchangeIntermediateSession(s.istHashes[0]!, new Date(expiresAt), session)).status).toBe('intermediate_session_not_found');
      expect(await store.rows('totp_member_sessions')).toEqual([]);
      expect((await store.repository.exchangeIntermediateSession(s.istHashes[0]!, new Date(expiresAt - 1), session)).status).toBe('exchanged');
      expect(await store.rows('totp_intermediate_sessions')).toEqual([]);
      expect((await store.rows('totp_member_sessions')).map((r) => r.member_session_id)).toEqual([session.memberSessionId]);
    } finally {
      await store.close();
    }
  });
});
