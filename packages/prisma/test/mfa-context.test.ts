// The adapter's raw statements, on both databases, with the shipped table names and with a host's renamed ones:
// findMfaContext (one SELECT: organization, member, registrations, sessions) must give exactly what the single finders
// give, for every way of naming the organization and the member, and null for every part that is not there;
// exchangeIntermediateSession must consume a live IST into exactly the given session, and write nothing otherwise.
// The same for the session grant that spends a proof on a member session instead: extendMemberSessionWithSpend
// (one statement on PostgreSQL, a transaction on SQLite) extends the live session and spends the step or code, or
// writes nothing at all; and extendMemberSession (one UPDATE on PostgreSQL) merges the factor exactly as the
// JavaScript merge does.

import type { AuthenticationFactor, MemberSessionRecord, MemberSessionUpdate, MfaContextQuery, RecoveryCodeHash, TotpRepository } from '@totp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient as SqliteClient } from '../generated/sqlite/client/client.ts';
import { createPrismaRepository } from '../src/prisma-repository';
import { exerciseEveryMethod } from './exercise';
import { SEED_AT, SEED_STEP, codesFor, memberSessionFor, registrationFor } from './support/seed';
import {
  createPostgresStore,
  createRenamedPostgresStore,
  createRenamedSqliteStore,
  createSqliteStore,
  type TestStore,
} from './support/stores';

const stores: Array<[string, () => Promise<TestStore>]> = [
  ['sqlite', () => createSqliteStore()],
  ['postgresql', () => createPostgresStore()],
  ['sqlite, tables and columns renamed', () => createRenamedSqliteStore()],
  ['postgresql, tables and columns renamed', () => createRenamedPostgresStore()],
];

let fixtures = 0;

/** What the exchange sent since the counter's reset, by first keyword: PostgreSQL's one statement, or SQLite's `sqlite`. */
function expectExchangeStatements(store: TestStore, name: string, sqlite: string[]): void {
  expect(store.counter.statements.map((s) => s.sql.split(' ')[0])).toEqual(name.startsWith('postgresql') ? ['WITH'] : sqlite);
}

