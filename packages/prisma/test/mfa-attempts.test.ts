// beginMfaAttempt and grantMfaSession give the memory store's answers (packages/memory, the port's executable
// specification), call for call, on both databases and over a client whose tables and columns are all renamed: every
// way of naming the records, live, expired and foreign sessions, reservations through locks and their expiry, every
// target and spend of a grant, and the factor merge on odd factor arrays. On PostgreSQL each call is one statement.

import type { AuthenticationFactor, MemberRecord, MfaAttemptQuery, MfaGrant, TotpRepository } from '@totp/core';
import { memberRecord } from '@totp/core/testing';
import { createMemoryRepository } from '@totp/memory';
import { describe, expect, it } from 'vitest';
import { SEED_AT, SEED_STEP, codesFor, factorOf, registrationFor } from './support/seed';
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

const T0 = SEED_AT.getTime();
const MINUTE = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MINUTE);
const hash = (tag: string) => tag.padEnd(64, '0');

const member = (organizationId: string, memberId: string, overrides: Partial<MemberRecord>): MemberRecord =>
  memberRecord(organizationId, {
    memberId,
    emailAddress: `${memberId}@example.com`,
    name: 'Zoë',
    createdAt: SEED_AT,
    updatedAt: SEED_AT,
    ...overrides,
  });

/**
 * The same records on any repository, written through the port: organization A (slug, external ID) with members A1
 * (active registration), A2 (pending one), A3 (invited), and organization B (no external ID) whose member B1 has A1's
 * external ID; live, expired and revoked ISTs and sessions.
 */
async function world(repository: TotpRepository): Promise<void> {
  const organization = (id: string, slug: string, externalId: string) => ({
    organizationId: id,
    organizationName: `Org ${slug}`,
    organizationSlug: slug,
    organizationExternalId: externalId,
    mfaPolicy: 'OPTIONAL' as const,
    mfaMethods: 'ALL_ALLOWED' as const,
    allowedMfaMethods: ['totp'],
    createdAt: SEED_AT,
    updatedAt: SEED_AT,
  });
  await repository.insertOrganization(organization('org-A', 'org-a', 'crm-a'));
  await repository.insertOrganization(organization('org-B', 'org-b', ''));
  await repository.insertMember(member('org-A', 'A1', { emailAddress: 'Ann@Example.com', externalId: 'emp-1' }));
  await repository.insertMember(member('org-A', 'A2', {}));
  await repository.insertMember(member('org-A', 'A3', { status: 'invited', externalId: 'emp-3' }));
  await repository.insertMember(member('org-B', 'B1', { externalId: 'emp-1' }));
  await repository.saveRegistration(registrationFor('org-A', 'A1', 'reg-A1', 'active'), codesFor('a1'));
  await repository.saveRegistration({ ...registrationFor('org-A', 'A2', 'reg-A2', 'pending'), expiresAt: at(30) }, codesFor('a2'));
  await repository.saveRegistration(registrationFor('org-A', 'A3', 'reg-A3', 'active'), codesFor('a3'));
  await repository.saveRegistration(registrationFor('org-B', 'B1', 'reg-B1', 'active'), codesFor('b1'));
  for (const [tag, organizationId, memberId, expiresAt] of [
    ['1a1', 'org-A', 'A1', at(60)],
    ['1a2', 'org-A', 'A1', at(60)],
    ['01d', 'org-A', 'A1', new Date(T0 - 1)],
    ['1a2b', 'org-A', 'A2', at(60)],
    ['1b1', 'org-B', 'B1', at(60)],
  ] as const) {
    await repository.insertIntermediateSession({
      tokenHash: hash(tag),
      organizationId,
      memberId,
      authenticationFactors: [factorOf('password', 'knowledge')],
      createdAt: SEED_AT,
      expiresAt,
    });
  }
  for (const [id, organizationId, memberId, revokedAt] of [
    ['sA1', 'org-A', 'A1', null],
    ['sA1r', 'org-A', 'A1', SEED_AT],
    ['sA2', 'org-A', 'A2', null],
    ['sB1', 'org-B', 'B1', null],
  ] as const) {
    await repository.insertMemberSession({
      memberSessionId: id,
      tokenHash: hash(id.replace('s', '5e')),
      organizationId,
      memberId,
      startedAt: SEED_AT,
      lastAccessedAt: SEED_AT,
      expiresAt: at(90),
      authenticationFactors: [factorOf('password', 'knowledge')],
      customClaims: { plan: 'free' },
      revokedAt,
    });
  }
}

