// A deadlock between the IST exchange (or a member session's extension) and another transaction. The exchange locks
// the IST, the extension the member session, then the registration (or code); a transaction that locks them the other
// way round, such as a host's own, or deleting a member while it signs in (the cascade), can close a cycle. PostgreSQL
// then aborts one of the two: when it is ours, the caller must get a clean service_unavailable (a 503, try again), find
// nothing written, and succeed on the retry.

import { TotpError } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SEED_AT, SEED_STEP, memberSessionFor, seed } from './support/seed';
import { postgresStoreWithLockClients, type TestStore } from './support/stores';

let store: TestStore;
let other: pg.Client;
let untilWaiting: (table: string, what: string) => Promise<void>;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ store, other, untilWaiting, close } = await postgresStoreWithLockClients());
});
afterAll(() => close?.());

it('an exchange aborted to break a deadlock is service_unavailable, writes nothing, and succeeds when retried', async () => {
  const s = await seed(store.repository);
  const registrations = store.qualify('totp_registrations');
  const ists = store.qualify('totp_intermediate_sessions');
  // The other transaction looks for deadlocks only after 10 s, so ours (PostgreSQL's default, 1 s) finds this one
  // first and is the one aborted.
  await other.query("SET deadlock_timeout = '10s'");
  await other.query('BEGIN');
  await other.query(`UPDATE ${registrations} SET last_accepted_step = last_accepted_step WHERE totp_registration_id = $1`, [s.totpRegistrationId]);
  const session = memberSessionFor(s, 'deadlock');
  const spend = { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const;
  // The exchange locks the IST, then waits for the registration the other transaction holds…
  const exchange = store.repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, session, spend).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  // Only a statement naming this file's schema counts: files running beside this one may be waiting on theirs.
  await untilWaiting('totp_registrations', 'the exchange');
  // …which now asks for the IST: a cycle.
  const otherLock = other.query(`SELECT 1 FROM ${ists} WHERE token_hash = $1 FOR UPDATE`, [s.istHashes[0]]);
  const outcome = await exchange;
  expect('error' in outcome).toBe(true);
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('service_unavailable');
  expect(String((error as TotpError).cause)).toMatch(/P2010|deadlock|conflict/i);
  await otherLock;
  await other.query('ROLLBACK');

  // Nothing was written: the IST is there, no session, the step as before.
  expect(await store.rows('totp_intermediate_sessions', `token_hash = '${s.istHashes[0]}'`)).toHaveLength(1);
  expect(await store.rows('totp_member_sessions', `member_session_id = '${session.memberSessionId}'`)).toEqual([]);
  const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
  expect(registration!.last_accepted_step).toBeNull();
  // And the same call, made again, goes through.
  expect((await store.repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, session, spend)).status).toBe('exchanged');
}, 30_000);

it('an extension spending a step, aborted to break a deadlock, is service_unavailable, writes nothing, and succeeds when retried', async () => {
  const s = await seed(store.repository);
  const registrations = store.qualify('totp_registrations');
  const sessions = store.qualify('totp_member_sessions');
  const session = memberSessionFor(s, 'deadlock-extend');
  await store.repository.insertMemberSession(session);
  await other.query("SET deadlock_timeout = '10s'");
  await other.query('BEGIN');
  await other.query(`UPDATE ${registrations} SET last_accepted_step = last_accepted_step WHERE totp_registration_id = $1`, [s.totpRegistrationId]);
  const update = { at: new Date(SEED_AT.getTime() + 60_000), expiresAt: new Date(SEED_AT.getTime() + 7_200_000) };
  const spend = { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP } as const;
  // The extension locks the session, then waits for the registration the other transaction holds…
  const extension = store.repository.extendMemberSessionWithSpend(session.memberSessionId, update, spend).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  await untilWaiting('totp_registrations', 'the extension');
  // …which now asks for the session: a cycle.
  const otherLock = other.query(`SELECT 1 FROM ${sessions} WHERE member_session_id = $1 FOR UPDATE`, [session.memberSessionId]);
  const outcome = await extension;
  expect('error' in outcome).toBe(true);
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('service_unavailable');
  await otherLock;
  await other.query('ROLLBACK');

  // Nothing was written: the session as it was (its access time too), the step as before.
  expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
  const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
  expect(registration!.last_accepted_step).toBeNull();
  // And the same call, made again, goes through.
  expect(await store.repository.extendMemberSessionWithSpend(session.memberSessionId, update, spend)).toMatchObject({
    status: 'extended',
    session: { lastAccessedAt: update.at, expiresAt: update.expiresAt },
  });
}, 30_000);