/** Two organizations; in the first a member with an active and a pending registration, a lock, an IST, a session. */
async function fixture(store: TestStore) {
  const tag = `${++fixtures}-${process.pid}`;
  const repository = store.repository;
  const orgA = `organization-ctx-a-${tag}`;
  const orgB = `organization-ctx-b-${tag}`;
  for (const [organizationId, suffix] of [
    [orgA, 'a'],
    [orgB, 'b'],
  ] as const) {
    await repository.insertOrganization({
      organizationId,
      organizationName: `Ctx ${suffix} «${tag}»`,
      organizationSlug: `Ctx-${suffix}-${tag}`,
      organizationExternalId: `org-ext-${suffix}-${tag}`,
      mfaPolicy: 'REQUIRED_FOR_ALL',
      mfaMethods: 'RESTRICTED',
      allowedMfaMethods: ['totp', 'sms_otp'],
      createdAt: SEED_AT,
      updatedAt: new Date(SEED_AT.getTime() + 1),
    });
  }
  const member = (organizationId: string, memberId: string, email: string) => ({
    organizationId,
    memberId,
    emailAddress: email,
    name: 'Zoë Ctx',
    status: 'active' as const,
    // The same external ID in both organizations: a lookup must stay inside the organization it names.
    externalId: `member-ext-${tag}`,
    mfaEnrolled: true,
    totpRegistrationId: '',
    defaultMfaMethod: 'totp' as const,
    failedMfaAttempts: 0,
    lockCreatedAt: null,
    lockExpiresAt: null,
    createdAt: new Date(SEED_AT.getTime() + 2),
    updatedAt: new Date(SEED_AT.getTime() + 3),
  });
  const memberA = `member-ctx-a-${tag}`;
  const memberB = `member-ctx-b-${tag}`;
  const lonely = `member-ctx-c-${tag}`;
  await repository.insertMember(member(orgA, memberA, `A.${tag}@Example.com`));
  await repository.insertMember(member(orgB, memberB, `b.${tag}@example.com`));
  await repository.insertMember({ ...member(orgA, lonely, `c.${tag}@example.com`), externalId: '' });
  // One reservation with a limit of one: counted, and the lock it starts.
  await repository.reserveMfaAttempt(orgA, memberA, {
    at: new Date(SEED_AT.getTime() + 7),
    maxFailedAttempts: 1,
    lockExpiresAt: new Date(SEED_AT.getTime() + 3_600_007),
  });

  const active = registrationFor(orgA, memberA, `member-totp-ctx-a-${tag}`, 'active');
  await repository.saveRegistration(active, codesFor('c7a'));
  await repository.recordAcceptedStep(active.totpRegistrationId, SEED_STEP);
  // The port never makes a pending registration next to an active one, but the schema allows it; the join must
  // return each by its status.
  await (store.prisma as SqliteClient).totpRegistration.create({
    data: {
      totpRegistrationId: `member-totp-ctx-p-${tag}`,
      organizationId: orgA,
      memberId: memberA,
      status: 'pending',
      secretKeyId: 'k2',
      secretCiphertext: 'pending-ciphertext',
      algorithm: 'SHA256',
      digits: 8,
      periodSeconds: 60,
      expiresAt: new Date(SEED_AT.getTime() + 600_123),
      lastAcceptedStep: null,
      createdAt: new Date(SEED_AT.getTime() + 5),
      activatedAt: null,
    },
  });
  await repository.saveRegistration(registrationFor(orgB, memberB, `member-totp-ctx-b-${tag}`, 'pending'), codesFor('c7b'));

  const istHash = (n: number) => `${n}`.padStart(2, '0').padEnd(64, tag.replace(/\D/g, '') || '0').slice(0, 64);
  const factors = [
    { type: 'email', delivery_method: 'email', last_authenticated_at: '2026-11-29T12:00:00Z', created_at: 'x', updated_at: 'y', email_factor: { email_address: 'ü@example.com' } },
  ];
  await repository.insertIntermediateSession({
    tokenHash: istHash(1),
    organizationId: orgA,
    memberId: memberA,
    authenticationFactors: factors as never,
    createdAt: new Date(SEED_AT.getTime() + 11),
    expiresAt: new Date(SEED_AT.getTime() + 600_011),
  });
  await repository.insertIntermediateSession({
    tokenHash: istHash(2),
    organizationId: orgB,
    memberId: memberB,
    authenticationFactors: [],
    createdAt: SEED_AT,
    expiresAt: new Date(SEED_AT.getTime() + 600_000),
  });
  const session: MemberSessionRecord = {
    ...memberSessionFor({ organizationId: orgA, memberId: memberA }, `ctx-${tag}`),
    customClaims: { nested: { list: [1, 'two', null], 'ключ': true } },
    revokedAt: new Date(SEED_AT.getTime() + 999),
  };
  await repository.insertMemberSession(session);
  return { tag, orgA, orgB, memberA, memberB, lonely, active, istA: istHash(1), istB: istHash(2), session };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** The answer the single finders give for a query that names organization `organizationId` and member `memberId`. */
async function viaFinders(repository: TotpRepository, organizationId: string, memberId: string, query: MfaContextQuery) {
  return {
    organization: await repository.findOrganizationById(organizationId),
    member: await repository.findMemberById(organizationId, memberId),
    registrations: await repository.findRegistrations(organizationId, memberId),
    intermediateSession: query.intermediateSessionTokenHash === undefined ? null : await repository.findIntermediateSession(query.intermediateSessionTokenHash),
    memberSession: query.memberSessionTokenHash === undefined ? null : await repository.findMemberSessionByTokenHash(query.memberSessionTokenHash),
  };
}

const NONE = { active: null, pending: null };
const NOT_FOUND = { status: 'intermediate_session_not_found' } as const;

describe.each(stores)('findMfaContext and exchangeIntermediateSession on %s', (name, createStore) => {
  let store: TestStore;
  let f: Fixture;
  beforeAll(async () => {
    store = await createStore();
    f = await fixture(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('gives what the single finders give, by every lookup, in one statement', async () => {
    const organizations = [
      { by: 'id', value: f.orgA },
      { by: 'slug', value: `Ctx-a-${f.tag}` },
      { by: 'externalId', value: `org-ext-a-${f.tag}` },
    ] as const;
    const members = [
      { by: 'id', value: f.memberA },
      { by: 'externalId', value: `member-ext-${f.tag}` },
    ] as const;
    for (const organization of organizations) {
      for (const member of members) {
        for (const sessions of [{}, { intermediateSessionTokenHash: f.istA }, { intermediateSessionTokenHash: f.istA, memberSessionTokenHash: f.session.tokenHash }]) {
          const query: MfaContextQuery = { organization, member, ...sessions };
          store.counter.reset();
          const context = await store.repository.findMfaContext(query);
          expect(store.counter.statements.map((s) => s.sql.slice(0, 7))).toEqual(['SELECT ']);
          expect(context).toEqual(await viaFinders(store.repository, f.orgA, f.memberA, query));
        }
      }
    }
    // And the values are the stored ones, types included.
    const context = await store.repository.findMfaContext({
      organization: { by: 'id', value: f.orgA },
      member: { by: 'id', value: f.memberA },
      intermediateSessionTokenHash: f.istA,
      memberSessionTokenHash: f.session.tokenHash,
    });
    expect(context.organization).toMatchObject({ organizationExternalId: `org-ext-a-${f.tag}`, allowedMfaMethods: ['totp', 'sms_otp'] });
    expect(context.member).toMatchObject({
      failedMfaAttempts: 1,
      mfaEnrolled: true,
      lockCreatedAt: new Date(SEED_AT.getTime() + 7),
      lockExpiresAt: new Date(SEED_AT.getTime() + 3_600_007),
      updatedAt: new Date(SEED_AT.getTime() + 3),
    });
    expect(context.registrations.active).toMatchObject({ totpRegistrationId: f.active.totpRegistrationId, lastAcceptedStep: SEED_STEP, expiresAt: null });
    expect(context.registrations.pending).toMatchObject({
      totpRegistrationId: `member-totp-ctx-p-${f.tag}`,
      secret: { keyId: 'k2', ciphertext: 'pending-ciphertext' },
      lastAcceptedStep: null,
      expiresAt: new Date(SEED_AT.getTime() + 600_123),
    });
    expect(context.intermediateSession?.authenticationFactors[0]).toMatchObject({ email_factor: { email_address: 'ü@example.com' } });
    expect(context.memberSession).toEqual(f.session);
  });

  it('answers null for each part that is not there', async () => {
    const repository = store.repository;
    const a = { by: 'id', value: f.orgA } as const;
    const memberA = { by: 'id', value: f.memberA } as const;
    const nothing = { organization: null, member: null, registrations: NONE, intermediateSession: null, memberSession: null };
    // No organization: nothing else about it, whatever names the member.
    for (const organization of [
      { by: 'id', value: 'organization-none' },
      { by: 'slug', value: `ctx-a-${f.tag}` }, // slugs compare exactly
      { by: 'externalId', value: `ORG-EXT-A-${f.tag}` },
      { by: 'externalId', value: '' },
      { by: 'id', value: f.memberA },
    ] as const) {
      expect(await repository.findMfaContext({ organization, member: memberA })).toEqual(nothing);
    }
    // The organization, but no such member in it (B's member by ID; an empty external ID; someone else's ID).
    for (const member of [
      { by: 'id', value: f.memberB },
      { by: 'id', value: 'member-none' },
      { by: 'externalId', value: '' },
      { by: 'externalId', value: 'member-ext-none' },
      { by: 'externalId', value: f.memberA },
    ] as const) {
      const context = await repository.findMfaContext({ organization: a, member });
      expect(context.organization?.organizationId).toBe(f.orgA);
      expect(context).toMatchObject({ member: null, registrations: NONE });
    }
    // The shared external ID finds each organization's own member.
    const inB = await repository.findMfaContext({ organization: { by: 'externalId', value: `org-ext-b-${f.tag}` }, member: { by: 'externalId', value: `member-ext-${f.tag}` } });
    expect(inB.member?.memberId).toBe(f.memberB);
    expect(inB.registrations).toEqual({ active: null, pending: expect.objectContaining({ totpRegistrationId: `member-totp-ctx-b-${f.tag}` }) });
    // A member without registrations.
    const lonely = await repository.findMfaContext({ organization: a, member: { by: 'id', value: f.lonely } });
    expect(lonely.member?.memberId).toBe(f.lonely);
    expect(lonely.registrations).toEqual(NONE);
    // Sessions are found by hash whoever owns them, even with no organization; unknown hashes and no hashes are null.
    const sessions = await repository.findMfaContext({
      organization: { by: 'slug', value: 'no-such-slug' },
      member: memberA,
      intermediateSessionTokenHash: f.istB,
      memberSessionTokenHash: f.session.tokenHash,
    });
    expect(sessions).toEqual({ ...nothing, intermediateSession: await repository.findIntermediateSession(f.istB), memberSession: f.session });
    const unknown = await repository.findMfaContext({ organization: a, member: memberA, intermediateSessionTokenHash: 'f'.repeat(64), memberSessionTokenHash: '' });
    expect(unknown.member?.memberId).toBe(f.memberA);
    expect(unknown).toMatchObject({ intermediateSession: null, memberSession: null });
  });

  it('exchanges a live IST for exactly the given session, and writes nothing for a used, expired or unknown one', async () => {
    const repository = store.repository;
    const before = await repository.findIntermediateSession(f.istA);
    expect(before).not.toBeNull();
    const at = new Date(before!.expiresAt.getTime() - 1);
    const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `exchange-${f.tag}`);
    store.counter.reset();
    expect(await repository.exchangeIntermediateSession(f.istA, at, session)).toEqual({ status: 'exchanged', consumed: before });
    // PostgreSQL: the one statement. SQLite: a transaction, the DELETE first.
    expectExchangeStatements(store, name, ['BEGIN', 'DELETE', 'INSERT', 'COMMIT']);
    expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
    expect(await repository.findIntermediateSession(f.istA)).toBeNull();

    const count = async () => (await store.rows('totp_member_sessions')).length;
    const sessions = await count();
    const other = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `exchange-no-${f.tag}`);
    expect(await repository.exchangeIntermediateSession(f.istA, at, other)).toEqual(NOT_FOUND); // used
    expect(await repository.exchangeIntermediateSession('e'.repeat(64), at, other)).toEqual(NOT_FOUND); // unknown
    const expiresAt = (await repository.findIntermediateSession(f.istB))!.expiresAt;
    expect(await repository.exchangeIntermediateSession(f.istB, expiresAt, other)).toEqual(NOT_FOUND); // expired, to the ms
    expect(await repository.findIntermediateSession(f.istB)).not.toBeNull();
    expect(await repository.findMemberSessionById(other.memberSessionId)).toBeNull();
    expect(await count()).toBe(sessions);
  });
});

describe.each(stores)('exchangeIntermediateSession spending a time step on %s', (name, createStore) => {
  it('spends the step with the IST in one write, or refuses and writes nothing', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const repository = store.repository;
      const lastStep = async () => (await repository.findRegistrations(f.orgA, f.memberA)).active!.lastAcceptedStep;
      const spend = (step: number, totpRegistrationId = f.active.totpRegistrationId) => ({ kind: 'totp_step', totpRegistrationId, step }) as const;
      const before = JSON.stringify(await store.dump());
      const refused = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `spend-refused-${f.tag}`);
      // The step already accepted, and a pending registration: refused, nothing written (SQLite rolls back).
      for (const attempt of [spend(SEED_STEP), spend(SEED_STEP + 1, `member-totp-ctx-p-${f.tag}`)]) {
        store.counter.reset();
        expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, refused, attempt)).toEqual({ status: 'spend_refused' });
        expectExchangeStatements(store, name, ['BEGIN', 'DELETE', 'UPDATE', 'ROLLBACK']);
        expect(JSON.stringify(await store.dump())).toBe(before);
      }
      // No live IST: not found, and the step is not looked at.
      expect(await repository.exchangeIntermediateSession('e'.repeat(64), SEED_AT, refused, spend(SEED_STEP + 1))).toEqual(NOT_FOUND);
      expect(JSON.stringify(await store.dump())).toBe(before);

      const ist = await repository.findIntermediateSession(f.istA);
      const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `spend-${f.tag}`);
      store.counter.reset();
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, session, spend(SEED_STEP + 2))).toEqual({ status: 'exchanged', consumed: ist });
      // PostgreSQL: still the one statement. SQLite: the step's UPDATE joins the transaction.
      expectExchangeStatements(store, name, ['BEGIN', 'DELETE', 'UPDATE', 'INSERT', 'COMMIT']);
      expect(await lastStep()).toBe(SEED_STEP + 2);
      expect(await repository.findIntermediateSession(f.istA)).toBeNull();
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
    } finally {
      await store.close();
    }
  });
});

