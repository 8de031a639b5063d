// A PostgreSQL statement that waits for a row lock must decide on the row as the transaction holding it left it,
// although its snapshot was taken before the wait (READ COMMITTED re-reads a row it waited for: EvalPlanQual). Races
// show this only when the timing happens to be right; here another connection holds the lock, changes the row, and
// commits or rolls back while beginMfaAttempt or grantMfaSession waits behind it, every time.

import type { AuthenticationFactor, MemberSessionRecord } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_AT,
  SEED_STEP,
  codeSpend,
  factorOf,
  grantOf,
  memberSessionFor,
  reservationAt,
  seed,
  stepSpend,
  type Seeded,
} from './support/seed';
import { postgresStoreWithLockClients, type TestStore } from './support/stores';

let store: TestStore;
let other: pg.Client;
let untilWaiting: (table: string, what: string) => Promise<void>;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ store, other, untilWaiting, close } = await postgresStoreWithLockClients());
});
afterAll(() => close?.());

/** Runs `hold` in a transaction on the other connection, starts `call`, waits until it waits on `table`, then ends it. */
async function behind<T>(
  hold: string,
  values: unknown[],
  table: string,
  call: () => Promise<T>,
  end: 'COMMIT' | 'ROLLBACK' = 'COMMIT',
): Promise<T> {
  await other.query('BEGIN');
  let pending: Promise<{ value: T } | { error: unknown }> | undefined;
  try {
    await other.query(hold, values);
    store.counter.reset();
    pending = call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await untilWaiting(table, 'the call');
  } finally {
    await other.query(end);
  }
  const outcome = await pending!;
  if ('error' in outcome) throw outcome.error;
  // One statement, and it waited: it decided after the other transaction ended.
  expect(store.counter.statements.map((s) => s.sql.slice(0, 4))).toEqual(['WITH']);
  return outcome.value;
}

const t = (table: Parameters<TestStore['qualify']>[0]) => store.qualify(table);
let made = 0;
async function liveSession(s: Seeded): Promise<MemberSessionRecord> {
  const session = memberSessionFor(s, `waits-${++made}`);
  await store.repository.insertMemberSession(session);
  return session;
}
const sessionRow = (id: string) => store.repository.findMemberSession({ memberSessionId: id });

