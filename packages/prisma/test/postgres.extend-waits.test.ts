// A session extension that has to wait for another transaction must decide on the rows as that transaction left
// them. On PostgreSQL an extension is one statement: `live` locks the member session (SELECT … FOR UPDATE), `spent`
// updates the registration or deletes the code, `extended` updates the session; under READ COMMITTED a part that
// waited for a row lock re-checks its WHERE on the newest version of the row and computes its SET from it
// (EvalPlanQual), although the statement's snapshot was taken before the wait. Races show this only when the timing
// happens to be right; here another connection holds the lock, changes the row, and commits or rolls back while the
// call waits behind it, every time.

import type { AuthenticationFactor, MemberSessionRecord, MemberSessionUpdate } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_AT, SEED_STEP, memberSessionFor, seed, type Seeded } from './support/seed';
import { postgresStoreWithLockClients, type TestStore } from './support/stores';

let store: TestStore;
let other: pg.Client;
let untilWaiting: (table: string, what: string) => Promise<void>;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ store, other, untilWaiting, close } = await postgresStoreWithLockClients());
});
afterAll(() => close?.());

/** Runs `hold` in a transaction on the other connection, starts `call`, waits until it waits, then ends the transaction. */
async function behind<T>(hold: () => Promise<unknown>, call: () => Promise<T>, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<T> {
  await other.query('BEGIN');
  let pending: Promise<{ value: T } | { error: unknown }> | undefined;
  try {
    await hold();
    store.counter.reset();
    pending = call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await untilWaiting('totp_member_sessions', 'the extension');
  } finally {
    await other.query(end);
  }
  const outcome = await pending!;
  if ('error' in outcome) throw outcome.error;
  // The call was one statement (the extension's), and it waited: it decided after the other transaction ended.
  expect(store.counter.statements.map((s) => s.sql.split(' ')[0])).toEqual([expect.stringMatching(/^(WITH|UPDATE)$/)]);
  return outcome.value;
}

const factor = (type: string, tag: string): AuthenticationFactor =>
  ({ type, delivery_method: type, last_authenticated_at: SEED_AT.toISOString(), created_at: '', updated_at: '', tag }) as AuthenticationFactor;

let sessions = 0;
async function liveSession(s: Seeded): Promise<MemberSessionRecord> {
  const session = memberSessionFor(s, `waits-${++sessions}`);
  await store.repository.insertMemberSession(session);
  return session;
}

const update = (f: AuthenticationFactor): MemberSessionUpdate => ({
  at: new Date(SEED_AT.getTime() + 60_000),
  expiresAt: new Date(SEED_AT.getTime() + 7_200_000),
  factor: f,
});

describe('PostgreSQL: a session extension waiting behind another transaction', () => {
  const sessionsTable = () => store.qualify('totp_member_sessions');

  /** The other transaction: adds `f` to the session's factors, and moves its access time. */
  const addFactor = (session: MemberSessionRecord, f: AuthenticationFactor) => () =>
    other.query(
      `UPDATE ${sessionsTable()} SET authentication_factors = authentication_factors || jsonb_build_array($2::jsonb), last_accessed_at = $3 WHERE member_session_id = $1`,
      [session.memberSessionId, JSON.stringify(f), new Date(SEED_AT.getTime() + 30_000)],
    );

  it('extendMemberSession merges into the factors the other transaction wrote, and replaces one of its own kind', async () => {
    const s = await seed(store.repository);
    const session = await liveSession(s);
    const [theirs, mine] = [factor('email', 'theirs'), factor('sms_otp', 'mine')];
    const extended = await behind(addFactor(session, theirs), () => store.repository.extendMemberSession(session.memberSessionId, update(mine)));
    expect(extended?.authenticationFactors).toEqual([...session.authenticationFactors, theirs, mine]);
    expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(extended);

    // The other writes a factor of the kind the call adds: the call's replaces it (it saw it).
    const again = await behind(addFactor(session, factor('email', 'theirs-2')), () =>
      store.repository.extendMemberSession(session.memberSessionId, update(factor('email', 'mine-2'))),
    );
    expect(again?.authenticationFactors).toEqual([...session.authenticationFactors, mine, factor('email', 'mine-2')]);
  });

  it('extendMemberSessionWithSpend, waiting at `live`, merges into what the other wrote and spends the step', async () => {
    const s = await seed(store.repository);
    const session = await liveSession(s);
    const [theirs, mine] = [factor('email', 'theirs'), factor('totp', 'mine')];
    const spend = { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const;
    const result = await behind(addFactor(session, theirs), () => store.repository.extendMemberSessionWithSpend(session.memberSessionId, update(mine), spend));
    expect(result).toEqual({
      status: 'extended',
      session: { ...session, lastAccessedAt: update(mine).at, expiresAt: update(mine).expiresAt, authenticationFactors: [...session.authenticationFactors, theirs, mine] },
    });
    expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(result.status === 'extended' ? result.session : null);
    const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
    expect(registration!.last_accepted_step).toBe(String(SEED_STEP));
  });

  it('a session the other transaction revoked is not found, and the step, new as it is, is not spent', async () => {
    const s = await seed(store.repository);
    const session = await liveSession(s);
    const revokedAt = new Date(SEED_AT.getTime() + 30_000);
    const revoke = () => other.query(`UPDATE ${sessionsTable()} SET revoked_at = $2 WHERE member_session_id = $1`, [session.memberSessionId, revokedAt]);
    for (const spend of [
      { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP },
      { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[0]!] },
    ] as const) {
      const fresh = await liveSession(s);
      const revokeFresh = () => other.query(`UPDATE ${sessionsTable()} SET revoked_at = $2 WHERE member_session_id = $1`, [fresh.memberSessionId, revokedAt]);
      expect(await behind(revokeFresh, () => store.repository.extendMemberSessionWithSpend(fresh.memberSessionId, update(factor('totp', 'x')), spend))).toEqual({
        status: 'session_not_found',
      });
      expect(await store.repository.findMemberSessionById(fresh.memberSessionId)).toEqual({ ...fresh, revokedAt });
    }
    const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
    expect(registration!.last_accepted_step).toBeNull();
    expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
    // Without a spend too.
    expect(await behind(revoke, () => store.repository.extendMemberSession(session.memberSessionId, update(factor('totp', 'x'))))).toBeNull();
    expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual({ ...session, revokedAt });

    // The revocation rolled back: the session is live after all, and the call goes through.
    const kept = await liveSession(s);
    const revokeKept = () => other.query(`UPDATE ${sessionsTable()} SET revoked_at = $2 WHERE member_session_id = $1`, [kept.memberSessionId, revokedAt]);
    const spend = { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const;
    expect(await behind(revokeKept, () => store.repository.extendMemberSessionWithSpend(kept.memberSessionId, update(factor('totp', 'y')), spend), 'ROLLBACK')).toMatchObject({
      status: 'extended',
      session: { revokedAt: null },
    });
  });

  it('waiting at `spent` for the step or code another transaction spends: refused, the session untouched; a newer step goes through', async () => {
    const s = await seed(store.repository);
    const registrations = store.qualify('totp_registrations');
    const codes = store.qualify('totp_recovery_codes');
    const takeStep = (step: number) => () =>
      other.query(`UPDATE ${registrations} SET last_accepted_step = $2 WHERE totp_registration_id = $1`, [s.totpRegistrationId, step]);
    const session = await liveSession(s);
    const stepSpend = (step: number) => ({ kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step }) as const;
    expect(await behind(takeStep(SEED_STEP), () => store.repository.extendMemberSessionWithSpend(session.memberSessionId, update(factor('totp', 'a')), stepSpend(SEED_STEP)))).toEqual({
      status: 'spend_refused',
    });
    // Not even the access time moved.
    expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
    expect(
      await behind(takeStep(SEED_STEP + 1), () => store.repository.extendMemberSessionWithSpend(session.memberSessionId, update(factor('totp', 'b')), stepSpend(SEED_STEP + 2))),
    ).toMatchObject({ status: 'extended' });
    const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
    expect(registration!.last_accepted_step).toBe(String(SEED_STEP + 2));

    // A code the other transaction deletes.
    const other2 = await liveSession(s);
    const takeCode = () => other.query(`DELETE FROM ${codes} WHERE totp_registration_id = $1 AND hash = $2`, [s.totpRegistrationId, s.codes[4]!.hash]);
    const codeSpend = { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[4]!] } as const;
    expect(await behind(takeCode, () => store.repository.extendMemberSessionWithSpend(other2.memberSessionId, update(factor('recovery_codes', 'c')), codeSpend))).toEqual({
      status: 'spend_refused',
    });
    expect(await store.repository.findMemberSessionById(other2.memberSessionId)).toEqual(other2);
    expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(9);
  });
});