describe.each(stores)('exchangeIntermediateSession spending a recovery code on %s', (name, createStore) => {
  it('spends the code with the IST in one write and counts the codes left, or refuses and writes nothing', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const repository = store.repository;
      const codes = await repository.listRecoveryCodeHashes(f.active.totpRegistrationId);
      const spend = (candidates: RecoveryCodeHash[]) => ({ kind: 'recovery_code', totpRegistrationId: f.active.totpRegistrationId, candidates }) as const;
      const before = JSON.stringify(await store.dump());
      const refused = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `code-refused-${f.tag}`);
      store.counter.reset();
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, refused, spend([{ keyId: codes[0]!.keyId, hash: 'f'.repeat(64) }]))).toEqual({
        status: 'spend_refused',
      });
      expectExchangeStatements(store, name, ['BEGIN', 'DELETE', 'DELETE', 'ROLLBACK']);
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, refused, spend([]))).toEqual({ status: 'spend_refused' });
      expect(JSON.stringify(await store.dump())).toBe(before);

      const ist = await repository.findIntermediateSession(f.istA);
      const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `code-${f.tag}`);
      store.counter.reset();
      // Two candidates, as with two pepper keys: the statement matches either.
      const candidates = [{ keyId: 'old-key', hash: codes[5]!.hash }, codes[5]!];
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, session, spend(candidates))).toEqual({
        status: 'exchanged',
        consumed: ist,
        recoveryCodesRemaining: codes.length - 1,
      });
      expectExchangeStatements(store, name, ['BEGIN', 'DELETE', 'DELETE', 'SELECT', 'INSERT', 'COMMIT']);
      expect(await repository.listRecoveryCodeHashes(f.active.totpRegistrationId)).toEqual(codes.filter((_, i) => i !== 5));
      expect(await repository.findIntermediateSession(f.istA)).toBeNull();
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
    } finally {
      await store.close();
    }
  });
});

