// The attack: an attacker (or a retrying client) replays one TOTP code, one recovery code or one intermediate session
// token through many server processes at once, hoping two of them accept it. On PostgreSQL, with every request on its
// own connection and in separate Node processes, exactly one may win, and the table must show one use.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AuthenticationFactor, ExchangeResult, ExchangeSpend, ExtendResult, MemberSessionUpdate } from '@totp/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './support/paths';
import { SEED_AT, SEED_STEP, codesFor, memberSessionFor, registrationFor, seed, type Seeded } from './support/seed';
import { createPostgresStore, freshSchemaName, postgresUrl, type TestStore } from './support/stores';

const CONCURRENCY = 50;
const ROUNDS = 3;

describe('PostgreSQL: 50 concurrent requests on 50 connections', () => {
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

  const all = <T>(attempt: () => Promise<T>) => Promise.all(Array.from({ length: CONCURRENCY }, attempt));
  /** The first keyword of every statement sent since the counter's reset. */
  const sent = () => store.counter.statements.map((statement) => statement.sql.split(' ')[0]);
  /** `CONCURRENCY` times `keyword`: each call one statement (the extensions' raw statement), no transaction. */
  const oneStatementEach = (keyword: string) => Array.from({ length: CONCURRENCY }, () => keyword);

  it('recordAcceptedStep: one winner per step, and the row holds that step', async () => {
    const s = await seed(store.repository);
    for (let round = 0; round < ROUNDS; round++) {
      const step = SEED_STEP + round;
      const results = await all(() => store.repository.recordAcceptedStep(s.totpRegistrationId, step));
      expect(results.filter(Boolean)).toHaveLength(1);
      const [row] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(row!.last_accepted_step).toBe(String(step));
    }
    // The requests really ran side by side, each on its own connection.
    expect(pool.totalCount).toBeGreaterThanOrEqual(CONCURRENCY);
  });

  it('recordAcceptedStep with activation: one winner, one active registration, the member points at it', async () => {
    const s = await seed(store.repository, { status: 'pending' });
    const results = await all(() => store.repository.recordAcceptedStep(s.totpRegistrationId, SEED_STEP, { at: SEED_AT }));
    expect(results.filter(Boolean)).toHaveLength(1);
    const [registration] = await store.rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registration).toMatchObject({ status: 'active', last_accepted_step: String(SEED_STEP), expires_at: null });
    const [member] = await store.rows('totp_members', `member_id = '${s.memberId}'`);
    expect(member!.totp_registration_id).toBe(s.totpRegistrationId);
  });

  it('consumeRecoveryCode: one winner per code, and only that code is gone', async () => {
    const s = await seed(store.repository);
    for (let round = 0; round < ROUNDS; round++) {
      const code = s.codes[round]!;
      const results = await all(() => store.repository.consumeRecoveryCode(s.totpRegistrationId, [code]));
      expect(results.filter((r) => r !== null)).toEqual([9 - round]);
      const left = await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(left).toHaveLength(9 - round);
      expect(left.map((r) => r.hash)).not.toContain(code.hash);
    }
  });

  it('exchangeIntermediateSession: one winner per token, the IST row is gone, one member session is stored', async () => {
    const s = await seed(store.repository, { ists: ROUNDS });
    for (const [round, tokenHash] of s.istHashes.entries()) {
      // Each attempt brings its own session (as each request would); only the winner's may be stored.
      const sessions = Array.from({ length: CONCURRENCY }, (_, i) => memberSessionFor(s, `race-r${round}-a${i}`));
      const results = await Promise.all(sessions.map((session) => store.repository.exchangeIntermediateSession(tokenHash, SEED_AT, session)));
      const winners = results.flatMap((r, i) => (r.status === 'exchanged' ? [i] : []));
      expect(winners).toHaveLength(1);
      const won = results[winners[0]!]!;
      expect(won.status === 'exchanged' && won.consumed.tokenHash).toBe(tokenHash);
      expect(await store.rows('totp_intermediate_sessions', `token_hash = '${tokenHash}'`)).toEqual([]);
      const stored = await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-race-r${round}-a%'`);
      expect(stored.map((r) => r.member_session_id)).toEqual([sessions[winners[0]!]!.memberSessionId]);
      expect(stored[0]!.token_hash).toBe(sessions[winners[0]!]!.tokenHash);
    }
  });

  /**
   * One round of 50 exchanges on 50 connections, each of its own IST for its own session, all spending `spend`: one
   * winner, whose session alone is stored and whose IST alone is gone. Returns the winner's result.
   */
  async function raceSpendingOneProof(s: Seeded, label: string, ists: string[], spend: ExchangeSpend): Promise<ExchangeResult> {
    const sessions = ists.map((_, i) => memberSessionFor(s, `${label}-a${i}`));
    const results = await Promise.all(ists.map((tokenHash, i) => store.repository.exchangeIntermediateSession(tokenHash, SEED_AT, sessions[i]!, spend)));
    const winners = results.flatMap((r, i) => (r.status === 'exchanged' ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(ists.length - 1);
    const stored = await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-${label}-a%'`);
    expect(stored.map((r) => r.member_session_id)).toEqual([sessions[winners[0]!]!.memberSessionId]);
    const left = await store.rows('totp_intermediate_sessions', `token_hash IN (${ists.map((h) => `'${h}'`).join(', ')})`);
    expect(left.map((r) => r.token_hash).sort()).toEqual(ists.filter((_, i) => i !== winners[0]).sort());
    return results[winners[0]!]!;
  }

  it('exchangeIntermediateSession spending one step from 50 ISTs: one winner, the others keep their IST', async () => {
    const s = await seed(store.repository, { ists: CONCURRENCY * ROUNDS });
    for (let round = 0; round < ROUNDS; round++) {
      const step = SEED_STEP + round;
      const ists = s.istHashes.slice(round * CONCURRENCY, (round + 1) * CONCURRENCY);
      await raceSpendingOneProof(s, `spend-r${round}`, ists, { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step });
      const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(registration!.last_accepted_step).toBe(String(step));
    }
  });

  it('exchangeIntermediateSession spending one recovery code from 50 ISTs: one winner, the others keep their IST', async () => {
    const s = await seed(store.repository, { ists: CONCURRENCY * ROUNDS });
    for (let round = 0; round < ROUNDS; round++) {
      const code = s.codes[round]!;
      const ists = s.istHashes.slice(round * CONCURRENCY, (round + 1) * CONCURRENCY);
      const won = await raceSpendingOneProof(s, `code-r${round}`, ists, { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [code] });
      expect(won).toMatchObject({ recoveryCodesRemaining: 9 - round });
      const left = await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(left.map((r) => r.hash)).not.toContain(code.hash);
      expect(left).toHaveLength(9 - round);
    }
  });

  it('exchangeIntermediateSession of one IST spending 50 different steps: one winner, and only its step is spent', async () => {
    const s = await seed(store.repository, { ists: ROUNDS });
    for (const [round, tokenHash] of s.istHashes.entries()) {
      // Steps above every earlier round's, so that each attempt's own step would be new if its IST were still there.
      const steps = Array.from({ length: CONCURRENCY }, (_, i) => SEED_STEP + 1000 * (round + 1) + i);
      const sessions = steps.map((_, i) => memberSessionFor(s, `spend-ist-r${round}-a${i}`));
      const results = await Promise.all(
        steps.map((step, i) =>
          store.repository.exchangeIntermediateSession(tokenHash, SEED_AT, sessions[i]!, { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step }),
        ),
      );
      const winners = results.flatMap((r, i) => (r.status === 'exchanged' ? [i] : []));
      expect(winners).toHaveLength(1);
      // The losers found the IST gone (locked first, then re-checked): none of them touched the registration.
      expect(results.filter((r) => r.status === 'intermediate_session_not_found')).toHaveLength(CONCURRENCY - 1);
      const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(registration!.last_accepted_step).toBe(String(steps[winners[0]!]));
      const stored = await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-spend-ist-r${round}-a%'`);
      expect(stored.map((r) => r.member_session_id)).toEqual([sessions[winners[0]!]!.memberSessionId]);
    }
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
    const registrations = await store.rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registrations).toHaveLength(1);
    const winner = ids.indexOf(String(registrations[0]!.totp_registration_id));
    const codes = await store.rows('totp_recovery_codes', `totp_registration_id LIKE 'member-totp-test-race-%-${s.memberId.slice(-12)}'`);
    expect(codes.map((c) => c.hash).sort()).toEqual(codesFor(`5a${winner}e`).map((c) => c.hash).sort());
  });

  it('reserveMfaAttempt: of 50 at once, exactly the limit are reserved, one of them starts the lock', async () => {
    const s = await seed(store.repository);
    const until = new Date(SEED_AT.getTime() + 3_600_000);
    const results = await all(() => store.repository.reserveMfaAttempt(s.organizationId, s.memberId, { at: SEED_AT, maxFailedAttempts: 10, lockExpiresAt: until }));
    expect(results.filter((r) => r?.status === 'reserved')).toHaveLength(10);
    expect(results.filter((r) => r?.status === 'reserved' && r.lockStarted)).toHaveLength(1);
    expect(results.filter((r) => r?.status === 'locked')).toHaveLength(CONCURRENCY - 10);
    const [member] = await store.rows('totp_members', `member_id = '${s.memberId}'`);
    expect(member).toMatchObject({ failed_mfa_attempts: 10, lock_created_at: SEED_AT, lock_expires_at: until });
  });

  it('extendMemberSession: no concurrent factor is lost', async () => {
    const s = await seed(store.repository);
    // No factor to start with: afterwards the session holds exactly the racing ones.
    const { memberSessionId } = memberSessionFor(s, 'extend-race');
    await store.repository.insertMemberSession({ ...memberSessionFor(s, 'extend-race'), authenticationFactors: [] });
    const factor = (i: number): AuthenticationFactor => ({
      type: `factor-${i}`,
      delivery_method: 'test',
      last_authenticated_at: SEED_AT.toISOString(),
      created_at: SEED_AT.toISOString(),
      updated_at: SEED_AT.toISOString(),
    });
    store.counter.reset();
    const results = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, i) =>
        store.repository.extendMemberSession(memberSessionId, {
          at: new Date(SEED_AT.getTime() + i),
          expiresAt: new Date(SEED_AT.getTime() + 3_600_000 + i * 1000),
          factor: factor(i),
        }),
      ),
    );
    // Each call was the one UPDATE … RETURNING (a waiting UPDATE merges into the row the one before it wrote).
    expect(sent()).toEqual(oneStatementEach('UPDATE'));
    expect(results.every((r) => r !== null)).toBe(true);
    const stored = await store.repository.findMemberSessionById(memberSessionId);
    expect(stored!.authenticationFactors.map((f) => f.type).sort()).toEqual(
      Array.from({ length: CONCURRENCY }, (_, i) => `factor-${i}`).sort(),
    );
    expect(stored!.expiresAt.getTime()).toBe(SEED_AT.getTime() + 3_600_000 + (CONCURRENCY - 1) * 1000);
  });

  const factorNamed = (type: string): AuthenticationFactor => ({
    type,
    delivery_method: 'test',
    last_authenticated_at: SEED_AT.toISOString(),
    created_at: SEED_AT.toISOString(),
    updated_at: SEED_AT.toISOString(),
  });

  /** `count` live sessions of `s`'s member, none with a factor yet; their IDs. */
  async function sessionsOf(s: Seeded, label: string, count: number): Promise<string[]> {
    const sessions = Array.from({ length: count }, (_, i) => ({ ...memberSessionFor(s, `${label}-a${i}`), authenticationFactors: [] }));
    for (const session of sessions) await store.repository.insertMemberSession(session);
    return sessions.map((session) => session.memberSessionId);
  }

  /**
   * One round of 50 extensions on 50 connections, each of its own session with its own factor, all spending `spend`:
   * exactly one is extended and 49 refused; the winner's session alone changed, as its update says, and the others'
   * rows are exactly as they were (not even `last_accessed_at` moved). Returns the winner's result.
   */
  async function raceExtendingWithOneProof(sessionIds: string[], round: number, spend: ExchangeSpend): Promise<Extract<ExtendResult, { status: 'extended' }>> {
    const where = `member_session_id IN (${sessionIds.map((id) => `'${id}'`).join(', ')}) ORDER BY member_session_id`;
    const before = await store.rows('totp_member_sessions', where);
    const update = (i: number): MemberSessionUpdate => ({
      at: new Date(SEED_AT.getTime() + (round + 1) * 60_000 + i),
      expiresAt: new Date(SEED_AT.getTime() + 7_200_000 + round * 60_000),
      factor: factorNamed(`extend-r${round}-a${i}`),
    });
    store.counter.reset();
    const results = await Promise.all(sessionIds.map((id, i) => store.repository.extendMemberSessionWithSpend(id, update(i), spend)));
    expect(sent()).toEqual(oneStatementEach('WITH'));
    const winners = results.flatMap((r, i) => (r.status === 'extended' ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(sessionIds.length - 1);
    const winner = winners[0]!;
    const after = await store.rows('totp_member_sessions', where);
    const others = (rows: Array<Record<string, unknown>>) => rows.filter((r) => r.member_session_id !== sessionIds[winner]);
    expect(others(after)).toEqual(others(before));
    const won = results[winner] as Extract<ExtendResult, { status: 'extended' }>;
    expect(won.session).toEqual(await store.repository.findMemberSessionById(sessionIds[winner]!));
    expect(won.session).toMatchObject({ lastAccessedAt: update(winner).at, expiresAt: update(winner).expiresAt });
    expect(won.session.authenticationFactors.map((f) => f.type)).toContain(`extend-r${round}-a${winner}`);
    return won;
  }

  it('extendMemberSessionWithSpend spending one step from 50 sessions: one winner, the other sessions untouched', async () => {
    const s = await seed(store.repository);
    const sessionIds = await sessionsOf(s, 'extend-step', CONCURRENCY);
    for (let round = 0; round < ROUNDS; round++) {
      const step = SEED_STEP + round;
      const won = await raceExtendingWithOneProof(sessionIds, round, { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step });
      expect(won.recoveryCodesRemaining).toBeUndefined();
      const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(registration!.last_accepted_step).toBe(String(step));
    }
  });

  it('extendMemberSessionWithSpend spending one recovery code from 50 sessions: one winner, only that code gone', async () => {
    const s = await seed(store.repository);
    const sessionIds = await sessionsOf(s, 'extend-code', CONCURRENCY);
    for (let round = 0; round < ROUNDS; round++) {
      const code = s.codes[round]!;
      const won = await raceExtendingWithOneProof(sessionIds, round, { kind: 'recovery_code', totpRegistrationId: s.totpRegistrationId, candidates: [code] });
      expect(won.recoveryCodesRemaining).toBe(9 - round);
      const left = await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(left.map((r) => r.hash).sort()).toEqual(s.codes.slice(round + 1).map((c) => c.hash).sort());
    }
  });

  it('extendMemberSessionWithSpend of one session spending 50 different steps: no extended factor lost, none refused kept', async () => {
    const s = await seed(store.repository);
    for (let round = 0; round < ROUNDS; round++) {
      const [memberSessionId] = await sessionsOf(s, `extend-one-r${round}`, 1);
      // The calls go out in index order with their steps shuffled (17 is prime to 50), above every earlier round's.
      // They queue on the session's row lock in some order, and each is extended if and only if its step is above
      // every step extended before it in that order: so at least the first in the queue and the highest step.
      const steps = Array.from({ length: CONCURRENCY }, (_, i) => SEED_STEP + 1000 * (round + 1) + ((i * 17) % CONCURRENCY));
      const update = (i: number): MemberSessionUpdate => ({
        at: new Date(SEED_AT.getTime() + i),
        expiresAt: new Date(SEED_AT.getTime() + 3_600_000 + i * 1000),
        factor: factorNamed(`factor-${i}`),
      });
      store.counter.reset();
      const results = await Promise.all(
        steps.map((step, i) =>
          store.repository.extendMemberSessionWithSpend(memberSessionId!, update(i), { kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step }),
        ),
      );
      // Each call was the one statement: they queue on the session's row lock (`live … FOR UPDATE`), and each one's
      // UPDATE merges into the row the one before it wrote.
      expect(sent()).toEqual(oneStatementEach('WITH'));
      expect(results.filter((r) => r.status === 'session_not_found')).toEqual([]);
      const extended = results.flatMap((r, i) => (r.status === 'extended' ? [i] : []));
      const highest = steps.indexOf(Math.max(...steps));
      expect(extended).toContain(highest);
      // The extended calls ran one after another, in increasing step order: each saw exactly the factors of those
      // before it (none lost), and the last, the highest step, left the session as it now stands.
      const byStep = [...extended].sort((a, b) => steps[a]! - steps[b]!);
      for (const [position, i] of byStep.entries()) {
        const result = results[i] as Extract<ExtendResult, { status: 'extended' }>;
        expect(result.session.authenticationFactors.map((f) => f.type).sort()).toEqual(byStep.slice(0, position + 1).map((j) => `factor-${j}`).sort());
      }
      const stored = await store.repository.findMemberSessionById(memberSessionId!);
      expect(stored).toEqual((results[highest] as Extract<ExtendResult, { status: 'extended' }>).session);
      // Exactly the extended calls' factors, none of a refused one's; the last one's access time, the latest expiry.
      expect(stored!.authenticationFactors.map((f) => f.type).sort()).toEqual(extended.map((i) => `factor-${i}`).sort());
      expect(stored!.lastAccessedAt).toEqual(update(highest).at);
      expect(stored!.expiresAt).toEqual(update(Math.max(...extended)).expiresAt);
      const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
      expect(registration!.last_accepted_step).toBe(String(steps[highest]));
    }
  });
});