describe('PostgreSQL: grantMfaSession waiting behind another transaction', () => {
  it('waiting for the session: merges its factor into the factors the other wrote', async () => {
    const s = await seed(store.repository);
    const session = await liveSession(s);
    const theirs: AuthenticationFactor = factorOf('email', 'email');
    const addFactor = `UPDATE ${t('totp_member_sessions')} SET authentication_factors = authentication_factors || jsonb_build_array($2::jsonb) WHERE member_session_id = $1`;
    const result = await behind(addFactor, [session.memberSessionId, JSON.stringify(theirs)], 'totp_member_sessions', () =>
      store.repository.grantMfaSession(
        grantOf(s, stepSpend(s), { memberSessionId: session.memberSessionId, factor: factorOf('totp', 'authenticator_app') }),
      ),
    );
    expect(result).toMatchObject({
      status: 'granted',
      session: {
        authenticationFactors: [
          ...session.authenticationFactors.filter((f) => f.type !== 'totp'),
          theirs,
          factorOf('totp', 'authenticator_app'),
        ],
      },
    });
    expect(await sessionRow(session.memberSessionId)).toEqual(result.status === 'granted' ? result.session : null);
  });

  it('a session the other revoked is not found, and the step, new as it is, is not spent; a rollback lets it through', async () => {
    const s = await seed(store.repository);
    const revoke = `UPDATE ${t('totp_member_sessions')} SET revoked_at = $2 WHERE member_session_id = $1`;
    for (const spend of [stepSpend(s), codeSpend(s, 0)]) {
      const session = await liveSession(s);
      expect(
        await behind(revoke, [session.memberSessionId, SEED_AT], 'totp_member_sessions', () =>
          store.repository.grantMfaSession(grantOf(s, spend, { memberSessionId: session.memberSessionId })),
        ),
      ).toEqual({
        status: 'session_not_found',
      });
    }
    expect((await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`))[0]!.last_accepted_step).toBeNull();
    expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
    const kept = await liveSession(s);
    const result = await behind(
      revoke,
      [kept.memberSessionId, SEED_AT],
      'totp_member_sessions',
      () => store.repository.grantMfaSession(grantOf(s, stepSpend(s), { memberSessionId: kept.memberSessionId })),
      'ROLLBACK',
    );
    expect(result).toMatchObject({ status: 'granted', session: { revokedAt: null } });
  });

  it('an IST the other deleted is not found, and nothing is spent', async () => {
    const s = await seed(store.repository);
    const result = await behind(
      `DELETE FROM ${t('totp_intermediate_sessions')} WHERE token_hash = $1`,
      [s.istHashes[0]],
      'totp_intermediate_sessions',
      () => store.repository.grantMfaSession(grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'gone' })),
    );
    expect(result).toEqual({ status: 'session_not_found' });
    expect((await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`))[0]!.last_accepted_step).toBeNull();
  });

  it('waiting for the member: a lock another attempt started meanwhile stays', async () => {
    const s = await seed(store.repository);
    const lock = `UPDATE ${t('totp_members')} SET failed_mfa_attempts = 10, lock_created_at = $2, lock_expires_at = $3 WHERE member_id = $1`;
    const result = await behind(lock, [s.memberId, SEED_AT, new Date(SEED_AT.getTime() + 3_600_000)], 'totp_members', () =>
      store.repository.grantMfaSession(grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'locked-meanwhile' })),
    );
    expect(result).toMatchObject({ status: 'granted', member: { failedMfaAttempts: 10, lockCreatedAt: SEED_AT } });
  });

  it('waiting for the step or the code another spends: refused, the session untouched; a newer step goes through', async () => {
    const s = await seed(store.repository);
    const session = await liveSession(s);
    const takeStep = `UPDATE ${t('totp_registrations')} SET last_accepted_step = $2 WHERE totp_registration_id = $1`;
    const grant = (spend: Parameters<typeof grantOf>[1]) => () =>
      store.repository.grantMfaSession(grantOf(s, spend, { memberSessionId: session.memberSessionId }));
    expect(await behind(takeStep, [s.totpRegistrationId, SEED_STEP], 'totp_registrations', grant(stepSpend(s)))).toEqual({
      status: 'spend_refused',
    });
    expect(await sessionRow(session.memberSessionId)).toEqual(session);
    expect(
      await behind(takeStep, [s.totpRegistrationId, SEED_STEP + 1], 'totp_registrations', grant(stepSpend(s, SEED_STEP + 2))),
    ).toMatchObject({ status: 'granted' });
    const takeCode = `DELETE FROM ${t('totp_recovery_codes')} WHERE totp_registration_id = $1 AND hash = $2`;
    const other = await liveSession(s);
    const refused = await behind(takeCode, [s.totpRegistrationId, s.codes[4]!.hash], 'totp_recovery_codes', () =>
      store.repository.grantMfaSession(grantOf(s, codeSpend(s, 4), { memberSessionId: other.memberSessionId })),
    );
    expect(refused).toEqual({ status: 'spend_refused' });
    expect(await sessionRow(other.memberSessionId)).toEqual(other);
    // A code the other deleted is not counted among those left.
    const counted = await behind(takeCode, [s.totpRegistrationId, s.codes[5]!.hash], 'totp_recovery_codes', () =>
      store.repository.grantMfaSession(grantOf(s, codeSpend(s, 6), { memberSessionId: other.memberSessionId })),
    );
    expect(counted).toMatchObject({ status: 'granted', recoveryCodesRemaining: 7 });
  });
});

describe('PostgreSQL: beginMfaAttempt waiting behind another transaction', () => {
  const query = (s: Seeded) =>
    ({
      organization: { by: 'id', value: s.organizationId },
      member: { by: 'id', value: s.memberId },
      registration: 'active',
      session: { kind: 'intermediate', tokenHash: s.istHashes[0]! },
      reservation: reservationAt(SEED_AT),
    }) as const;
  // pg_stat_activity shows a statement's first 1 kB, where this one names the organizations' table, not yet the members'.
  const watched = 'totp_organizations';

  it('reserves from the count the other left: the last place starts the lock; past it, locked', async () => {
    const s = await seed(store.repository);
    const hold = `UPDATE ${t('totp_members')} SET failed_mfa_attempts = $2 WHERE member_id = $1`;
    const begun = await behind(hold, [s.memberId, 9], watched, () => store.repository.beginMfaAttempt(query(s)));
    // The member as it was just before the reservation: as the other left it.
    expect(begun).toMatchObject({
      member: { failedMfaAttempts: 9, lockExpiresAt: null },
      reservation: { status: 'reserved', lockStarted: true },
    });
    expect(await store.rows('totp_members', `member_id = '${s.memberId}'`)).toMatchObject([
      { failed_mfa_attempts: 10, lock_created_at: SEED_AT },
    ]);
    const lock = `UPDATE ${t('totp_members')} SET lock_expires_at = $2 WHERE member_id = $1`;
    const t2 = await seed(store.repository);
    expect(
      (await behind(lock, [t2.memberId, new Date(SEED_AT.getTime() + 1)], watched, () => store.repository.beginMfaAttempt(query(t2))))
        .reservation,
    ).toEqual({ status: 'locked' });
  });
});
