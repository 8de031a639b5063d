// The database going away: PostgreSQL stopped mid-run (as a crash would), or never there (a closed port). Every call
// then fails cleanly with service_unavailable and the driver's error as `cause`, nothing half-written remains, every
// write acknowledged before the outage is still there after it, and the same repository works again once it is back.
// This file runs its own throwaway cluster (scripts/postgres.sh), so stopping it disturbs no other test.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TotpError } from '@totp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_SCRIPT } from './support/paths';
import { SEED_AT, SEED_STEP, codesFor, memberSessionFor, registrationFor, seed, type Seeded } from './support/seed';
import { createPostgresStore, type TestStore } from './support/stores';

const run = promisify(execFile);
const cluster = {
  dir: '',
  // Asynchronously, as a real restart happens: meanwhile the pool hears its idle connections close and drops them.
  start: async () => (await run('bash', [POSTGRES_SCRIPT, 'start', cluster.dir], { encoding: 'utf8' })).stdout.trim(),
  // immediate: no shutdown checkpoint, connections cut at once, as in a crash (the WAL makes commits durable).
  crash: () => execFileSync('bash', [POSTGRES_SCRIPT, 'stop', cluster.dir, 'immediate']),
};

async function expectUnavailable(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail while the database is down');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TotpError);
  expect((error as TotpError).error_type).toBe('service_unavailable');
  expect((error as TotpError).cause).toBeDefined();
}