/** What a call sent since the counter's reset, by first keyword. */
const sentSince = (store: TestStore) => store.counter.statements.map((s) => s.sql.split(' ')[0]);

/** What an extension sent since the counter's reset: PostgreSQL's one statement, or SQLite's transaction. */
function expectExtensionStatements(store: TestStore, name: string, postgresql: string[], sqlite: string[]): void {
  expect(sentSince(store)).toEqual(name.startsWith('postgresql') ? postgresql : sqlite);
}

/** A live session of the fixture's first member, and an update that changes every field an extension may change. */
async function liveSession(store: TestStore, f: Fixture, tag: string) {
  const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `${tag}-${f.tag}`);
  await store.repository.insertMemberSession(session);
  const factor = (type: string, minutes: number): AuthenticationFactor => ({
    type,
    delivery_method: type === 'totp' ? 'authenticator_app' : 'recovery_code',
    last_authenticated_at: new Date(SEED_AT.getTime() + minutes * 60_000).toISOString(),
    created_at: SEED_AT.toISOString(),
    updated_at: SEED_AT.toISOString(),
  });
  const update = (minutes: number, type = 'totp'): MemberSessionUpdate => ({
    at: new Date(SEED_AT.getTime() + minutes * 60_000),
    expiresAt: new Date(SEED_AT.getTime() + 3_600_000 + minutes * 60_000),
    factor: factor(type, minutes),
    customClaims: { extended: minutes },
  });
  /** The session as an extension by `update(minutes, type)` leaves `from`. */
  const extended = (from: MemberSessionRecord, minutes: number, type = 'totp'): MemberSessionRecord => {
    const u = update(minutes, type);
    return {
      ...from,
      lastAccessedAt: u.at,
      expiresAt: u.expiresAt > from.expiresAt ? u.expiresAt : from.expiresAt,
      // The factor replaces the one with its type and delivery method, and goes last.
      authenticationFactors: [...from.authenticationFactors.filter((x) => x.type !== u.factor!.type || x.delivery_method !== u.factor!.delivery_method), u.factor!],
      customClaims: u.customClaims!,
    };
  };
  return { session, update, extended };
}

/** Sessions that are not live: f.session (revoked), one expired at `at` to the millisecond, and an unknown ID. */
async function deadSessions(store: TestStore, f: Fixture, at: Date): Promise<string[]> {
  const expired = { ...memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `expired-${f.tag}`), expiresAt: at };
  await store.repository.insertMemberSession(expired);
  return [f.session.memberSessionId, expired.memberSessionId, `member-session-none-${f.tag}`];
}

describe.each(stores)('extendMemberSessionWithSpend spending a time step on %s', (name, createStore) => {
  it('spends the step with the extension in one write, or refuses and writes nothing, not even the access time', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const repository = store.repository;
      const { session, update, extended } = await liveSession(store, f, 'extend-step');
      const lastStep = async () => (await repository.findRegistrations(f.orgA, f.memberA)).active!.lastAcceptedStep;
      const spend = (step: number, totpRegistrationId = f.active.totpRegistrationId) => ({ kind: 'totp_step', totpRegistrationId, step }) as const;
      const dead = await deadSessions(store, f, update(1).at);
      const before = JSON.stringify(await store.dump());

      // The step already accepted, a pending registration, one that does not exist: refused, and the session's
      // UPDATE (its last_accessed_at) rolled back with it.
      for (const attempt of [spend(SEED_STEP), spend(SEED_STEP - 1), spend(SEED_STEP + 1, `member-totp-ctx-p-${f.tag}`), spend(SEED_STEP + 1, 'member-totp-none')]) {
        store.counter.reset();
        expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(1), attempt)).toEqual({ status: 'spend_refused' });
        // PostgreSQL: the one statement, whose session UPDATE did not run. SQLite: the session's UPDATE … RETURNING,
        // the step's UPDATE, then the rollback.
        expectExtensionStatements(store, name, ['WITH'], ['BEGIN', 'UPDATE', 'UPDATE', 'ROLLBACK']);
        expect(JSON.stringify(await store.dump())).toBe(before);
      }
      // No live session (revoked, expired, unknown): not found, and the step, new as it is, is not looked at.
      for (const memberSessionId of dead) {
        store.counter.reset();
        expect(await repository.extendMemberSessionWithSpend(memberSessionId, update(1), spend(SEED_STEP + 1))).toEqual({ status: 'session_not_found' });
        expectExtensionStatements(store, name, ['WITH'], ['BEGIN', 'UPDATE', 'COMMIT']);
      }
      expect(JSON.stringify(await store.dump())).toBe(before);
      expect(await lastStep()).toBe(SEED_STEP);

      store.counter.reset();
      const first = await repository.extendMemberSessionWithSpend(session.memberSessionId, update(2), spend(SEED_STEP + 2));
      const afterFirst = extended(session, 2);
      expect(first).toStrictEqual({ status: 'extended', session: afterFirst });
      // A step-up's whole write: one statement on PostgreSQL.
      expectExtensionStatements(store, name, ['WITH'], ['BEGIN', 'UPDATE', 'UPDATE', 'UPDATE', 'COMMIT']);
      expect(await lastStep()).toBe(SEED_STEP + 2);
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(afterFirst);
      // Replayed on the same session: refused, and the session stays as the first call left it.
      expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(3), spend(SEED_STEP + 2))).toEqual({ status: 'spend_refused' });
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(afterFirst);
      // A later step, another kind of factor, an earlier expiry: the factor is added, the expiry kept.
      const shorter = { ...update(4, 'sms_otp'), expiresAt: SEED_AT };
      const second = await repository.extendMemberSessionWithSpend(session.memberSessionId, shorter, spend(SEED_STEP + 4));
      const afterSecond = { ...extended(afterFirst, 4, 'sms_otp'), expiresAt: afterFirst.expiresAt };
      expect(second).toStrictEqual({ status: 'extended', session: afterSecond });
      expect(afterSecond.authenticationFactors.map((x) => x.type)).toEqual(['totp', 'sms_otp']);
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(afterSecond);
      expect(await lastStep()).toBe(SEED_STEP + 4);
      // Nothing else changed: the other sessions, the codes, the other registrations (by value: columns may be renamed).
      const others = (dump: Record<string, Array<Record<string, unknown>>>) =>
        Object.fromEntries(
          Object.entries(dump).map(([table, rows]) => [
            table,
            table === 'totp_registrations' || table === 'totp_member_sessions'
              ? rows.filter((r) => !Object.values(r).includes(f.active.totpRegistrationId) && !Object.values(r).includes(session.memberSessionId))
              : rows,
          ]),
        );
      expect(JSON.stringify(others(await store.dump()))).toBe(JSON.stringify(others(JSON.parse(before) as Record<string, Array<Record<string, unknown>>>)));
    } finally {
      await store.close();
    }
  });

  it('extendMemberSession, without a spend: one UPDATE … RETURNING on PostgreSQL, the same transaction on SQLite', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const { session, update, extended } = await liveSession(store, f, 'extend-plain');
      store.counter.reset();
      expect(await store.repository.extendMemberSession(session.memberSessionId, update(2))).toEqual(extended(session, 2));
      // SQLite: the session read back by the transaction's first UPDATE.
      expectExtensionStatements(store, name, ['UPDATE'], ['BEGIN', 'UPDATE', 'UPDATE', 'COMMIT']);
      expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(extended(session, 2));
      for (const memberSessionId of await deadSessions(store, f, update(3).at)) {
        store.counter.reset();
        expect(await store.repository.extendMemberSession(memberSessionId, update(3))).toBeNull();
        expectExtensionStatements(store, name, ['UPDATE'], ['BEGIN', 'UPDATE', 'COMMIT']);
      }
      expect(await store.repository.findMemberSessionById(session.memberSessionId)).toEqual(extended(session, 2));
    } finally {
      await store.close();
    }
  });
});

