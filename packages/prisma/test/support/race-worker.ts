// One racing process for postgres.race.test.ts: connects, warms up its pool, then for each round waits for "go" and
// fires its attempts at the round's step, recovery code and IST (each attempt exchanging it for its own member
// session) at once. Prints how many of each it won.

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
  at: string;
  perProcess: number;
  rounds: Array<{ step: number; code: RecoveryCodeHash; istHash: string }>;
}

const job = JSON.parse(process.env.TOTP_RACE_JOB ?? '') as Job;
// Three operations race at once, each with perProcess attempts: a connection for every attempt.
const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: job.url, max: job.perProcess * 3 }, { schema: job.schema }),
});
const repository = createPrismaRepository(prisma);
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
const at = new Date(job.at);

for (const [index, round] of job.rounds.entries()) {
  // Open every connection before the barrier, so the attempts race on the database, not on connecting.
  await Promise.all(Array.from({ length: job.perProcess * 3 }, () => repository.findRegistrations('warm', 'up')));
  process.stdout.write(`ready ${index}\n`);
  const go = await lines.next();
  if (go.done || go.value !== `go ${index}`) throw new Error(`race worker: expected "go ${index}"`);
  const attempts = Array.from({ length: job.perProcess });
  const [steps, codes, ists] = await Promise.all([
    Promise.all(attempts.map(() => repository.recordAcceptedStep(job.totpRegistrationId, round.step))),
    Promise.all(attempts.map(() => repository.consumeRecoveryCode(job.totpRegistrationId, [round.code]))),
    Promise.all(
      attempts.map((_, i) =>
        repository.exchangeIntermediateSession(round.istHash, at, memberSessionFor(job, `proc-r${index}-w${job.worker}-a${i}`)),
      ),
    ),
  ]);
  process.stdout.write(
    `${JSON.stringify({
      step: steps.filter(Boolean).length,
      code: codes.filter((c) => c !== null).length,
      ist: ists.filter((s) => s !== null).length,
    })}\n`,
  );
}
input.close();
await prisma.$disconnect();
