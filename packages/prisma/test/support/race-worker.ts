// One racing process for processes.race.test.ts: connects, warms up its pool, then for each round waits for "go" and
// fires, all at once, its grants of the round's one IST, its grants of their own ISTs that spend one step or one
// recovery code, its step-ups of their own sessions that spend one step, and its reservations for one member.
// Prints how many of each it won.

import { createInterface } from 'node:readline';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { MfaGrant, RecoveryCodeHash } from '@totp/core';
import { PrismaClient as PostgresClient } from '../../generated/postgresql/client/client.ts';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client/client.ts';
import type { TotpPrismaClient } from '../../src/client-shape';
import { createPrismaRepository } from '../../src/prisma-repository';
import { factorOf, grantOf } from './seed';
import type { StoreLocation } from './stores';

type Member = { organizationId: string; memberId: string; totpRegistrationId: string };

export interface RaceJob extends StoreLocation {
  worker: number;
  perProcess: number;
  /** Each attempt spends its own step on the one IST of the round. */
  ist: Member;
  /** Each attempt exchanges its own IST, all spending one step. */
  step: Member;
  /** Each attempt exchanges its own IST, all spending one recovery code. */
  code: Member;
  /** Each attempt extends its own session (`sessions`, the same every round), all spending one step. */
  extend: Member & { sessions: string[] };
  /** Each attempt reserves an attempt for this member, with its live IST, at the round's `reserveAt` (a fresh lock window). */
  reserve: Member & { ist: string };
  rounds: Array<{
    at: string;
    reserveAt: string;
    istHash: string;
    istSteps: number[];
    step: number;
    stepIsts: string[];
    code: RecoveryCodeHash;
    codeIsts: string[];
  }>;
}

const job = JSON.parse(process.env.TOTP_RACE_JOB ?? '') as RaceJob;
const KINDS = 5;
const schema = job.schema === undefined ? {} : { schema: job.schema };
const prisma: TotpPrismaClient & { $disconnect(): Promise<void> } =
  job.provider === 'sqlite'
    ? new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: job.url }) })
    : new PostgresClient({ adapter: new PrismaPg({ connectionString: job.url, max: job.perProcess * KINDS }, schema) });
const repository = createPrismaRepository(prisma, { provider: job.provider, ...schema });
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const mine = <T>(all: T[]) => all.slice(job.worker * job.perProcess, (job.worker + 1) * job.perProcess);
const granted = async (grants: MfaGrant[]) =>
  (await Promise.all(grants.map((g) => repository.grantMfaSession(g)))).filter((r) => r.status === 'granted').length;

for (const [index, round] of job.rounds.entries()) {
  // Open every connection before the barrier, so that the attempts race on the database, not on connecting.
  await Promise.all(Array.from({ length: job.perProcess * KINDS }, () => repository.findRegistrations('warm', 'up')));
  process.stdout.write(`ready ${index}\n`);
  const go = await lines.next();
  if (go.done || go.value !== `go ${index}`) throw new Error(`race worker: expected "go ${index}"`);
  const at = new Date(round.at);
  const tag = (kind: string, i: number) => `${kind}-r${index}-w${job.worker}-a${i}`;
  const stepOf = (member: Member, step: number) => ({ kind: 'totp_step', totpRegistrationId: member.totpRegistrationId, step }) as const;
  const [ist, step, code, extend, reservations] = await Promise.all([
    granted(mine(round.istSteps).map((s, i) => grantOf(job.ist, stepOf(job.ist, s), { ist: round.istHash, tag: tag('ist', i) }, {}, at))),
    granted(mine(round.stepIsts).map((h, i) => grantOf(job.step, stepOf(job.step, round.step), { ist: h, tag: tag('step', i) }, {}, at))),
    granted(
      mine(round.codeIsts).map((h, i) =>
        grantOf(
          job.code,
          { kind: 'recovery_code', totpRegistrationId: job.code.totpRegistrationId, candidates: [round.code] },
          { ist: h, tag: tag('code', i) },
          {},
          at,
        ),
      ),
    ),
    granted(
      mine(job.extend.sessions).map((id, i) =>
        grantOf(job.extend, stepOf(job.extend, round.step), { memberSessionId: id, factor: factorOf(tag('extend', i)) }, {}, at),
      ),
    ),
    Promise.all(
      Array.from({ length: job.perProcess }, () =>
        repository.beginMfaAttempt({
          organization: { by: 'id', value: job.reserve.organizationId },
          member: { by: 'id', value: job.reserve.memberId },
          session: { kind: 'intermediate', tokenHash: job.reserve.ist },
          registration: 'active',
          reservation: {
            at: new Date(round.reserveAt),
            maxFailedAttempts: 10,
            lockExpiresAt: new Date(Date.parse(round.reserveAt) + 3_600_000),
          },
        }),
      ),
    ),
  ]);
  const reserved = reservations.flatMap((c) => (c.reservation?.status === 'reserved' ? [c.reservation] : []));
  const locked = reservations.filter((c) => c.reservation?.status === 'locked').length;
  process.stdout.write(
    `${JSON.stringify({ ist, step, code, extend, reserved: reserved.length, lockStarted: reserved.filter((r) => r.lockStarted).length, locked })}\n`,
  );
}
await prisma.$disconnect();
process.exit(0);