describe.each(stores)('extendMemberSessionWithSpend spending a recovery code on %s', (name, createStore) => {
  it('spends the code with the extension in one write and counts the codes left, or refuses and writes nothing', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const repository = store.repository;
      const { session, update, extended } = await liveSession(store, f, 'extend-code');
      const codes = await repository.listRecoveryCodeHashes(f.active.totpRegistrationId);
      const spend = (candidates: RecoveryCodeHash[], totpRegistrationId = f.active.totpRegistrationId) =>
        ({ kind: 'recovery_code', totpRegistrationId, candidates }) as const;
      const dead = await deadSessions(store, f, update(1).at);
      const before = JSON.stringify(await store.dump());

      // A wrong code, a right code of another registration, no candidates at all: refused, nothing written. With no
      // candidates PostgreSQL only reads the session (no code can match), where SQLite refuses inside its transaction.
      for (const [attempt, postgresql, sqlite] of [
        [spend([{ keyId: codes[0]!.keyId, hash: 'f'.repeat(64) }]), ['WITH'], ['BEGIN', 'UPDATE', 'DELETE', 'ROLLBACK']],
        [spend([codes[0]!], `member-totp-ctx-b-${f.tag}`), ['WITH'], ['BEGIN', 'UPDATE', 'DELETE', 'ROLLBACK']],
        [spend([]), ['SELECT'], ['BEGIN', 'UPDATE', 'ROLLBACK']],
      ] as const) {
        store.counter.reset();
        expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(1, 'recovery_codes'), attempt)).toEqual({ status: 'spend_refused' });
        expectExtensionStatements(store, name, [...postgresql], [...sqlite]);
        expect(JSON.stringify(await store.dump())).toBe(before);
      }
      // No live session: not found, the right code is not looked at (and stays); with no candidates too.
      for (const memberSessionId of dead) {
        for (const [candidates, postgresql, sqlite] of [
          [[codes[0]!], ['WITH'], ['BEGIN', 'UPDATE', 'COMMIT']],
          [[], ['SELECT'], ['BEGIN', 'UPDATE', 'COMMIT']],
        ] as const) {
          store.counter.reset();
          expect(await repository.extendMemberSessionWithSpend(memberSessionId, update(1, 'recovery_codes'), spend([...candidates]))).toEqual({ status: 'session_not_found' });
          expectExtensionStatements(store, name, [...postgresql], [...sqlite]);
        }
      }
      expect(JSON.stringify(await store.dump())).toBe(before);

      store.counter.reset();
      // Two candidates, as with two pepper keys: either may match.
      const candidates = [{ keyId: 'old-key', hash: codes[5]!.hash }, codes[5]!];
      expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(2, 'recovery_codes'), spend(candidates))).toStrictEqual({
        status: 'extended',
        session: extended(session, 2, 'recovery_codes'),
        recoveryCodesRemaining: codes.length - 1,
      });
      // PostgreSQL: the one statement counts the codes left too.
      expectExtensionStatements(store, name, ['WITH'], ['BEGIN', 'UPDATE', 'DELETE', 'SELECT', 'UPDATE', 'COMMIT']);
      expect(await repository.listRecoveryCodeHashes(f.active.totpRegistrationId)).toEqual(codes.filter((_, i) => i !== 5));
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(extended(session, 2, 'recovery_codes'));
      // The same code again: used up. The session stays as the first call left it.
      expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(3, 'recovery_codes'), spend([codes[5]!]))).toEqual({ status: 'spend_refused' });
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(extended(session, 2, 'recovery_codes'));
      expect(await repository.extendMemberSessionWithSpend(session.memberSessionId, update(4, 'recovery_codes'), spend([codes[0]!]))).toMatchObject({
        status: 'extended',
        recoveryCodesRemaining: codes.length - 2,
      });
      // The other registration's codes are all there.
      expect(await repository.listRecoveryCodeHashes(`member-totp-ctx-b-${f.tag}`)).toHaveLength(10);
    } finally {
      await store.close();
    }
  });
});

/** A factor-like element: `type` and `delivery_method` as given (left out when undefined), and a tag to tell it by. */
const element = (type: unknown, deliveryMethod: unknown, tag: string | number): Record<string, unknown> => ({
  ...(type === undefined ? {} : { type }),
  ...(deliveryMethod === undefined ? {} : { delivery_method: deliveryMethod }),
  last_authenticated_at: `2026-11-29T12:00:${String(tag).padStart(2, '0')}Z`,
  tag,
});

/**
 * The merge as the port states it and as the JavaScript merge (withFactor) does it: every element whose `type` and
 * `delivery_method` are not both `===` the factor's, in order, then the factor; the elements unchanged without one.
 */
const mergedByJs = (elements: unknown[], factor: Record<string, unknown> | undefined): unknown[] =>
  factor === undefined
    ? elements
    : [...elements.filter((e) => !((e as Record<string, unknown>).type === factor.type && (e as Record<string, unknown>).delivery_method === factor.delivery_method)), factor];

