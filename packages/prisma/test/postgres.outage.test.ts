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
import {
  SEED_AT,
  SEED_STEP,
  codeSpend,
  codesFor,
  grantOf,
  memberSessionFor,
  registrationFor,
  reservationAt,
  seed,
  stepSpend,
  type Seeded,
} from './support/seed';
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
    await store.repository.insertMemberSession(memberSessionFor(s, 'before'));
  });
  const memberOf = async (seeded: Seeded) =>
    (await store.repository.findMember(seeded.organizationId, { by: 'id', value: seeded.memberId }))!;
  afterAll(async () => {
    await store?.close().catch(() => undefined);
    try {
      execFileSync('bash', [POSTGRES_SCRIPT, 'stop', cluster.dir]);
    } finally {
      rmSync(cluster.dir, { recursive: true, force: true });
    }
  });

  it('keeps acknowledged writes, refuses cleanly while down, and works again after a restart', async () => {
    const session = memberSessionFor(s, 'before');
    const attempt = (tokenHash: string) =>
      ({
        organization: { by: 'id', value: s.organizationId },
        member: { by: 'id', value: s.memberId },
        registration: 'active',
        session: { kind: 'intermediate', tokenHash },
        reservation: reservationAt(SEED_AT),
      }) as const;
    // Acknowledged before the crash: a reservation, and a grant spending a step and exchanging the IST.
    expect((await store.repository.beginMfaAttempt(attempt(s.istHashes[0]!))).reservation).toEqual({
      status: 'reserved',
      lockStarted: false,
    });
    expect(await store.repository.grantMfaSession(grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'exchanged' }))).toMatchObject({
      status: 'granted',
      member: { failedMfaAttempts: 0 },
    });
    expect((await store.repository.beginMfaAttempt(attempt(s.istHashes[1]!))).reservation).toEqual({
      status: 'reserved',
      lockStarted: false,
    });

    const newMember = { ...(await memberOf(s)), memberId: 'member-down', emailAddress: 'down@example.com' };
    cluster.crash();
    const next = registrationFor(s.organizationId, s.memberId, `${s.totpRegistrationId}-x`, 'pending');
    const extension = { at: new Date(SEED_AT.getTime() + 60_000), expiresAt: new Date(SEED_AT.getTime() + 7_200_000) };
    await expectUnavailable(store.repository.findOrganization({ by: 'id', value: s.organizationId }));
    await expectUnavailable(store.repository.beginMfaAttempt(attempt(s.istHashes[1]!)));
    await expectUnavailable(
      store.repository.grantMfaSession(grantOf(s, stepSpend(s, SEED_STEP + 1), { ist: s.istHashes[1]!, tag: 'down' })),
    );
    await expectUnavailable(store.repository.grantMfaSession(grantOf(s, codeSpend(s, 0), { memberSessionId: session.memberSessionId })));
    await expectUnavailable(store.repository.saveRegistration(next, codesFor('d0w')));
    await expectUnavailable(store.repository.replaceRecoveryCodes(s.totpRegistrationId, codesFor('d0w')));
    await expectUnavailable(store.repository.extendMemberSession(session.memberSessionId, extension));
    await expectUnavailable(store.repository.insertMember(newMember));

    expect(await cluster.start()).toBe(url); // same port: the client's URL stays valid
    // The acknowledged writes survived; none of the refused ones happened.
    const [registration] = await store.rows('totp_registrations', `member_id = '${s.memberId}'`);
    expect(registration).toMatchObject({ totp_registration_id: s.totpRegistrationId, last_accepted_step: String(SEED_STEP) });
    expect(await store.rows('totp_recovery_codes', `totp_registration_id = '${s.totpRegistrationId}'`)).toHaveLength(10);
    const [member] = await store.rows('totp_members', `member_id = '${s.memberId}'`);
    expect(member!.failed_mfa_attempts).toBe(1);
    expect((await store.rows('totp_intermediate_sessions', `member_id = '${s.memberId}'`)).map((r) => r.token_hash)).toEqual([
      s.istHashes[1],
    ]);
    const sessions = await store.rows('totp_member_sessions', `member_id = '${s.memberId}' ORDER BY member_session_id`);
    expect(sessions.map((r) => r.member_session_id)).toEqual([session.memberSessionId, memberSessionFor(s, 'exchanged').memberSessionId]);
    expect(sessions[0]).toMatchObject({ last_accessed_at: SEED_AT, expires_at: session.expiresAt });

    // The same repository, the same client: it works again.
    expect(
      await store.repository.grantMfaSession(grantOf(s, stepSpend(s, SEED_STEP + 1), { ist: s.istHashes[1]!, tag: 'after' })),
    ).toMatchObject({ status: 'granted' });
    expect(await store.repository.grantMfaSession(grantOf(s, codeSpend(s, 0), { memberSessionId: session.memberSessionId }))).toMatchObject(
      { status: 'granted', recoveryCodesRemaining: 9 },
    );
    expect(await store.repository.extendMemberSession(session.memberSessionId, extension)).toMatchObject({
      lastAccessedAt: extension.at,
      expiresAt: extension.expiresAt,
    });
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
      expect(await crashing.repository.countRecoveryCodes(next.totpRegistrationId)).toBe(10);
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
      const repository = createPrismaRepository(prisma, { provider: 'postgresql' });
      await expectUnavailable(repository.findOrganization({ by: 'slug', value: 'acme' }));
      await expectUnavailable(
        repository.beginMfaAttempt({
          organization: { by: 'slug', value: 'acme' },
          member: { by: 'id', value: 'm' },
          registration: 'active',
          reservation: reservationAt(SEED_AT),
        }),
      );
      const nobody = { organizationId: 'o', memberId: 'm', totpRegistrationId: 'r', codes: codesFor('n0') };
      await expectUnavailable(repository.grantMfaSession(grantOf(nobody, stepSpend(nobody), { ist: 'h', tag: 'x' })));
      await expectUnavailable(repository.saveRegistration(registrationFor('o', 'm', 'r', 'pending'), codesFor('n0')));
      await expectUnavailable(repository.extendMemberSession('s', { at: SEED_AT, expiresAt: SEED_AT }));
      await expectUnavailable(
        repository.insertOrganization({
          organizationId: 'o',
          organizationName: 'O',
          organizationSlug: 'oo',
          organizationExternalId: '',
          mfaPolicy: 'OPTIONAL',
          mfaMethods: 'ALL_ALLOWED',
          allowedMfaMethods: [],
          createdAt: SEED_AT,
          updatedAt: SEED_AT,
        }),
      );
    } finally {
      await prisma.$disconnect();
    }
    expect(readFileSync(join(cluster.dir, 'url'), 'utf8').trim()).toBe(url);
  });
});
