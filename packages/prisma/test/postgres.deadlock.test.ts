// A deadlock between a grant and another transaction. A grant locks the IST (or the member session), then the member,
// then the registration or the codes; a transaction that locks them the other way round, such as a host's own, or
// deleting a member while it signs in (the cascade), can close a cycle. PostgreSQL then aborts one of the two: when it
// is ours, the caller must get a clean service_unavailable (a 503, try again), find nothing written, and succeed on
// the retry.

import { TotpError, type MfaGrant } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SEED_AT, grantOf, memberSessionFor, seed, stepSpend, type Seeded } from './support/seed';
import { postgresStoreWithLockClients, type TestStore } from './support/stores';

let store: TestStore;
let other: pg.Client;
let untilWaiting: (table: string, what: string) => Promise<void>;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => {
  ({ store, other, untilWaiting, close } = await postgresStoreWithLockClients());
});
afterAll(() => close?.());

/**
 * The other connection locks the member; the grant locks its target, then waits for the member; the other then asks
 * for the target (`lockTarget`): a cycle. The other looks for deadlocks only after 10 s, so ours (PostgreSQL's default,
 * 1 s) finds this one first and is the one aborted. Returns the grant's error, after the other has rolled back.
 */
async function deadlocked(s: Seeded, grant: MfaGrant, lockTarget: string, key: string): Promise<unknown> {
  await other.query("SET deadlock_timeout = '10s'");
  await other.query('BEGIN');
  await other.query(`UPDATE ${store.qualify('totp_members')} SET failed_mfa_attempts = failed_mfa_attempts WHERE member_id = $1`, [
    s.memberId,
  ]);
  const outcome = store.repository.grantMfaSession(grant).then(
    () => undefined,
    (error: unknown) => error,
  );
  // Only a statement naming this file's schema counts: files running beside this one may be waiting on theirs.
  await untilWaiting('totp_members', 'the grant');
  const otherLock = other.query(lockTarget, [key]);
  const error = await outcome;
  await otherLock;
  await other.query('ROLLBACK');
  return error;
}

function expectUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('service_unavailable');
  expect(String((error as TotpError).cause)).toMatch(/P2010|deadlock|conflict/i);
}

it('an exchange aborted to break a deadlock is service_unavailable, writes nothing, and succeeds when retried', async () => {
  const s = await seed(store.repository);
  const grant = grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'deadlock' });
  const before = JSON.stringify(await store.dump());
  expectUnavailable(
    await deadlocked(
      s,
      grant,
      `SELECT 1 FROM ${store.qualify('totp_intermediate_sessions')} WHERE token_hash = $1 FOR UPDATE`,
      s.istHashes[0]!,
    ),
  );
  expect(JSON.stringify(await store.dump())).toBe(before);
  expect((await store.repository.grantMfaSession(grant)).status).toBe('granted');
}, 30_000);

it('a step-up aborted to break a deadlock is service_unavailable, writes nothing, and succeeds when retried', async () => {
  const s = await seed(store.repository);
  const session = memberSessionFor(s, 'deadlock-extend');
  await store.repository.insertMemberSession(session);
  const grant = grantOf(s, stepSpend(s), { memberSessionId: session.memberSessionId });
  const before = JSON.stringify(await store.dump());
  expectUnavailable(
    await deadlocked(
      s,
      grant,
      `SELECT 1 FROM ${store.qualify('totp_member_sessions')} WHERE member_session_id = $1 FOR UPDATE`,
      session.memberSessionId,
    ),
  );
  // Nothing was written: the session as it was (its access time too), the step as before.
  expect(JSON.stringify(await store.dump())).toBe(before);
  expect(await store.repository.grantMfaSession(grant)).toMatchObject({ status: 'granted', session: { lastAccessedAt: SEED_AT } });
}, 30_000);