describe('PostgreSQL: separate Node processes racing on one code, step and IST', () => {
  const PROCESSES = 3;
  const PER_PROCESS = 10;
  const schema = freshSchemaName();
  let store: TestStore;
  beforeAll(async () => {
    store = await createPostgresStore({ schema });
  });
  afterAll(async () => {
    await store?.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store?.close();
  });

  it(`${PROCESSES} processes × ${PER_PROCESS} concurrent attempts: one winner across processes each round`, async () => {
    const s = await seed(store.repository, { ists: ROUNDS });
    // A second member for the exchanges that spend a step, each attempt with its own IST: its own registration, so
    // that its steps do not race the first member's recordAcceptedStep calls.
    const perRound = PROCESSES * PER_PROCESS;
    const spender = await seed(store.repository, { ists: ROUNDS * perRound });
    // A third member for the extensions that spend a step: a live session for every attempt of every process, the
    // same sessions each round.
    const extender = await seed(store.repository);
    const extensionIds: string[] = [];
    for (let worker = 0; worker < PROCESSES; worker++) {
      for (let i = 0; i < PER_PROCESS; i++) {
        const session = memberSessionFor(extender, `extend-proc-w${worker}-a${i}`);
        await store.repository.insertMemberSession(session);
        extensionIds.push(session.memberSessionId);
      }
    }
    const extensions = `member_session_id IN (${extensionIds.map((id) => `'${id}'`).join(', ')})`;
    const rounds = Array.from({ length: ROUNDS }, (_, r) => ({
      step: SEED_STEP + r,
      code: s.codes[r]!,
      istHash: s.istHashes[r]!,
      spendIstHashes: spender.istHashes.slice(r * perRound, (r + 1) * perRound),
      // Each round's extension its own access time, so the table shows which sessions it moved.
      extendAt: new Date(SEED_AT.getTime() + (r + 1) * 60_000).toISOString(),
    }));
    const job = {
      url: postgresUrl(),
      schema,
      organizationId: s.organizationId,
      memberId: s.memberId,
      totpRegistrationId: s.totpRegistrationId,
      spender: { organizationId: spender.organizationId, memberId: spender.memberId, totpRegistrationId: spender.totpRegistrationId },
      extender: { organizationId: extender.organizationId, memberId: extender.memberId, totpRegistrationId: extender.totpRegistrationId },
      at: SEED_AT.toISOString(),
      perProcess: PER_PROCESS,
      rounds,
    };

    const workers = Array.from({ length: PROCESSES }, (_, index) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'packages/prisma/test/support/race-worker.ts'], {
        cwd: `${PACKAGE_ROOT}../..`,
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, TOTP_RACE_JOB: JSON.stringify({ ...job, worker: index }) },
      });
      const lines = createInterface({ input: child.stdout! });
      const queue: string[] = [];
      const waiters: Array<(line: string) => void> = [];
      lines.on('line', (line) => (waiters.length > 0 ? waiters.shift()!(line) : queue.push(line)));
      const next = () =>
        new Promise<string>((resolve, reject) => {
          if (queue.length > 0) return resolve(queue.shift()!);
          child.once('exit', (code) => reject(new Error(`race worker exited with ${code}`)));
          waiters.push(resolve);
        });
      return { child, next };
    });

    try {
      for (let r = 0; r < ROUNDS; r++) {
        // Barrier: every process is connected and warmed up before any attempt; then all get "go" together.
        for (const w of workers) expect(await w.next()).toBe(`ready ${r}`);
        for (const w of workers) w.child.stdin!.write(`go ${r}\n`);
        const results = await Promise.all(workers.map(async (w) => JSON.parse(await w.next()) as Record<string, number>));
        const total = (key: string) => results.reduce((sum, x) => sum + x[key]!, 0);
        expect({ step: total('step'), code: total('code'), ist: total('ist'), spend: total('spend'), extend: total('extend') }).toEqual({
          step: 1,
          code: 1,
          ist: 1,
          spend: 1,
          extend: 1,
        });
        expect(total('extendRefused')).toBe(perRound - 1);
        // One extension won across the processes: its session alone moved this round, and the step is spent.
        const [extended] = await store.rows('totp_registrations', `totp_registration_id = '${extender.totpRegistrationId}'`);
        expect(extended!.last_accepted_step).toBe(String(rounds[r]!.step));
        const moved = (await store.rows('totp_member_sessions', extensions)).filter((row) => (row.last_accessed_at as Date).toISOString() === rounds[r]!.extendAt);
        expect(moved).toHaveLength(1);
        const extendWinner = results.findIndex((x) => x.extend === 1);
        expect(String(moved[0]!.member_session_id)).toMatch(new RegExp(`^member-session-test-extend-proc-w${extendWinner}-a\\d+-`));
        const [spent] = await store.rows('totp_registrations', `totp_registration_id = '${spender.totpRegistrationId}'`);
        expect(spent!.last_accepted_step).toBe(String(rounds[r]!.step));
        const spendLeft = await store.rows('totp_intermediate_sessions', `member_id = '${spender.memberId}'`);
        expect(spendLeft).toHaveLength((ROUNDS - r) * perRound - 1); // of this and later rounds' ISTs, only the winner's is gone
        expect(await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-spend-proc-r${r}-%'`)).toHaveLength(1);
        // Drop this round's losers' ISTs (still live, as they should be) so the next round counts only its own.
        await store.prisma.$executeRawUnsafe(
          `DELETE FROM ${store.qualify('totp_intermediate_sessions')} WHERE token_hash IN (${rounds[r]!.spendIstHashes.map((h) => `'${h}'`).join(', ')})`,
        );

        const [registration] = await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`);
        expect(registration!.last_accepted_step).toBe(String(rounds[r]!.step));
        const codes = await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
        expect(codes).toHaveLength(9 - r);
        expect(codes.map((c) => c.hash)).not.toContain(rounds[r]!.code.hash);
        expect(await store.rows('totp_intermediate_sessions', `token_hash = '${rounds[r]!.istHash}'`)).toEqual([]);
        // Every attempt in every process brought its own session; exactly one was stored, the winner's.
        const sessions = await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-proc-r${r}-%'`);
        expect(sessions).toHaveLength(1);
        const winner = results.findIndex((x) => x.ist === 1);
        expect(String(sessions[0]!.member_session_id)).toMatch(new RegExp(`^member-session-test-proc-r${r}-w${winner}-a\\d+-`));
      }
    } finally {
      for (const w of workers) w.child.stdin!.end();
      await Promise.all(workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))));
    }
  }, 120_000);
});