interface MergeCase {
  title: string;
  stored: unknown[];
  factor: Record<string, unknown> | undefined;
  /** When given, checked against the JavaScript merge too (only where that does not throw). */
  expected?: unknown[];
}

const TOTP = (tag: number) => element('totp', 'authenticator_app', tag);
const mergeCases: MergeCase[] = [
  {
    title: 'replaces every element of its type and delivery method, and keeps the others in their order',
    stored: [
      element('email', 'email', 11),
      TOTP(3),
      element('sms_otp', 'sms', 7),
      TOTP(5),
      element('totp', 'sms', 1),
      element('sms_otp', 'authenticator_app', 9),
      element('recovery_codes', 'recovery_code', 2),
      element('email', 'email', 8),
      TOTP(6),
      element('a', 'b', 4),
    ],
    factor: TOTP(30),
    expected: [
      element('email', 'email', 11),
      element('sms_otp', 'sms', 7),
      element('totp', 'sms', 1),
      element('sms_otp', 'authenticator_app', 9),
      element('recovery_codes', 'recovery_code', 2),
      element('email', 'email', 8),
      element('a', 'b', 4),
      TOTP(30),
    ],
  },
  { title: 'replaces them all: the factor alone, not NULL', stored: [TOTP(1), TOTP(2)], factor: TOTP(30), expected: [TOTP(30)] },
  { title: 'adds to an empty array', stored: [], factor: TOTP(30), expected: [TOTP(30)] },
  {
    title: 'compares JSON values, not their text: 1 and "1", true and "true", null and a missing key differ',
    stored: [element(1, 'x', 1), element('1', 'x', 2), element(true, 'x', 3), element('true', 'x', 4), element(null, 'x', 5), element(undefined, 'x', 6), element('1', 1, 7)],
    factor: element('1', 'x', 30),
    expected: [element(1, 'x', 1), element(true, 'x', 3), element('true', 'x', 4), element(null, 'x', 5), element(undefined, 'x', 6), element('1', 1, 7), element('1', 'x', 30)],
  },
  {
    title: 'a number type replaces only the number',
    stored: [element(1, 'x', 1), element('1', 'x', 2), element(1.5, 'x', 3)],
    factor: element(1, 'x', 30),
    expected: [element('1', 'x', 2), element(1.5, 'x', 3), element(1, 'x', 30)],
  },
  {
    title: 'a null type replaces only a null type, a missing one only a missing one',
    stored: [element(null, 'x', 1), element(undefined, 'x', 2), element(null, undefined, 3), element(undefined, undefined, 4)],
    factor: element(null, 'x', 30),
    expected: [element(undefined, 'x', 2), element(null, undefined, 3), element(undefined, undefined, 4), element(null, 'x', 30)],
  },
  {
    title: 'a factor without type and delivery method replaces the elements without them (scalars and arrays included)',
    stored: [element(undefined, undefined, 1), TOTP(2), 'totp', 7, ['totp', 'authenticator_app'], true, element(undefined, 'x', 3), {}],
    factor: element(undefined, undefined, 30),
    expected: [TOTP(2), element(undefined, 'x', 3), element(undefined, undefined, 30)],
  },
  {
    title: 'strings compare exactly: case, Unicode normalization',
    stored: [element('TOTP', 'authenticator_app', 1), element('caf\u00e9', 'x', 2), element('cafe\u0301', 'x', 3), element('caf\u00e9', 'x', 4)],
    factor: element('caf\u00e9', 'x', 30),
    expected: [element('TOTP', 'authenticator_app', 1), element('cafe\u0301', 'x', 3), element('caf\u00e9', 'x', 30)],
  },
  {
    title: 'keeps elements that are not objects (their type is undefined, as in JavaScript)',
    stored: ['totp', 7, ['totp', 'authenticator_app'], { type: ['totp'], delivery_method: 'authenticator_app' }, false, TOTP(1)],
    factor: TOTP(30),
    expected: ['totp', 7, ['totp', 'authenticator_app'], { type: ['totp'], delivery_method: 'authenticator_app' }, false, TOTP(30)],
  },
  {
    title: 'an object or array type never matches, as `===` never holds between two objects',
    stored: [element({ k: 1 }, 'x', 1), element(['a'], 'x', 2), element('a', { k: 1 }, 3)],
    factor: element({ k: 1 }, 'x', 30),
    expected: [element({ k: 1 }, 'x', 1), element(['a'], 'x', 2), element('a', { k: 1 }, 3), element({ k: 1 }, 'x', 30)],
  },
  {
    title: 'an object delivery method never matches either',
    stored: [element('a', { k: 1 }, 1), element('a', [], 2)],
    factor: element('a', { k: 1 }, 30),
    expected: [element('a', { k: 1 }, 1), element('a', [], 2), element('a', { k: 1 }, 30)],
  },
  { title: 'without a factor, leaves the elements as they are', stored: [TOTP(2), 'x', TOTP(1), [], {}], factor: undefined, expected: [TOTP(2), 'x', TOTP(1), [], {}] },
];

