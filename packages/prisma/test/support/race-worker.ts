// One racing process for postgres.race.test.ts: connects, warms up its pool, then for each round waits for "go" and
// fires its attempts at the round's step, recovery code and IST (each attempt exchanging it for its own member
// session), its exchanges of distinct ISTs that all spend one step, and its extensions of distinct member sessions that
// all spend one step, at once. Prints how many of each it won.

import { createInterface } from 'node:readline';
import { PrismaPg } from '@prisma/adapter-pg';
import type { RecoveryCodeHash } from '@totp/core';
import { PrismaClient } from '../../generated/postgresql/client/client.ts';
import { createPrismaRepository } from '../../src/prisma-repository';
import { memberSessionFor } from './seed';

interface Job {
  url: string;
  schema: string;
  /** This process's number, for the IDs of the member sessions it offers in exchange for the IST. */
  worker: number;
  organizationId: string;
  memberId: string;
  totpRegistrationId: string;
  /** The member whose registration's step the spending exchanges race for, each attempt with its own IST. */
  spender: { organizationId: string; memberId: string; totpRegistrationId: string };
  /** The member whose registration's step the spending extensions race for, each attempt with its own session. */
  extender: { organizationId: string; memberId: string; totpRegistrationId: string };
  at: string;
  perProcess: number;
  rounds: Array<{ step: number; code: RecoveryCodeHash; istHash: string; spendIstHashes: string[]; extendAt: string }>;
}

const job = JSON.parse(process.env.TOTP_RACE_JOB ?? '') as Job;
// Five operations race at once, each with perProcess attempts: a connection for every attempt.
const OPERATIONS = 5;
const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: job.url, max: job.perProcess * OPERATIONS }, { schema: job.schema }),
});
const repository = createPrismaRepository(prisma);
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
const at = new Date(job.at);

for (const [index, round] of job.rounds.entries()) {
  // Open every connection before the barrier, so the attempts race on the database, not on connecting.
  await Promise.all(Array.from({ length: job.perProcess * OPERATIONS }, () => repository.findRegistrations('warm', 'up')));
  process.stdout.write(`ready ${index}\n`);
  const go = await lines.next();
  if (go.done || go.value !== `go ${index}`) throw new Error(`race worker: expected "go ${index}"`);
  const attempts = Array.from({ length: job.perProcess });
  const spend = { kind: 'totp_step', totpRegistrationId: job.spender.totpRegistrationId, step: round.step } as const;
  const extendSpend = { kind: 'totp_step', totpRegistrationId: job.extender.totpRegistrationId, step: round.step } as const;
  const extension = { at: new Date(round.extendAt), expiresAt: new Date(round.extendAt) };
  const [steps, codes, ists, spends, extensions] = await Promise.all([
    Promise.all(attempts.map(() => repository.recordAcceptedStep(job.totpRegistrationId, round.step))),
    Promise.all(attempts.map(() => repository.consumeRecoveryCode(job.totpRegistrationId, [round.code]))),
    Promise.all(
      attempts.map((_, i) =>
        repository.exchangeIntermediateSession(round.istHash, at, memberSessionFor(job, `proc-r${index}-w${job.worker}-a${i}`)),
      ),
    ),
    Promise.all(
      attempts.map((_, i) =>
        repository.exchangeIntermediateSession(
          round.spendIstHashes[job.worker * job.perProcess + i]!,
          at,
          memberSessionFor(job.spender, `spend-proc-r${index}-w${job.worker}-a${i}`),
          spend,
        ),
      ),
    ),
    Promise.all(
      attempts.map((_, i) =>
        repository.extendMemberSessionWithSpend(
          memberSessionFor(job.extender, `extend-proc-w${job.worker}-a${i}`).memberSessionId,
          { ...extension, factor: { type: `extend-w${job.worker}-a${i}`, delivery_method: 'test', last_authenticated_at: '', created_at: '', updated_at: '' } },
          extendSpend,
        ),
      ),
    ),
  ]);
  process.stdout.write(
    `${JSON.stringify({
      step: steps.filter(Boolean).length,
      code: codes.filter((c) => c !== null).length,
      ist: ists.filter((s) => s.status === 'exchanged').length,
      spend: spends.filter((s) => s.status === 'exchanged').length,
      extend: extensions.filter((s) => s.status === 'extended').length,
      extendRefused: extensions.filter((s) => s.status === 'spend_refused').length,
    })}\n`,
  );
}
input.close();
await prisma.$disconnect();