/** The memory store and the store under test, built alike; `both` makes one call on each and expects the same answer. */
async function pair(name: string, createStore: () => Promise<TestStore>) {
  const store = await createStore();
  const memory = createMemoryRepository();
  await world(memory);
  await world(store.repository);
  return {
    store,
    /** With `mfaAttempt`, on PostgreSQL the call must be one statement (beginMfaAttempt's or grantMfaSession's). */
    async both<T>(call: (repository: TotpRepository) => Promise<T>, label: unknown, mfaAttempt = false): Promise<T> {
      const expected = await call(memory);
      store.counter.reset();
      const actual = await call(store.repository);
      expect(actual, JSON.stringify(label)).toEqual(expected);
      if (mfaAttempt && name.startsWith('postgresql')) expect(store.counter.statements.map((s) => s.sql.slice(0, 4))).toEqual(['WITH']);
      return actual;
    },
  };
}

describe.each(stores)('the MFA attempt methods on %s', (name, createStore) => {
  it('beginMfaAttempt: every lookup, session and registration mode, through locks and their expiry', async () => {
    const { store, both } = await pair(name, createStore);
    try {
      const organizations = [
        ['id', 'org-A'],
        ['slug', 'org-a'],
        ['externalId', 'crm-a'],
        ['externalId', ''],
        ['slug', 'org-b'],
        ['id', 'org-none'],
      ] as const;
      const members = [
        ['id', 'A1'],
        ['externalId', 'emp-1'],
        ['email', 'ANN@example.COM'],
        ['externalId', ''],
        ['id', 'A2'],
        ['id', 'A3'],
        ['id', 'B1'],
        ['email', ''],
      ] as const;
      const sessions: Array<MfaAttemptQuery['session']> = [
        undefined,
        ...['1a1', '01d', '1a2b', '1b1', 'ff'].map((tag) => ({ kind: 'intermediate', tokenHash: hash(tag) }) as const),
        { kind: 'member', tokenHash: hash('5eA1') },
        ...['sA1', 'sA1r', 'sA2', 'sB1'].map((memberSessionId) => ({ kind: 'member', memberSessionId }) as const),
      ];
      let i = 0;
      for (const [orgBy, orgValue] of organizations) {
        for (const [memberBy, memberValue] of members) {
          for (const session of sessions) {
            for (const registration of ['active', 'active_or_pending'] as const) {
              // Seven seconds apart: sessions and the pending registration expire, locks start and run out on the way.
              const when = new Date(T0 + 7_000 * i++);
              const reservation = { at: when, maxFailedAttempts: 4, lockExpiresAt: new Date(when.getTime() + 20 * MINUTE) };
              const query: MfaAttemptQuery = {
                organization: { by: orgBy, value: orgValue },
                member: { by: memberBy, value: memberValue },
                registration,
                reservation,
                ...(session ? { session } : {}),
              };
              await both((repository) => repository.beginMfaAttempt(query), query, true);
            }
          }
        }
      }
      for (const [organizationId, memberId] of [
        ['org-A', 'A1'],
        ['org-A', 'A2'],
        ['org-A', 'A3'],
        ['org-B', 'B1'],
      ]) {
        await both((repository) => repository.findMember(organizationId!, { by: 'id', value: memberId! }), memberId);
      }
    } finally {
      await store.close();
    }
  });

  it('grantMfaSession: every target and spend, granted or refused, and the member write with it', async () => {
    const { store, both } = await pair(name, createStore);
    try {
      const A1 = { organizationId: 'org-A', memberId: 'A1', startedLockAt: null };
      const exchange = (tag: string, id: string): MfaGrant['target'] => ({
        kind: 'exchange',
        intermediateSessionTokenHash: hash(tag),
        session: {
          memberSessionId: `session-${id}`,
          tokenHash: hash(`5e${id}`),
          organizationId: 'org-A',
          memberId: 'A1',
          startedAt: SEED_AT,
          lastAccessedAt: SEED_AT,
          expiresAt: at(60),
          authenticationFactors: [factorOf('password', 'knowledge'), factorOf('totp', 'authenticator_app')],
          customClaims: { id },
          revokedAt: null,
        },
      });
      const extend = (
        memberSessionId: string,
        factor: AuthenticationFactor,
        customClaims?: Record<string, unknown>,
      ): MfaGrant['target'] => ({
        kind: 'extend',
        memberSessionId,
        expiresAt: at(120),
        factor,
        ...(customClaims === undefined ? {} : { customClaims }),
      });
      const step = (n: number, registration = 'reg-A1') =>
        ({ kind: 'totp_step', totpRegistrationId: registration, step: SEED_STEP + n }) as const;
      const code = (i: number, registration = 'reg-A1', salt = 'a1') =>
        ({
          kind: 'recovery_code',
          totpRegistrationId: registration,
          candidates: [{ keyId: 'old', hash: 'f'.repeat(64) }, codesFor(salt)[i]!],
        }) as const;
      const activation = (n: number, registration = 'reg-A2') =>
        ({ kind: 'activation', totpRegistrationId: registration, step: SEED_STEP + n }) as const;
      // A lock the next grant's own reservation started (max 1), to be lifted by it; then one another attempt started.
      const lockAt = at(2);
      const lockA1 = () =>
        both(
          (r) =>
            r.beginMfaAttempt({
              organization: { by: 'id', value: 'org-A' },
              member: { by: 'id', value: 'A1' },
              registration: 'active',
              session: { kind: 'intermediate', tokenHash: hash('1a2') },
              reservation: { at: lockAt, maxFailedAttempts: 1, lockExpiresAt: at(60) },
            }),
          'lock',
          true,
        );
      const grants: Array<[string, MfaGrant | (() => Promise<unknown>)]> = [
        ['exchange, step', { at: at(1), spend: step(0), target: exchange('1a1', 'x1'), member: A1 }],
        ['the same IST again', { at: at(1), spend: step(1), target: exchange('1a1', 'x2'), member: A1 }],
        ['the same step on another IST', { at: at(1), spend: step(0), target: exchange('1a2', 'x3'), member: A1 }],
        ['an earlier step', { at: at(1), spend: step(-1), target: exchange('1a2', 'x3'), member: A1 }],
        ['an expired IST', { at: at(1), spend: step(5), target: exchange('01d', 'x4'), member: A1 }],
        ['another member’s IST, spent for A1', { at: at(1), spend: step(5), target: exchange('1b1', 'x5'), member: A1 }],
        [
          'a step of a pending registration',
          { at: at(1), spend: step(6, 'reg-A2'), target: extend('sA1', factorOf('totp', 'authenticator_app')), member: A1 },
        ],
        [
          'extend, step, new factor and claims',
          { at: at(3), spend: step(7), target: extend('sA1', factorOf('totp', 'authenticator_app'), { plan: 'pro' }), member: A1 },
        ],
        [
          'extend, the same factor kind again, a shorter expiry',
          {
            at: at(4),
            spend: step(8),
            target: {
              ...(extend('sA1', { ...factorOf('totp', 'authenticator_app'), created_at: 'later' }) as object),
              expiresAt: at(5),
            } as MfaGrant['target'],
            member: A1,
          },
        ],
        [
          'extend a revoked session',
          { at: at(4), spend: step(9), target: extend('sA1r', factorOf('totp', 'authenticator_app')), member: A1 },
        ],
        [
          'extend, a recovery code',
          { at: at(5), spend: code(3), target: extend('sA1', factorOf('recovery_codes', 'recovery_code')), member: A1 },
        ],
        [
          'the same code again',
          { at: at(5), spend: code(3), target: extend('sA1', factorOf('recovery_codes', 'recovery_code')), member: A1 },
        ],
        [
          'no candidates',
          {
            at: at(5),
            spend: { kind: 'recovery_code', totpRegistrationId: 'reg-A1', candidates: [] },
            target: exchange('1a2', 'x6'),
            member: A1,
          },
        ],
        ['a code of another registration', { at: at(5), spend: code(0, 'reg-A1', 'b1'), target: exchange('1a2', 'x6'), member: A1 }],
        [
          'a member that does not exist',
          { at: at(5), spend: code(0), target: exchange('1a2', 'x6'), member: { ...A1, memberId: 'nobody' } },
        ],
        ['lock A1 with its own reservation', lockA1],
        [
          'exchange, a code, lifting the lock its reservation started, with a patch',
          {
            at: at(2),
            spend: code(1),
            target: exchange('1a2', 'x7'),
            member: { ...A1, startedLockAt: lockAt, patch: { mfaEnrolled: true, defaultMfaMethod: 'totp', updatedAt: at(2) } },
          },
        ],
        ['lock A1 again', lockA1],
        [
          'a success never lifts a lock another attempt started',
          { at: at(3), spend: step(20), target: extend('sA1', factorOf('totp', 'authenticator_app')), member: A1 },
        ],
        [
          'activation of an expired pending registration',
          {
            at: at(31),
            spend: activation(0),
            target: extend('sA2', factorOf('totp', 'authenticator_app')),
            member: { ...A1, memberId: 'A2' },
          },
        ],
        ['activation', { at: at(29), spend: activation(0), target: exchange('1a2b', 'x8'), member: { ...A1, memberId: 'A2' } }],
        [
          'activation of an active registration',
          {
            at: at(29),
            spend: activation(1),
            target: extend('sA2', factorOf('totp', 'authenticator_app')),
            member: { ...A1, memberId: 'A2' },
          },
        ],
      ];
      for (const [label, grant] of grants) {
        if (typeof grant === 'function') await grant();
        else await both((repository) => repository.grantMfaSession(grant), label, true);
      }
      for (const [organizationId, memberId] of [
        ['org-A', 'A1'],
        ['org-A', 'A2'],
      ] as const) {
        await both((r) => r.findMember(organizationId, { by: 'id', value: memberId }), memberId);
        await both((r) => r.findRegistrations(organizationId, memberId), memberId);
      }
      for (const id of ['sA1', 'sA1r', 'sA2', 'session-x1', 'session-x3', 'session-x7', 'session-x8']) {
        await both((r) => r.findMemberSession({ memberSessionId: id }), id);
      }
      for (const tag of ['1a1', '1a2', '01d', '1a2b', '1b1']) await both((r) => r.findIntermediateSession(hash(tag)), tag);
      for (const registration of ['reg-A1', 'reg-A2', 'reg-B1']) await both((r) => r.countRecoveryCodes(registration), registration);
    } finally {
      await store.close();
    }
  });

  it('grantMfaSession merges the factor as core’s withFactor does, on odd factor arrays', async () => {
    const { store, both } = await pair(name, createStore);
    const element = (type: unknown, deliveryMethod: unknown, tag: number) =>
      ({
        ...(type === undefined ? {} : { type }),
        ...(deliveryMethod === undefined ? {} : { delivery_method: deliveryMethod }),
        tag,
      }) as unknown as AuthenticationFactor;
    const TOTP = (tag: number) => element('totp', 'authenticator_app', tag);
    const cases: Array<[unknown[], AuthenticationFactor]> = [
      [[element('email', 'email', 1), TOTP(2), element('totp', 'sms', 3), TOTP(4), element('sms_otp', 'authenticator_app', 5)], TOTP(30)],
      [[TOTP(1), TOTP(2)], TOTP(30)],
      [[], TOTP(30)],
      // JSON values, not their text: 1 and "1", true and "true", null and a missing key differ.
      [
        [
          element(1, 'x', 1),
          element('1', 'x', 2),
          element(true, 'x', 3),
          element(null, 'x', 4),
          element(undefined, 'x', 5),
          element('1', 1, 6),
        ],
        element('1', 'x', 30),
      ],
      [[element(null, 'x', 1), element(undefined, 'x', 2), element(undefined, undefined, 3)], element(null, 'x', 30)],
      // Elements that are not objects, and a factor without type and delivery method.
      [[element(undefined, undefined, 1), TOTP(2), 'totp', 7, ['totp'], true, {}], element(undefined, undefined, 30)],
      // Strings compare exactly; an object or array never equals another.
      [
        [element('caf\u00e9', 'x', 1), element('cafe\u0301', 'x', 2), element('TOTP', 'authenticator_app', 3)],
        element('caf\u00e9', 'x', 30),
      ],
      [[element({ k: 1 }, 'x', 1), element(['a'], 'x', 2), element('a', { k: 1 }, 3)], element({ k: 1 }, 'x', 30)],
    ];
    try {
      for (const [i, [stored, factor]] of cases.entries()) {
        const session = {
          memberSessionId: `merge-${i}`,
          tokenHash: hash(`ae${i}`),
          organizationId: 'org-A',
          memberId: 'A1',
          startedAt: SEED_AT,
          lastAccessedAt: SEED_AT,
          expiresAt: at(60),
          authenticationFactors: stored as AuthenticationFactor[],
          customClaims: {},
          revokedAt: null,
        };
        await both((r) => r.insertMemberSession(session), 'insert');
        const grant: MfaGrant = {
          at: at(1),
          spend: { kind: 'totp_step', totpRegistrationId: 'reg-A1', step: SEED_STEP + i },
          target: { kind: 'extend', memberSessionId: session.memberSessionId, expiresAt: at(61), factor },
          member: { organizationId: 'org-A', memberId: 'A1', startedLockAt: null },
        };
        await both((r) => r.grantMfaSession(grant), stored, true);
      }
    } finally {
      await store.close();
    }
  });
});