describe.each(stores)('the factor merge of an extension on %s', (name, createStore) => {
  let store: TestStore;
  let f: Fixture;
  let made = 0;
  let step = SEED_STEP;
  beforeAll(async () => {
    store = await createStore();
    f = await fixture(store);
  });
  afterAll(async () => {
    await store?.close();
  });

  /** A fresh live session holding `stored` as its factors (and claims { old: true }). */
  async function sessionWith(stored: unknown[]): Promise<MemberSessionRecord> {
    const session = { ...memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, `merge-${++made}-${f.tag}`), authenticationFactors: stored as never, customClaims: { old: true } };
    await store.repository.insertMemberSession(session);
    return session;
  }

  it.each(mergeCases.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    if (c.expected !== undefined) expect(mergedByJs(c.stored, c.factor)).toEqual(c.expected);
    const at = new Date(SEED_AT.getTime() + 60_000);
    const update = (claims: boolean): MemberSessionUpdate => ({
      at,
      expiresAt: new Date(SEED_AT.getTime() + 7_200_000),
      ...(c.factor === undefined ? {} : { factor: c.factor as unknown as AuthenticationFactor }),
      ...(claims ? { customClaims: { replaced: c.title } } : {}),
    });
    const expected = (session: MemberSessionRecord, claims: boolean): MemberSessionRecord => ({
      ...session,
      lastAccessedAt: at,
      expiresAt: update(claims).expiresAt,
      authenticationFactors: mergedByJs(c.stored, c.factor) as AuthenticationFactor[],
      customClaims: claims ? { replaced: c.title } : session.customClaims,
    });
    // extendMemberSession, with and without new claims (PostgreSQL: the UPDATE alone).
    for (const claims of [true, false]) {
      const session = await sessionWith(c.stored);
      expect(await store.repository.extendMemberSession(session.memberSessionId, update(claims))).toStrictEqual(expected(session, claims));
      expect(await store.repository.findMemberSessionById(session.memberSessionId)).toStrictEqual(expected(session, claims));
    }
    // extendMemberSessionWithSpend (PostgreSQL: the statement with `live`, `spent` and `extended`).
    const session = await sessionWith(c.stored);
    const spend = { kind: 'totp_step', totpRegistrationId: f.active.totpRegistrationId, step: ++step } as const;
    store.counter.reset();
    expect(await store.repository.extendMemberSessionWithSpend(session.memberSessionId, update(true), spend)).toStrictEqual({ status: 'extended', session: expected(session, true) });
    expectExtensionStatements(store, name, ['WITH'], ['BEGIN', 'UPDATE', 'UPDATE', 'UPDATE', 'COMMIT']);
    expect(await store.repository.findMemberSessionById(session.memberSessionId)).toStrictEqual(expected(session, true));
  });

  it('a JSON null element: kept on PostgreSQL, where the JavaScript merge (SQLite) fails without writing', async () => {
    const stored = [null, TOTP(1), element(undefined, undefined, 2), 'x'];
    expect(() => mergedByJs(stored, TOTP(30))).toThrow(TypeError);
    for (const [factor, merged] of [
      [TOTP(30), [null, element(undefined, undefined, 2), 'x', TOTP(30)]],
      // No type, no delivery method: the elements without them go (as in JavaScript), but not the null.
      [element(undefined, undefined, 30), [null, TOTP(1), element(undefined, undefined, 30)]],
    ] as const) {
      const session = await sessionWith(stored);
      const update = { at: new Date(SEED_AT.getTime() + 60_000), expiresAt: SEED_AT, factor: factor as unknown as AuthenticationFactor };
      const before = await store.repository.findMemberSessionById(session.memberSessionId);
      if (name.startsWith('postgresql')) {
        const extended = { ...session, lastAccessedAt: update.at, authenticationFactors: merged as unknown as AuthenticationFactor[] };
        expect(await store.repository.extendMemberSession(session.memberSessionId, update)).toStrictEqual(extended);
        expect(await store.repository.findMemberSessionById(session.memberSessionId)).toStrictEqual(extended);
      } else {
        await expect(store.repository.extendMemberSession(session.memberSessionId, update)).rejects.toThrow('@totp/prisma: extendMemberSession failed');
        expect(await store.repository.findMemberSessionById(session.memberSessionId)).toStrictEqual(before);
      }
    }
  });

  it('keeps the later expiry: an earlier one leaves it, a later one moves it, to the millisecond', async () => {
    const session = await sessionWith([]);
    const extend = (expiresAt: Date) => store.repository.extendMemberSession(session.memberSessionId, { at: SEED_AT, expiresAt });
    expect((await extend(new Date(session.expiresAt.getTime() - 1)))?.expiresAt).toEqual(session.expiresAt);
    expect((await extend(new Date(session.expiresAt.getTime() + 1)))?.expiresAt).toEqual(new Date(session.expiresAt.getTime() + 1));
    expect((await store.repository.findMemberSessionById(session.memberSessionId))?.expiresAt).toEqual(new Date(session.expiresAt.getTime() + 1));
  });
});

describe.each(stores)('exchangeIntermediateSession on %s stores JSON as it is given', (_name, createStore) => {
  it('keeps a custom claim named "__proto__" as an own key, in the store and in what is read back', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const customClaims = JSON.parse('{"__proto__": {"admin": true}, "plan": "pro"}') as Record<string, unknown>;
      const session = { ...memberSessionFor({ organizationId: f.orgB, memberId: f.memberB }, 'proto'), customClaims };
      expect((await store.repository.exchangeIntermediateSession(f.istB, SEED_AT, session)).status).toBe('exchanged');
      const context = await store.repository.findMfaContext({ organization: { by: 'id', value: f.orgB }, member: { by: 'id', value: f.memberB }, memberSessionTokenHash: session.tokenHash });
      for (const stored of [(await store.repository.findMemberSessionById(session.memberSessionId))!.customClaims, context.memberSession!.customClaims]) {
        expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
        expect(Object.keys(stored).sort()).toEqual(['__proto__', 'plan']);
        expect((stored as { admin?: unknown }).admin).toBeUndefined();
      }
    } finally {
      await store.close();
    }
  });
});

// PostgreSQL's statement sends the JSON as text. (SQLite's transaction writes through Prisma's Json input, which drops
// an own `__proto__` key: a difference older than the statement, left as it was.)
describe.each(stores.filter(([name]) => name.startsWith('postgresql')))('the session extensions on %s store JSON as it is given', (_name, createStore) => {
  it('keep a "__proto__" key of the factor and of the custom claims as an own key', async () => {
    const store = await createStore();
    try {
      const f = await fixture(store);
      const { session, update } = await liveSession(store, f, 'proto-extend');
      const factor = JSON.parse(
        '{"type": "totp", "delivery_method": "authenticator_app", "__proto__": {"admin": true}, "last_authenticated_at": "", "created_at": "", "updated_at": ""}',
      ) as AuthenticationFactor;
      const customClaims = JSON.parse('{"__proto__": {"admin": true}, "plan": "pro"}') as Record<string, unknown>;
      const spend = { kind: 'totp_step', totpRegistrationId: f.active.totpRegistrationId, step: SEED_STEP + 1 } as const;
      const results = [
        await store.repository.extendMemberSession(session.memberSessionId, { ...update(1), factor, customClaims }),
        await store.repository.extendMemberSessionWithSpend(session.memberSessionId, { ...update(2), factor, customClaims }, spend).then((r) => (r.status === 'extended' ? r.session : null)),
      ];
      const context = await store.repository.findMfaContext({ organization: { by: 'id', value: f.orgA }, member: { by: 'id', value: f.memberA }, memberSessionTokenHash: session.tokenHash });
      for (const stored of [...results, await store.repository.findMemberSessionById(session.memberSessionId), context.memberSession]) {
        const added = stored!.authenticationFactors.at(-1)!;
        for (const value of [added, stored!.customClaims] as Array<Record<string, unknown>>) {
          expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
          expect(Object.keys(value)).toContain('__proto__');
          expect((value as { admin?: unknown }).admin).toBeUndefined();
        }
        // The factor replaced the session's TOTP factor: the one it added first is gone.
        expect(stored!.authenticationFactors.filter((x) => x.type === 'totp')).toHaveLength(1);
      }
    } finally {
      await store.close();
    }
  });
});

