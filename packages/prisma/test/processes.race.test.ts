// The attack of postgres.race.test.ts, across separate Node processes: an attacker replays one TOTP code, one recovery
// code or one intermediate session token through several server processes at once, or bursts guesses past the lockout.
// Each process has its own client and connections; exactly one may win, at most the limit is reserved per lock window.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './support/paths';
import type { RaceJob } from './support/race-worker';
import { SEED_AT, SEED_STEP, memberSessionFor, seed, type Seeded } from './support/seed';
import { createPostgresStore, createSqliteStore, pgbouncer, type TestStore } from './support/stores';

const ROUNDS = 3;
const PROCESSES = 3;
const PER_PROCESS = 10;
const PER_ROUND = PROCESSES * PER_PROCESS;

const bouncer = pgbouncer();
const databases: Array<[string, () => Promise<TestStore>]> = [
  ['PostgreSQL', () => createPostgresStore()],
  // One file: the reservation's compare-and-set and the grant's write-first transaction, across processes.
  ['SQLite', () => createSqliteStore()],
  // Every process's pool through one PgBouncer in transaction pooling mode (pgbouncer.test.ts).
  ...(bouncer.skip === null
    ? [['PostgreSQL through PgBouncer', () => createPostgresStore({ url: bouncer.url() })] as [string, () => Promise<TestStore>]]
    : []),
];

describe.each(databases)('%s: separate Node processes racing', (_name, createStore) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createStore();
  });
  afterAll(async () => {
    await store?.close();
  });

  it(`${PROCESSES} processes × ${PER_PROCESS} concurrent attempts: one IST, step and code spent once, at most the limit reserved`, async () => {
    const member = (s: Seeded) => ({ organizationId: s.organizationId, memberId: s.memberId, totpRegistrationId: s.totpRegistrationId });
    const ist = await seed(store.repository, { ists: ROUNDS });
    const step = await seed(store.repository, { ists: ROUNDS * PER_ROUND });
    const code = await seed(store.repository, { ists: ROUNDS * PER_ROUND });
    const extend = await seed(store.repository);
    const sessions = Array.from({ length: PER_ROUND }, (_, i) => memberSessionFor(extend, `proc-extend-a${i}`));
    for (const session of sessions) await store.repository.insertMemberSession(session);
    const reserve = await seed(store.repository);
    const reserveIst = {
      ...(await store.repository.findIntermediateSession(reserve.istHashes[0]!))!,
      tokenHash: 'c'.repeat(64),
      expiresAt: new Date(SEED_AT.getTime() + 24 * 3_600_000),
    };
    await store.repository.insertIntermediateSession(reserveIst);
    const rounds = Array.from({ length: ROUNDS }, (_, r) => ({
      at: SEED_AT.toISOString(),
      // Two hours apart: the hour's lock of the round before has run out, a fresh window of 10.
      reserveAt: new Date(SEED_AT.getTime() + r * 2 * 3_600_000).toISOString(),
      istHash: ist.istHashes[r]!,
      istSteps: Array.from({ length: PER_ROUND }, (_, i) => SEED_STEP + 1000 * (r + 1) + i),
      step: SEED_STEP + r,
      stepIsts: step.istHashes.slice(r * PER_ROUND, (r + 1) * PER_ROUND),
      code: code.codes[r]!,
      codeIsts: code.istHashes.slice(r * PER_ROUND, (r + 1) * PER_ROUND),
    }));
    const job: Omit<RaceJob, 'worker'> = {
      ...store.location,
      perProcess: PER_PROCESS,
      ist: member(ist),
      step: member(step),
      code: member(code),
      extend: { ...member(extend), sessions: sessions.map((x) => x.memberSessionId) },
      reserve: { ...member(reserve), ist: reserveIst.tokenHash },
      rounds,
    };

    const workers = Array.from({ length: PROCESSES }, (_, worker) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'packages/prisma/test/support/race-worker.ts'], {
        cwd: `${PACKAGE_ROOT}../..`,
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, TOTP_RACE_JOB: JSON.stringify({ ...job, worker }) },
      });
      const lines = createInterface({ input: child.stdout! });
      const queue: string[] = [];
      const waiters: Array<(line: string) => void> = [];
      lines.on('line', (line) => (waiters.length > 0 ? waiters.shift()!(line) : queue.push(line)));
      const next = () =>
        new Promise<string>((resolve, reject) => {
          if (queue.length > 0) return resolve(queue.shift()!);
          child.once('exit', (exitCode) => reject(new Error(`race worker exited with ${exitCode}`)));
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
        expect({ ist: total('ist'), step: total('step'), code: total('code'), extend: total('extend') }).toEqual({
          ist: 1,
          step: 1,
          code: 1,
          extend: 1,
        });
        // Across the processes, exactly the limit reserved in this lock window, one starting the lock; the rest refused.
        expect({ reserved: total('reserved'), lockStarted: total('lockStarted'), locked: total('locked') }).toEqual({
          reserved: 10,
          lockStarted: 1,
          locked: PER_ROUND - 10,
        });

        const round = rounds[r]!;
        const registration = async (s: Seeded) =>
          (await store.rows('totp_registrations', `totp_registration_id = '${s.totpRegistrationId}'`))[0]!;
        expect(await store.rows('totp_intermediate_sessions', `token_hash = '${round.istHash}'`)).toEqual([]);
        expect(await store.rows('totp_member_sessions', `member_session_id LIKE 'member-session-test-ist-r${r}-%'`)).toHaveLength(1);
        expect(round.istSteps.map(String)).toContain((await registration(ist)).last_accepted_step);
        expect((await registration(step)).last_accepted_step).toBe(String(round.step));
        expect(
          await store.rows('totp_intermediate_sessions', `token_hash IN (${round.stepIsts.map((h) => `'${h}'`).join(', ')})`),
        ).toHaveLength(PER_ROUND - 1);
        const codes = await store.rows('totp_recovery_codes', `totp_registration_id = '${code.totpRegistrationId}'`);
        expect(codes).toHaveLength(9 - r);
        expect(codes.map((c) => c.hash)).not.toContain(round.code.hash);
        expect(
          await store.rows('totp_intermediate_sessions', `token_hash IN (${round.codeIsts.map((h) => `'${h}'`).join(', ')})`),
        ).toHaveLength(PER_ROUND - 1);
        expect((await registration(extend)).last_accepted_step).toBe(String(round.step));
        const [reserved] = await store.rows('totp_members', `member_id = '${reserve.memberId}'`);
        expect(reserved).toMatchObject({ failed_mfa_attempts: 10, lock_created_at: new Date(round.reserveAt) });
      }
    } finally {
      for (const w of workers) w.child.stdin!.end();
      await Promise.all(
        workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.once('exit', resolve)))),
      );
    }
  }, 180_000);
});