describe('PostgreSQL going away and coming back', () => {
  let url: string;
  let store: TestStore;
  let s: Seeded;
  beforeAll(async () => {
    cluster.dir = mkdtempSync(join(tmpdir(), 'totp-pg-outage-'));
    url = await cluster.start();
    store = await createPostgresStore({ url, poolMax: 4 });
    s = await seed(store.repository, { ists: 2 });
  });
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    try {
      execFileSync('bash', [POSTGRES_SCRIPT, 'stop', cluster.dir]);
    } finally {
      rmSync(cluster.dir, { recursive: true, force: true });
    }
  });

  it('keeps acknowledged writes, refuses cleanly while down, and works again after a restart', async () => {
    // Acknowledged before the crash.
    expect(await store.repository.recordAcceptedStep(s.totpRegistrationId, SEED_STEP)).toBe(true);
    expect(await store.repository.consumeRecoveryCode(s.totpRegistrationId, [s.codes[0]!])).toBe(9);
    const reservation = { at: SEED_AT, maxFailedAttempts: 10, lockExpiresAt: new Date(SEED_AT.getTime() + 3_600_000) };
    expect(await store.repository.reserveMfaAttempt(s.organizationId, s.memberId, reservation)).toEqual({ status: 'reserved', lockStarted: false });
    expect(await store.repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, memberSessionFor(s, 'before'))).toMatchObject({ status: 'exchanged' });

    cluster.crash();
    const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-x`, 'pending');
    await expectUnavailable(store.repository.findOrganizationById(s.organizationId));
    await expectUnavailable(store.repository.recordAcceptedStep(s.totpRegistrationId, SEED_STEP + 1));
    await expectUnavailable(store.repository.consumeRecoveryCode(s.totpRegistrationId, [s.codes[1]!]));
    await expectUnavailable(store.repository.exchangeIntermediateSession(s.istHashes[1]!, SEED_AT, memberSessionFor(s, 'down')));
    await expectUnavailable(
      store.repository.findMfaContext({
        organization: { by: 'id', value: s.organizationId },
        member: { by: 'id', value: s.memberId },
        intermediateSessionTokenHash: s.istHashes[1]!,
      }),
    );
    await expectUnavailable(store.repository.saveRegistration(next, codesFor('d0w')));
    await expectUnavailable(store.repository.replaceRecoveryCodes(s.totpRegistrationId, codesFor('d0w')));
    await expectUnavailable(store.repository.reserveMfaAttempt(s.organizationId, s.memberId, reservation));
    const extension = { at: new Date(SEED_AT.getTime() + 60_000), expiresAt: new Date(SEED_AT.getTime() + 7_200_000) };
    const spendStep = (step: number) => ({ kind: 'totp_step', totpRegistrationId: s.totpRegistrationId, step }) as const;
    await expectUnavailable(store.repository.extendMemberSessionWithSpend(memberSessionFor(s, 'before').memberSessionId, extension, spendStep(SEED_STEP + 1)));

    expect(await cluster.start()).toBe(url); // same port: the client's URL stays valid
    // The acknowledged writes survived; none of the refused ones happened.
    const [registration] = await store.rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registration).toMatchObject({ totp_registration_id: s.totpRegistrationId, last_accepted_step: String(SEED_STEP) });
    const codes = await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`);
    expect(codes.map((c) => c.hash).sort()).toEqual(s.codes.slice(1).map((c) => c.hash).sort());
    const [member] = await store.rows('totp_members', `member_id = '${s.memberId}'`);
    expect(member!.failed_mfa_attempts).toBe(1);
    expect(await store.rows('totp_intermediate_sessions', `member_id = '${s.memberId}'`)).toHaveLength(1);
    const sessions = await store.rows('totp_member_sessions', `member_id = '${s.memberId}'`);
    expect(sessions.map((r) => r.member_session_id)).toEqual([memberSessionFor(s, 'before').memberSessionId]);
    expect(sessions[0]).toMatchObject({ last_accessed_at: SEED_AT, expires_at: memberSessionFor(s, 'before').expiresAt });

    // The same repository, the same client: it works again.
    expect(await store.repository.recordAcceptedStep(s.totpRegistrationId, SEED_STEP + 1)).toBe(true);
    expect(await store.repository.consumeRecoveryCode(s.totpRegistrationId, [s.codes[1]!])).toBe(8);
    expect(await store.repository.exchangeIntermediateSession(s.istHashes[1]!, SEED_AT, memberSessionFor(s, 'after'))).toMatchObject({ status: 'exchanged' });
    expect(await store.repository.extendMemberSessionWithSpend(memberSessionFor(s, 'before').memberSessionId, extension, spendStep(SEED_STEP + 2))).toMatchObject({
      status: 'extended',
      session: { lastAccessedAt: extension.at, expiresAt: extension.expiresAt },
    });
    const context = await store.repository.findMfaContext({
      organization: { by: 'id', value: s.organizationId },
      member: { by: 'id', value: s.memberId },
      memberSessionTokenHash: memberSessionFor(s, 'after').tokenHash,
    });
    expect(context.member?.memberId).toBe(s.memberId);
    expect(context.memberSession?.memberSessionId).toBe(memberSessionFor(s, 'after').memberSessionId);
  });

  it('a crash in the middle of a transaction leaves nothing partial, and the next call works', async () => {
    let crashAt = -1;
    const crashing = await createPostgresStore({
      url,
      poolMax: 2,
      hooks: {
        beforeStatement(_sql, transaction) {
          if (transaction?.statement === crashAt) {
            crashAt = -1;
            cluster.crash(); // synchronously: the statement about to be sent finds the server gone
          }
        },
      },
    });
    try {
      const t = await seed(crashing.repository, { status: 'pending' });
      const before = JSON.stringify(await crashing.dump());
      const next = registrationFor(t.organizationId, t.memberId, `${t.totpRegistrationId}-next`, 'pending');
      crashAt = 4; // lock, read, delete the old pending registration, then the crash before inserting the new one
      await expectUnavailable(crashing.repository.saveRegistration(next, codesFor('c4a5')));
      expect(await cluster.start()).toBe(url);
      expect(JSON.stringify(await crashing.dump())).toBe(before);
      expect(await crashing.repository.saveRegistration(next, codesFor('c4a5'))).toBe('saved');
      expect(await crashing.repository.listRecoveryCodeHashes(next.totpRegistrationId)).toEqual(codesFor('c4a5'));
    } finally {
      await crashing.close();
    }
  });

  it('a server that is not there at all: service_unavailable, for reads and transactions alike', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const nowhere = url.replace(/:\d+\//, `:${closedPort}/`);
    const { PrismaPg } = await import('@prisma/adapter-pg');
    const { PrismaClient } = await import('../generated/postgresql/client/client.ts');
    const { createPrismaRepository } = await import('../src/prisma-repository');
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: nowhere }) });
    try {
      const repository = createPrismaRepository(prisma);
      await expectUnavailable(repository.findOrganizationBySlug('acme'));
      await expectUnavailable(repository.findMfaContext({ organization: { by: 'slug', value: 'acme' }, member: { by: 'id', value: 'm' } }));
      await expectUnavailable(repository.exchangeIntermediateSession('h', SEED_AT, memberSessionFor({ organizationId: 'o', memberId: 'm' }, 'x')));
      await expectUnavailable(repository.saveRegistration(registrationFor('o', 'm', 'r', 'pending'), codesFor('n0')));
      await expectUnavailable(repository.extendMemberSession('s', { at: SEED_AT, expiresAt: SEED_AT }));
      await expectUnavailable(
        repository.extendMemberSessionWithSpend('s', { at: SEED_AT, expiresAt: SEED_AT }, { kind: 'recovery_code', totpRegistrationId: 'r', candidates: [] }),
      );
    } finally {
      await prisma.$disconnect();
    }
    expect(readFileSync(join(cluster.dir, 'url'), 'utf8').trim()).toBe(url);
  });
});