describe.each(stores.filter(([name]) => name.includes('renamed')))('every port method on %s', (_name, createStore) => {
  it('works, and leaves nothing behind once the organization is deleted', async () => {
    const store = await createStore();
    try {
      await exerciseEveryMethod(store.repository);
      for (const rows of Object.values(await store.dump())) expect(rows).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('a client extended with $extends', () => {
  it('gives the repository the same names, schema and provider: the raw statements run', async () => {
    const store = await createPostgresStore();
    try {
      const f = await fixture(store);
      const extended = (store.prisma as SqliteClient).$extends({});
      const repository = createPrismaRepository(extended as unknown as SqliteClient);
      store.counter.reset();
      const query = { organization: { by: 'id', value: f.orgA }, member: { by: 'id', value: f.memberA }, intermediateSessionTokenHash: f.istA } as const;
      const context = await repository.findMfaContext(query);
      expect(store.counter.statements.map((s) => s.sql.split(' ')[0])).toEqual(['SELECT']);
      expect(context).toEqual(await store.repository.findMfaContext(query));
      const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, 'extended');
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, session)).toEqual({ status: 'exchanged', consumed: context.intermediateSession });
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
    } finally {
      await store.close();
    }
  });
});

describe('a client whose database the repository cannot tell', () => {
  it('reads the same context through the query API, statement by statement, and exchanges and extends in a transaction', async () => {
    const store = await createSqliteStore();
    try {
      const f = await fixture(store);
      // The same client, without the provider Prisma reports: no raw SQL (its dialect is unknown).
      const hidden = new Proxy(store.prisma, { get: (target, key) => (key === '_activeProvider' ? undefined : Reflect.get(target, key)) });
      const repository = createPrismaRepository(hidden as typeof store.prisma & { _activeProvider?: undefined } as never);
      for (const query of [
        { organization: { by: 'slug', value: `Ctx-a-${f.tag}` }, member: { by: 'externalId', value: `member-ext-${f.tag}` }, intermediateSessionTokenHash: f.istA, memberSessionTokenHash: f.session.tokenHash },
        { organization: { by: 'externalId', value: `org-ext-b-${f.tag}` }, member: { by: 'id', value: f.memberB } },
        { organization: { by: 'externalId', value: '' }, member: { by: 'id', value: f.memberA }, intermediateSessionTokenHash: f.istB },
        { organization: { by: 'id', value: f.orgA }, member: { by: 'externalId', value: '' } },
      ] satisfies MfaContextQuery[]) {
        store.counter.reset();
        const context = await repository.findMfaContext(query);
        expect(store.counter.statements.every((s) => !s.sql.includes('(SELECT 1 AS "one")'))).toBe(true);
        expect(context).toEqual(await store.repository.findMfaContext(query));
      }
      const session = memberSessionFor({ organizationId: f.orgA, memberId: f.memberA }, 'hidden');
      const before = await repository.findIntermediateSession(f.istA);
      expect(await repository.exchangeIntermediateSession(f.istA, SEED_AT, session)).toEqual({ status: 'exchanged', consumed: before });
      expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);

      // The extension without UPDATE … RETURNING: the session's UPDATE, then its SELECT, in the same transaction.
      const live = await liveSession(store, f, 'hidden-extend');
      const { update, extended } = live;
      const spend = (step: number) => ({ kind: 'totp_step', totpRegistrationId: f.active.totpRegistrationId, step }) as const;
      const dump = JSON.stringify(await store.dump());
      store.counter.reset();
      expect(await repository.extendMemberSessionWithSpend(live.session.memberSessionId, update(2), spend(SEED_STEP))).toEqual({ status: 'spend_refused' });
      expect(sentSince(store)).toEqual(['BEGIN', 'UPDATE', 'SELECT', 'UPDATE', 'ROLLBACK']);
      expect(JSON.stringify(await store.dump())).toBe(dump);
      store.counter.reset();
      expect(await repository.extendMemberSessionWithSpend(live.session.memberSessionId, update(2), spend(SEED_STEP + 1))).toStrictEqual({
        status: 'extended',
        session: extended(live.session, 2),
      });
      expect(sentSince(store)).toEqual(['BEGIN', 'UPDATE', 'SELECT', 'UPDATE', 'UPDATE', 'COMMIT']);
      expect(await repository.extendMemberSession(live.session.memberSessionId, update(3))).toEqual(extended(extended(live.session, 2), 3));
      expect(await repository.extendMemberSessionWithSpend(f.session.memberSessionId, update(4), spend(SEED_STEP + 5))).toEqual({ status: 'session_not_found' });
      expect((await store.repository.findRegistrations(f.orgA, f.memberA)).active!.lastAcceptedStep).toBe(SEED_STEP + 1);
    } finally {
      await store.close();
    }
  });
});

describe('with preparedStatementNames() on PostgreSQL', () => {
  it('prepares the context statement once on the connection and gives the same answers', async () => {
    const store = await createPostgresStore({ preparedStatements: true, poolMax: 1 });
    try {
      const query: MfaContextQuery = { organization: { by: 'slug', value: 'no-such-org' }, member: { by: 'id', value: 'member-x' } };
      expect(await store.repository.findMfaContext(query)).toEqual(await store.repository.findMfaContext(query));
      const prepared = await (store.prisma as SqliteClient).$queryRawUnsafe<Array<{ name: string; statement: string }>>(
        'SELECT name, statement FROM pg_prepared_statements',
      );
      const context = prepared.filter((p) => p.statement.includes('LEFT JOIN LATERAL'));
      expect(context).toHaveLength(1);
      expect(context[0]!.name).toMatch(/^totp_\d+$/);
    } finally {
      await store.close();
    }
  });
});
