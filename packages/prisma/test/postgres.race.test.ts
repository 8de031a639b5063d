// The attack: an attacker (or a retrying client) replays one TOTP code, one recovery code or one intermediate session
// token through many server processes at once, hoping two of them accept it, or bursts guesses past the lockout. On
// PostgreSQL, with every request on its own connection, exactly one may win, at most `maxFailedAttempts` attempts are
// reserved per lock window, and the tables must show exactly that (processes.race.test.ts races separate processes).

import type { MfaGrant, MfaGrantResult, MfaSpend } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SEED_AT,
  SEED_STEP,
  codesFor,
  factorOf,
  grantOf,
  memberSessionFor,
  registrationFor,
  reservationAt,
  seed,
  type Seeded,
} from './support/seed';
import { createPostgresStore, postgresUrl, type TestStore } from './support/stores';

const CONCURRENCY = 50;
const ROUNDS = 3;
type Granted = Extract<MfaGrantResult, { status: 'granted' }>;

describe('PostgreSQL: 50 concurrent calls on 50 connections', () => {
  let pool: pg.Pool;
  let store: TestStore;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgresUrl(), max: CONCURRENCY + 10 });
    store = await createPostgresStore({ pool });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.end();
  });

  const stepOf = (s: Seeded, step: number): MfaSpend => ({ kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step });
  const rows = (table: Parameters<TestStore['rows']>[0], where: string) => store.rows(table, where);
  const quoted = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

  /** Runs the grants at once, each one statement; the index of the one granted (exactly one), and every result. */
  async function oneGranted(grants: MfaGrant[]): Promise<{ winner: number; results: MfaGrantResult[] }> {
    store.counter.reset();
    const results = await Promise.all(grants.map((g) => store.repository.grantMfaSession(g)));
    expect(store.counter.statements.map((s) => s.sql.slice(0, 4))).toEqual(grants.map(() => 'WITH'));
    const winners = results.flatMap((r, i) => (r.status === 'granted' ? [i] : []));
    expect(winners).toHaveLength(1);
    return { winner: winners[0]!, results };
  }

  it('one IST, each grant spending its own step: one granted, the IST gone, one session, only its step spent', async () => {
    const s = await seed(store.repository, { ists: ROUNDS });
    for (const [round, ist] of s.istHashes.entries()) {
      // Steps above every earlier round's, so that each one would be new if its IST were still there.
      const steps = Array.from({ length: CONCURRENCY }, (_, i) => SEED_STEP + 1000 * (round + 1) + i);
      const { winner, results } = await oneGranted(
        steps.map((step, i) => grantOf(s, stepOf(s, step), { ist, tag: `ist-r${round}-a${i}` })),
      );
      // The others found the IST gone (locked first, then re-checked): none of them touched the registration.
      expect(results.filter((r) => r.status === 'session_not_found')).toHaveLength(CONCURRENCY - 1);
      expect(await rows('totp_intermediate_sessions', `token_hash = '${ist}'`)).toEqual([]);
      const [registration] = await rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(registration!.last_accepted_step).toBe(String(steps[winner]));
      const stored = await rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-ist-r${round}-a%'`);
      expect(stored.map((r) => r.member_session_id)).toEqual([memberSessionFor(s, `ist-r${round}-a${winner}`).memberSessionId]);
    }
  });

  it('50 ISTs spending one step, or one recovery code: one granted, the others keep their IST and write nothing', async () => {
    const s = await seed(store.repository, { ists: 2 * CONCURRENCY * ROUNDS });
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const byCode = round % 2 === 1;
      const ists = s.istHashes.slice(round * CONCURRENCY, (round + 1) * CONCURRENCY);
      const spend: MfaSpend = byCode
        ? { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[round]!] }
        : stepOf(s, SEED_STEP + round);
      const { winner, results } = await oneGranted(ists.map((ist, i) => grantOf(s, spend, { ist, tag: `one-r${round}-a${i}` })));
      expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(CONCURRENCY - 1);
      if (byCode) expect((results[winner] as Granted).recoveryCodesRemaining).toBe(10 - (round + 1) / 2);
      const left = await rows('totp_intermediate_sessions', `token_hash IN (${quoted(ists)})`);
      expect(left.map((r) => r.token_hash).sort()).toEqual(ists.filter((_, i) => i !== winner).sort());
      expect(await rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-one-r${round}-a%'`)).toHaveLength(1);
    }
    const codes = await rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
    expect(codes.map((c) => c.hash).sort()).toEqual(
      s.codes
        .filter((_, i) => i % 2 === 0 || i >= 2 * ROUNDS)
        .map((c) => c.hash)
        .sort(),
    );
  });

  it('one pending registration activated by 50 grants: one granted, one active registration, the member points at it', async () => {
    const s = await seed(store.repository, { ists: CONCURRENCY, status: 'pending' });
    const activation: MfaSpend = { kind: 'activation', totpRegistrationId: s.totpRegistrationId, step: SEED_STEP };
    await oneGranted(s.istHashes.map((ist, i) => grantOf(s, activation, { ist, tag: `activate-a${i}` })));
    const [registration] = await rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registration).toMatchObject({
      status: 'active',
      last_accepted_step: String(SEED_STEP),
      expires_at: null,
      activated_at: SEED_AT,
    });
    expect((await rows('totp_members', `member_id = '${s.memberId}'`))[0]!.totp_registration_id).toBe(s.totpRegistrationId);
  });

  it('50 sessions stepping up with one step, or one recovery code: one granted, the other sessions untouched', async () => {
    const s = await seed(store.repository);
    const sessions = Array.from({ length: CONCURRENCY }, (_, i) => ({ ...memberSessionFor(s, `up-a${i}`), authenticationFactors: [] }));
    for (const session of sessions) await store.repository.insertMemberSession(session);
    const where = `member_session_id IN (${quoted(sessions.map((x) => x.memberSessionId))}) ORDER BY member_session_id`;
    for (let round = 0; round < ROUNDS; round++) {
      const spend: MfaSpend =
        round === 1
          ? { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [s.codes[0]!] }
          : stepOf(s, SEED_STEP + round);
      const before = await rows('totp_member_sessions', where);
      const at = new Date(SEED_AT.getTime() + (round + 1) * 60_000);
      const grants = sessions.map((x, i) =>
        grantOf(s, spend, { memberSessionId: x.memberSessionId, factor: factorOf(`up-r${round}-a${i}`) }, {}, at),
      );
      const { winner, results } = await oneGranted(grants);
      expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(CONCURRENCY - 1);
      const others = (all: Array<Record<string, unknown>>) => all.filter((r) => r.member_session_id !== sessions[winner]!.memberSessionId);
      const after = await rows('totp_member_sessions', where);
      expect(others(after)).toEqual(others(before));
      const won = results[winner] as Granted;
      expect(won.session).toEqual(await store.repository.findMemberSession({ memberSessionId: sessions[winner]!.memberSessionId }));
      expect(won.session.lastAccessedAt).toEqual(at);
    }
  });

  it('50 step-ups of one session with shuffled steps: each granted one saw every factor granted before it, none lost', async () => {
    const s = await seed(store.repository);
    for (let round = 0; round < ROUNDS; round++) {
      const session = { ...memberSessionFor(s, `one-session-r${round}`), authenticationFactors: [] };
      await store.repository.insertMemberSession(session);
      // The calls queue on the member's row lock in some order; each is granted if and only if its step is above every
      // step granted before it: at least the first in the queue and the highest step.
      const steps = Array.from({ length: CONCURRENCY }, (_, i) => SEED_STEP + 1000 * (round + 1) + ((i * 17) % CONCURRENCY));
      const grants = steps.map((step, i) =>
        grantOf(
          s,
          stepOf(s, step),
          { memberSessionId: session.memberSessionId, factor: factorOf(`factor-${i}`) },
          {},
          new Date(SEED_AT.getTime() + i),
        ),
      );
      store.counter.reset();
      const results = await Promise.all(grants.map((g) => store.repository.grantMfaSession(g)));
      expect(results.filter((r) => r.status === 'session_not_found')).toEqual([]);
      const granted = results.flatMap((r, i) => (r.status === 'granted' ? [i] : []));
      const highest = steps.indexOf(Math.max(...steps));
      expect(granted).toContain(highest);
      const byStep = [...granted].sort((a, b) => steps[a]! - steps[b]!);
      for (const [position, i] of byStep.entries()) {
        expect((results[i] as Granted).session.authenticationFactors.map((f) => f.type).sort()).toEqual(
          byStep
            .slice(0, position + 1)
            .map((j) => `factor-${j}`)
            .sort(),
        );
      }
      const stored = await store.repository.findMemberSession({ memberSessionId: session.memberSessionId });
      expect(stored).toEqual((results[highest] as Granted).session);
    }
  });

  it('50 beginMfaAttempt calls for one member: exactly the limit reserved, one of them starting the lock', async () => {
    const s = await seed(store.repository);
    store.counter.reset();
    const query = {
      organization: { by: 'id', value: s.organizationId },
      member: { by: 'id', value: s.memberId },
      registration: 'active',
      session: { kind: 'intermediate', tokenHash: s.istHashes[0]! },
      reservation: reservationAt(SEED_AT),
    } as const;
    const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => store.repository.beginMfaAttempt(query)));
    expect(store.counter.statements.map((x) => x.sql.slice(0, 4))).toEqual(results.map(() => 'WITH'));
    const reserved = results.flatMap((r) => (r.reservation?.status === 'reserved' ? [r.reservation] : []));
    expect(reserved).toHaveLength(10);
    expect(reserved.filter((r) => r.lockStarted)).toHaveLength(1);
    expect(results.filter((r) => r.reservation?.status === 'locked')).toHaveLength(CONCURRENCY - 10);
    const [member] = await rows('totp_members', `member_id = '${s.memberId}'`);
    expect(member).toMatchObject({
      failed_mfa_attempts: 10,
      lock_created_at: SEED_AT,
      lock_expires_at: reservationAt(SEED_AT).lockExpiresAt,
    });
  });

  it('saveRegistration: one whole pending registration remains, with its own 10 codes', async () => {
    const s = await seed(store.repository);
    await store.repository.deleteRegistrations(s.organizationId, s.memberId, SEED_AT);
    const ids = Array.from({ length: CONCURRENCY }, (_, i) => `member-totp-test-race-${i}-${s.memberId.slice(-12)}`);
    const results = await Promise.all(
      ids.map((id, i) =>
        store.repository.saveRegistration(registrationFor(s.organizationId, s.memberId, id, 'pending'), codesFor(`5a${i}e`)),
      ),
    );
    expect(results.every((r) => r === 'saved')).toBe(true);
    const registrations = await rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registrations).toHaveLength(1);
    const winner = ids.indexOf(String(registrations[0]!.totp_registration_id));
    const codes = await rows('totp_recovery_codes', `totp_registration_id LIKE 'member-totp-test-race-%-${s.memberId.slice(-12)}'`);
    expect(codes.map((c) => c.hash).sort()).toEqual(
      codesFor(`5a${winner}e`)
        .map((c) => c.hash)
        .sort(),
    );
  });
});
