// Contract suite "port": the MFA methods called directly, each condition of their contracts in turn, with read-backs
// of what was (or was not) written, and races that must have one winner. Records are written straight to the port.

import { expect } from 'vitest';
import { reserveAttempt } from '../../domain/lockout-policy';
import type { AuthenticationFactor, MemberRecord, OrganizationRecord } from '../../domain/model';
import type { MfaAttemptQuery, MfaGrant, TotpRepository } from '../../domain/repository';
import type { SuiteContext } from '../harness';
import {
  MINUTE_MS,
  RECORD_AT,
  factor,
  intermediateSessionRecord,
  memberRecord,
  memberSessionRecord,
  organizationRecord,
  recoveryCodeSet,
  registrationRecord,
} from '../fixtures';

const AT = new Date(RECORD_AT.getTime() + MINUTE_MS);
const RESERVATION = { at: AT, maxFailedAttempts: 10, lockExpiresAt: new Date(AT.getTime() + 60 * MINUTE_MS) };
const STEP = 50_000_000;

/** One organization with an enrolled member (active registration, codes, an IST and a member session) and a stranger. */
async function world(repository: TotpRepository) {
  const organization = organizationRecord({
    organizationSlug: `acme-${Math.random().toString(36).slice(2, 8)}`,
    organizationExternalId: `crm-${Math.random().toString(36).slice(2, 8)}`,
  });
  await repository.insertOrganization(organization);
  const member = memberRecord(organization.organizationId, { externalId: 'emp-1' });
  await repository.insertMember(member);
  const registration = registrationRecord(member, { lastAcceptedStep: STEP });
  const codes = recoveryCodeSet();
  await repository.saveRegistration(registration, codes.hashes);
  const ist = intermediateSessionRecord(member);
  await repository.insertIntermediateSession(ist);
  const session = memberSessionRecord(member);
  await repository.insertMemberSession(session);
  const stranger = memberRecord(organization.organizationId);
  await repository.insertMember(stranger);
  const strangerIst = intermediateSessionRecord(stranger);
  await repository.insertIntermediateSession(strangerIst);
  // Everything written straight to the port reads back as written.
  const stored = (await repository.findMember(organization.organizationId, { by: 'id', value: member.memberId }))!;
  expect(stored).toEqual({ ...member, totpRegistrationId: registration.totpRegistrationId });
  return { organization, member: stored, registration, codes, ist, session, stranger, strangerIst };
}

type World = Awaited<ReturnType<typeof world>>;

function query(w: World, overrides: Partial<MfaAttemptQuery> = {}): MfaAttemptQuery {
  return {
    organization: { by: 'id', value: w.organization.organizationId },
    member: { by: 'id', value: w.member.memberId },
    session: { kind: 'intermediate', tokenHash: w.ist.tokenHash },
    registration: 'active_or_pending',
    reservation: RESERVATION,
    ...overrides,
  };
}

function exchange(w: World, overrides: Partial<MfaGrant> = {}): MfaGrant {
  const session = memberSessionRecord(w.member, {
    startedAt: AT,
    lastAccessedAt: AT,
    authenticationFactors: [...w.ist.authenticationFactors, factor('totp', 'authenticator_app', AT)],
  });
  return {
    at: AT,
    spend: { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 1 },
    target: { kind: 'exchange', intermediateSessionTokenHash: w.ist.tokenHash, session },
    member: { organizationId: w.organization.organizationId, memberId: w.member.memberId, startedLockAt: null },
    ...overrides,
  };
}

function extend(
  w: World,
  overrides: Partial<MfaGrant> = {},
  add: AuthenticationFactor = factor('totp', 'authenticator_app', AT),
): MfaGrant {
  return {
    at: AT,
    spend: { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 1 },
    target: {
      kind: 'extend',
      memberSessionId: w.session.memberSessionId,
      expiresAt: new Date(AT.getTime() + 120 * MINUTE_MS),
      factor: add,
    },
    member: { organizationId: w.organization.organizationId, memberId: w.member.memberId, startedLockAt: null },
    ...overrides,
  };
}

export function portSuite({ h, test }: SuiteContext): void {
  const memberNow = (w: World) => h().repository.findMember(w.organization.organizationId, { by: 'id', value: w.member.memberId });

  test('beginMfaAttempt reads every part by every lookup, and reserves one attempt', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const organizations = [
      { by: 'id', value: w.organization.organizationId },
      { by: 'slug', value: w.organization.organizationSlug },
      { by: 'externalId', value: w.organization.organizationExternalId },
    ] as const;
    const members = [
      { by: 'id', value: w.member.memberId },
      { by: 'externalId', value: 'emp-1' },
    ] as const;
    let reservations = 0;
    for (const organization of organizations) {
      for (const member of members) {
        const found = await repo.beginMfaAttempt(query(w, { organization, member }));
        reservations += 1;
        expect(found).toEqual({
          organization: w.organization,
          member: { ...w.member, failedMfaAttempts: reservations - 1 },
          registrations: { active: w.registration, pending: null },
          intermediateSession: w.ist,
          memberSession: null,
          reservation: { status: 'reserved', lockStarted: false },
        });
      }
    }
    expect((await memberNow(w))!.failedMfaAttempts).toBe(6);
    const bySession = await repo.beginMfaAttempt(query(w, { session: { kind: 'member', tokenHash: w.session.tokenHash } }));
    expect(bySession).toMatchObject({ intermediateSession: null, memberSession: w.session, reservation: { status: 'reserved' } });
    const byId = await repo.beginMfaAttempt(query(w, { session: { kind: 'member', memberSessionId: w.session.memberSessionId } }));
    expect(byId).toMatchObject({ intermediateSession: null, memberSession: w.session, reservation: { status: 'reserved' } });
    // Records come out by value.
    bySession.member!.failedMfaAttempts = 99;
    bySession.memberSession!.authenticationFactors.push(factor('mutated'));
    expect((await memberNow(w))!.failedMfaAttempts).toBe(8);
    expect((await repo.findMemberSession({ memberSessionId: w.session.memberSessionId }))!.authenticationFactors).toEqual(
      w.session.authenticationFactors,
    );
  });

  test('beginMfaAttempt answers null for what is not there, never looks outside the organization, and then reserves nothing', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const other = organizationRecord();
    await repo.insertOrganization(other);
    const empty = { organization: null, member: null, registrations: { active: null, pending: null }, reservation: null };
    expect(await repo.beginMfaAttempt(query(w, { organization: { by: 'slug', value: 'no-such-slug' } }))).toEqual({
      ...empty,
      intermediateSession: w.ist,
      memberSession: null,
    });
    expect(await repo.beginMfaAttempt(query(w, { organization: { by: 'externalId', value: '' } }))).toEqual({
      ...empty,
      intermediateSession: w.ist,
      memberSession: null,
    });
    expect(await repo.beginMfaAttempt(query(w, { organization: { by: 'id', value: other.organizationId } }))).toEqual({
      ...empty,
      organization: other,
      intermediateSession: w.ist,
      memberSession: null,
    });
    expect(await repo.beginMfaAttempt(query(w, { member: { by: 'externalId', value: '' } }))).toMatchObject({
      organization: w.organization,
      member: null,
      reservation: null,
    });
    expect(await repo.beginMfaAttempt(query(w, { session: { kind: 'intermediate', tokenHash: 'f'.repeat(64) } }))).toMatchObject({
      intermediateSession: null,
      reservation: null,
    });
    const { session: _, ...withoutSession } = query(w);
    expect(await repo.beginMfaAttempt(withoutSession)).toMatchObject({ intermediateSession: null, memberSession: null, reservation: null });
    // Another member's IST is returned (ownership is the service's check) but reserves nothing.
    expect(await repo.beginMfaAttempt(query(w, { session: { kind: 'intermediate', tokenHash: w.strangerIst.tokenHash } }))).toMatchObject({
      intermediateSession: w.strangerIst,
      reservation: null,
    });
    expect((await memberNow(w))!.failedMfaAttempts).toBe(0);
  });

  test('beginMfaAttempt reserves only for an active member with a live session of its own and the registration asked for', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const expiredIst = intermediateSessionRecord(w.member, { expiresAt: AT });
    await repo.insertIntermediateSession(expiredIst);
    const expiredSession = memberSessionRecord(w.member, { expiresAt: AT });
    const revokedSession = memberSessionRecord(w.member);
    await repo.insertMemberSession(expiredSession);
    await repo.insertMemberSession(revokedSession);
    await repo.revokeMemberSessions({ memberSessionId: revokedSession.memberSessionId }, RECORD_AT);
    for (const session of [
      { kind: 'intermediate', tokenHash: expiredIst.tokenHash },
      { kind: 'member', tokenHash: expiredSession.tokenHash },
      { kind: 'member', memberSessionId: revokedSession.memberSessionId },
    ] as const) {
      expect((await repo.beginMfaAttempt(query(w, { session }))).reservation).toBeNull();
    }
    // A member who is not active; a member with no registration, or only a pending one that expired, or (for recovery
    // codes) only a pending one.
    const pendingMember = memberRecord(w.organization.organizationId, { status: 'pending' });
    const noRegistration = memberRecord(w.organization.organizationId);
    const expiredPending = memberRecord(w.organization.organizationId);
    const livePending = memberRecord(w.organization.organizationId);
    for (const m of [pendingMember, noRegistration, expiredPending, livePending]) await repo.insertMember(m);
    await repo.saveRegistration(registrationRecord(pendingMember), []);
    await repo.saveRegistration(registrationRecord(expiredPending, { status: 'pending', expiresAt: AT }), []);
    await repo.saveRegistration(registrationRecord(livePending, { status: 'pending', expiresAt: new Date(AT.getTime() + 1) }), []);
    const attempt = async (m: MemberRecord, registration: MfaAttemptQuery['registration']) => {
      const ist = intermediateSessionRecord(m, { expiresAt: new Date(AT.getTime() + MINUTE_MS) });
      await repo.insertIntermediateSession(ist);
      return (
        await repo.beginMfaAttempt(
          query(w, { member: { by: 'id', value: m.memberId }, session: { kind: 'intermediate', tokenHash: ist.tokenHash }, registration }),
        )
      ).reservation;
    };
    expect(await attempt(pendingMember, 'active_or_pending')).toBeNull();
    expect(await attempt(noRegistration, 'active_or_pending')).toBeNull();
    expect(await attempt(expiredPending, 'active_or_pending')).toBeNull();
    expect(await attempt(livePending, 'active')).toBeNull();
    expect(await attempt(livePending, 'active_or_pending')).toEqual({ status: 'reserved', lockStarted: false });
    for (const m of [pendingMember, noRegistration, expiredPending]) {
      expect((await repo.findMember(w.organization.organizationId, { by: 'id', value: m.memberId }))!.failedMfaAttempts).toBe(0);
    }
    expect((await memberNow(w))!.failedMfaAttempts).toBe(0);
  });

  test("beginMfaAttempt applies core's reservation rule: the last place starts the lock, a lock refuses, a lock run out starts afresh", async () => {
    const repo = h().repository;
    const w = await world(repo);
    const reservation = { at: AT, maxFailedAttempts: 2, lockExpiresAt: new Date(AT.getTime() + MINUTE_MS) };
    expect((await repo.beginMfaAttempt(query(w, { reservation }))).reservation).toEqual({ status: 'reserved', lockStarted: false });
    expect((await repo.beginMfaAttempt(query(w, { reservation }))).reservation).toEqual({ status: 'reserved', lockStarted: true });
    expect(await memberNow(w)).toMatchObject({ failedMfaAttempts: 2, lockCreatedAt: AT, lockExpiresAt: reservation.lockExpiresAt });
    const almost = { ...reservation, at: new Date(reservation.lockExpiresAt.getTime() - 1) };
    expect((await repo.beginMfaAttempt(query(w, { reservation: almost }))).reservation).toEqual({ status: 'locked' });
    expect(await memberNow(w)).toMatchObject({ failedMfaAttempts: 2, lockExpiresAt: reservation.lockExpiresAt });
    // The IST is still live at the lock's end (it lives ten minutes).
    const after = {
      ...reservation,
      at: reservation.lockExpiresAt,
      lockExpiresAt: new Date(reservation.lockExpiresAt.getTime() + MINUTE_MS),
    };
    expect((await repo.beginMfaAttempt(query(w, { reservation: after }))).reservation).toEqual({ status: 'reserved', lockStarted: false });
    expect(await memberNow(w)).toMatchObject({ failedMfaAttempts: 1, lockCreatedAt: null, lockExpiresAt: null });
  });

  test('of 30 concurrent beginMfaAttempt calls for one member, exactly the limit are reserved and the last of them starts the lock', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const results = await Promise.all(Array.from({ length: 30 }, () => repo.beginMfaAttempt(query(w))));
    const reservations = results.map((r) => r.reservation);
    expect(reservations.filter((r) => r?.status === 'reserved')).toHaveLength(10);
    expect(reservations.filter((r) => r?.status === 'reserved' && r.lockStarted)).toHaveLength(1);
    expect(reservations.filter((r) => r?.status === 'locked')).toHaveLength(20);
    expect(await memberNow(w)).toMatchObject({ failedMfaAttempts: 10, lockCreatedAt: AT, lockExpiresAt: RESERVATION.lockExpiresAt });
    // The state each reserved attempt saw and wrote follows core's rule, one after another.
    let state = { failedAttempts: 0, lockCreatedAt: null as Date | null, lockExpiresAt: null as Date | null };
    for (let i = 0; i < 10; i++) {
      const next = reserveAttempt(state, RESERVATION);
      if (next.reserved) state = next.state;
    }
    expect(await memberNow(w)).toMatchObject({ failedMfaAttempts: state.failedAttempts, lockExpiresAt: state.lockExpiresAt });
  });

  test("grantMfaSession exchanges an IST: the IST, the step, the session and the member's write go together", async () => {
    const repo = h().repository;
    const w = await world(repo);
    await repo.beginMfaAttempt(query(w));
    const grant = exchange(w, {
      member: {
        organizationId: w.organization.organizationId,
        memberId: w.member.memberId,
        startedLockAt: null,
        patch: { mfaEnrolled: true, updatedAt: AT },
      },
    });
    if (grant.target.kind !== 'exchange') throw new Error('unreachable');
    const result = await repo.grantMfaSession(grant);
    const member = { ...w.member, mfaEnrolled: true, updatedAt: AT, failedMfaAttempts: 0 };
    expect(result).toEqual({ status: 'granted', session: grant.target.session, member, recoveryCodesRemaining: null });
    expect(await memberNow(w)).toEqual(member);
    expect(await repo.findIntermediateSession(w.ist.tokenHash)).toBeNull();
    expect(await repo.findMemberSession({ tokenHash: grant.target.session.tokenHash })).toEqual(grant.target.session);
    expect((await repo.findRegistrations(w.organization.organizationId, w.member.memberId)).active!.lastAcceptedStep).toBe(STEP + 1);
    // Once: the IST is gone.
    expect(
      await repo.grantMfaSession(
        exchange(w, { spend: { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 2 } }),
      ),
    ).toEqual({ status: 'session_not_found' });
  });

  test('grantMfaSession writes nothing when the session is not live, or the spend is refused', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const before = await h().dump();
    const registrationId = w.registration.totpRegistrationId;
    const refusals: Array<[MfaGrant, string]> = [
      [exchange(w, { at: w.ist.expiresAt }), 'session_not_found'],
      [
        exchange(w, { target: { ...exchange(w).target, intermediateSessionTokenHash: 'f'.repeat(64) } as MfaGrant['target'] }),
        'session_not_found',
      ],
      [extend(w, { at: w.session.expiresAt }), 'session_not_found'],
      [
        extend(w, {
          target: {
            ...extend(w).target,
            memberSessionId: 'member-session-test-00000000-0000-4000-8000-000000000000',
          } as MfaGrant['target'],
        }),
        'session_not_found',
      ],
      [exchange(w, { spend: { kind: 'totp_step', totpRegistrationId: registrationId, step: STEP } }), 'spend_refused'],
      [exchange(w, { spend: { kind: 'activation', totpRegistrationId: registrationId, step: STEP + 5 } }), 'spend_refused'],
      [
        exchange(w, {
          spend: { kind: 'totp_step', totpRegistrationId: 'member-totp-test-00000000-0000-4000-8000-000000000000', step: STEP + 5 },
        }),
        'spend_refused',
      ],
      [
        extend(w, {
          spend: {
            kind: 'recovery_code',
            totpRegistrationId: registrationId,
            candidates: [{ keyId: 'contract-pepper-1', hash: '0'.repeat(64) }],
          },
        }),
        'spend_refused',
      ],
      [extend(w, { spend: { kind: 'recovery_code', totpRegistrationId: registrationId, candidates: [] } }), 'spend_refused'],
    ];
    for (const [grant, status] of refusals) expect(await repo.grantMfaSession(grant)).toEqual({ status });
    expect(await h().dump()).toEqual(before);
    // A session that is not live is reported first: the spend is not even looked at.
    const revoked = memberSessionRecord(w.member);
    await repo.insertMemberSession(revoked);
    await repo.revokeMemberSessions({ memberSessionId: revoked.memberSessionId }, RECORD_AT);
    expect(
      await repo.grantMfaSession(
        extend(w, {
          target: { ...extend(w).target, memberSessionId: revoked.memberSessionId } as MfaGrant['target'],
          spend: { kind: 'totp_step', totpRegistrationId: registrationId, step: STEP },
        }),
      ),
    ).toEqual({ status: 'session_not_found' });
  });

  test('grantMfaSession activates a pending registration unexpired at `at`, and points the member at it', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const fresh = memberRecord(w.organization.organizationId);
    await repo.insertMember(fresh);
    const pending = registrationRecord(fresh, { status: 'pending', expiresAt: new Date(AT.getTime() + 1) });
    await repo.saveRegistration(pending, recoveryCodeSet().hashes);
    const ist = intermediateSessionRecord(fresh);
    await repo.insertIntermediateSession(ist);
    const session = memberSessionRecord(fresh);
    const grant: MfaGrant = {
      at: AT,
      spend: { kind: 'activation', totpRegistrationId: pending.totpRegistrationId, step: STEP },
      target: { kind: 'exchange', intermediateSessionTokenHash: ist.tokenHash, session },
      member: {
        organizationId: fresh.organizationId,
        memberId: fresh.memberId,
        startedLockAt: null,
        patch: { defaultMfaMethod: 'totp', updatedAt: AT },
      },
    };
    // Not before it expired: at its expiry it is refused.
    expect(await repo.grantMfaSession({ ...grant, at: new Date(AT.getTime() + 1) })).toEqual({ status: 'spend_refused' });
    const result = await repo.grantMfaSession(grant);
    expect(result).toMatchObject({
      status: 'granted',
      member: { totpRegistrationId: pending.totpRegistrationId, defaultMfaMethod: 'totp', updatedAt: AT },
    });
    const { active, pending: left } = await repo.findRegistrations(fresh.organizationId, fresh.memberId);
    expect(left).toBeNull();
    expect(active).toEqual({ ...pending, status: 'active', expiresAt: null, activatedAt: AT, lastAcceptedStep: STEP });
  });

  test("grantMfaSession extends a live session: the factor merged by core's rule, the later expiry, a recovery code spent", async () => {
    const repo = h().repository;
    const w = await world(repo);
    const [code] = w.codes.hashes;
    const added = factor('recovery_codes', 'recovery_code', AT);
    const grant = extend(
      w,
      {
        spend: {
          kind: 'recovery_code',
          totpRegistrationId: w.registration.totpRegistrationId,
          candidates: [{ keyId: 'old-pepper', hash: '1'.repeat(64) }, code!],
        },
      },
      added,
    );
    if (grant.target.kind !== 'extend') throw new Error('unreachable');
    grant.target.customClaims = { plan: 'pro' };
    const result = await repo.grantMfaSession(grant);
    const expected = {
      ...w.session,
      lastAccessedAt: AT,
      expiresAt: grant.target.expiresAt,
      authenticationFactors: [...w.session.authenticationFactors, added],
      customClaims: { plan: 'pro' },
    };
    expect(result).toEqual({ status: 'granted', session: expected, member: w.member, recoveryCodesRemaining: 9 });
    expect(await repo.findMemberSession({ memberSessionId: w.session.memberSessionId })).toEqual(expected);
    expect(await repo.countRecoveryCodes(w.registration.totpRegistrationId)).toBe(9);
    // Again with the same kind of factor: it replaces the old one, in place of order; an earlier expiry never shortens.
    const again = factor('password', 'knowledge', new Date(AT.getTime() + 5));
    const second = await repo.grantMfaSession(
      extend(w, { target: { kind: 'extend', memberSessionId: w.session.memberSessionId, expiresAt: AT, factor: again } }, again),
    );
    expect(second).toMatchObject({ status: 'granted', session: { expiresAt: grant.target.expiresAt, customClaims: { plan: 'pro' } } });
    if (second.status === 'granted') expect(second.session.authenticationFactors).toEqual([added, again]);
    // The spent code is spent.
    expect(
      await repo.grantMfaSession(
        extend(w, { spend: { kind: 'recovery_code', totpRegistrationId: w.registration.totpRegistrationId, candidates: [code!] } }),
      ),
    ).toEqual({ status: 'spend_refused' });
  });

  test('grantMfaSession clears the count and the lock the attempt started, never a lock another attempt started', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const reservation = { at: AT, maxFailedAttempts: 2, lockExpiresAt: new Date(AT.getTime() + MINUTE_MS) };
    await repo.beginMfaAttempt(query(w, { reservation }));
    await repo.beginMfaAttempt(query(w, { reservation }));
    const locked = { failedMfaAttempts: 2, lockCreatedAt: AT, lockExpiresAt: reservation.lockExpiresAt };
    // The first attempt's success (it did not start the lock) leaves the lock in force.
    const first = await repo.grantMfaSession(extend(w));
    expect(first).toMatchObject({ status: 'granted', member: locked });
    expect(await memberNow(w)).toMatchObject(locked);
    // The attempt whose reservation started the lock lifts it by succeeding.
    const second = await repo.grantMfaSession(
      exchange(w, {
        spend: { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 2 },
        member: { organizationId: w.organization.organizationId, memberId: w.member.memberId, startedLockAt: AT },
      }),
    );
    const cleared = { failedMfaAttempts: 0, lockCreatedAt: null, lockExpiresAt: null };
    expect(second).toMatchObject({ status: 'granted', member: cleared });
    expect(await memberNow(w)).toMatchObject(cleared);
  });

  test('of 20 concurrent grants with one IST, exactly one is granted and one session stored', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const grants = Array.from({ length: 20 }, (_, i) =>
      exchange(w, { spend: { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 1 + i } }),
    );
    const results = await Promise.all(grants.map((g) => repo.grantMfaSession(g)));
    expect(results.filter((r) => r.status === 'granted')).toHaveLength(1);
    const stored = await Promise.all(
      grants.map((g) => repo.findMemberSession({ tokenHash: (g.target as { session: { tokenHash: string } }).session.tokenHash })),
    );
    expect(stored.filter((s) => s !== null)).toHaveLength(1);
  });

  test('of 20 concurrent grants of 20 ISTs spending one step, or one recovery code, exactly one is granted and the others keep their IST', async () => {
    const repo = h().repository;
    const w = await world(repo);
    for (const spend of [
      { kind: 'totp_step', totpRegistrationId: w.registration.totpRegistrationId, step: STEP + 1 },
      { kind: 'recovery_code', totpRegistrationId: w.registration.totpRegistrationId, candidates: [w.codes.hashes[0]!] },
    ] as const) {
      const ists = Array.from({ length: 20 }, () => intermediateSessionRecord(w.member));
      for (const ist of ists) await repo.insertIntermediateSession(ist);
      const results = await Promise.all(
        ists.map((ist) =>
          repo.grantMfaSession(
            exchange(w, { spend, target: { ...exchange(w).target, intermediateSessionTokenHash: ist.tokenHash } as MfaGrant['target'] }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'granted')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(19);
      const left = await Promise.all(ists.map((ist) => repo.findIntermediateSession(ist.tokenHash)));
      expect(left.filter((s) => s === null)).toHaveLength(1);
    }
    expect(await repo.countRecoveryCodes(w.registration.totpRegistrationId)).toBe(9);
  });

  test('of 20 concurrent step-ups of 20 sessions spending one step, exactly one is granted; of 10 on one session, no factor is lost', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const sessions = Array.from({ length: 20 }, () => memberSessionRecord(w.member));
    for (const s of sessions) await repo.insertMemberSession(s);
    const results = await Promise.all(
      sessions.map((s) =>
        repo.grantMfaSession(extend(w, { target: { ...extend(w).target, memberSessionId: s.memberSessionId } as MfaGrant['target'] })),
      ),
    );
    expect(results.filter((r) => r.status === 'granted')).toHaveLength(1);
    const after = await Promise.all(sessions.map((s) => repo.findMemberSession({ memberSessionId: s.memberSessionId })));
    expect(after.filter((s, i) => s!.lastAccessedAt.getTime() !== sessions[i]!.lastAccessedAt.getTime())).toHaveLength(1);
    // Ten step-ups of one session, each spending its own recovery code and adding its own kind of factor.
    const added = w.codes.hashes.map((_, i) => factor(`factor_${i}`, 'test', AT));
    const granted = await Promise.all(
      w.codes.hashes.map((hash, i) =>
        repo.grantMfaSession(
          extend(
            w,
            { spend: { kind: 'recovery_code', totpRegistrationId: w.registration.totpRegistrationId, candidates: [hash] } },
            added[i]!,
          ),
        ),
      ),
    );
    expect(granted.every((r) => r.status === 'granted')).toBe(true);
    const session = await repo.findMemberSession({ memberSessionId: w.session.memberSessionId });
    expect(new Set(session!.authenticationFactors.map((f) => f.type))).toEqual(new Set(['password', ...added.map((f) => f.type)]));
    expect(await repo.countRecoveryCodes(w.registration.totpRegistrationId)).toBe(0);
  });

  test('sessions: found by token hash or ID whoever owns them, extended only while live, revoked once', async () => {
    const repo = h().repository;
    const w = await world(repo);
    expect(await repo.findMemberSession({ tokenHash: w.session.tokenHash })).toEqual(w.session);
    expect(await repo.findMemberSession({ memberSessionId: w.session.memberSessionId })).toEqual(w.session);
    expect(await repo.findMemberSession({ tokenHash: 'f'.repeat(64) })).toBeNull();
    expect(await repo.findIntermediateSession(w.ist.tokenHash)).toEqual(w.ist);
    const extended = await repo.extendMemberSession(w.session.memberSessionId, {
      at: AT,
      expiresAt: new Date(AT.getTime() + 2 * 60 * MINUTE_MS),
      customClaims: { a: 1 },
    });
    expect(extended).toEqual({
      ...w.session,
      lastAccessedAt: AT,
      expiresAt: new Date(AT.getTime() + 2 * 60 * MINUTE_MS),
      customClaims: { a: 1 },
    });
    const shorter = await repo.extendMemberSession(w.session.memberSessionId, { at: AT, expiresAt: AT });
    expect(shorter).toEqual(extended);
    expect(await repo.revokeMemberSessions({ memberSessionId: w.session.memberSessionId }, AT)).toBe(1);
    expect(await repo.revokeMemberSessions({ memberSessionId: w.session.memberSessionId }, new Date(AT.getTime() + 1))).toBe(0);
    expect((await repo.findMemberSession({ memberSessionId: w.session.memberSessionId }))!.revokedAt).toEqual(AT);
    expect(await repo.extendMemberSession(w.session.memberSessionId, { at: AT, expiresAt: AT })).toBeNull();
    const more = [memberSessionRecord(w.member), memberSessionRecord(w.member), memberSessionRecord(w.stranger)];
    for (const s of more) await repo.insertMemberSession(s);
    expect(await repo.revokeMemberSessions({ memberId: w.member.memberId }, AT)).toBe(2);
    expect((await repo.findMemberSession({ memberSessionId: more[2]!.memberSessionId }))!.revokedAt).toBeNull();
  });

  test('custom claims and factors are stored exactly, an own "__proto__" key and unicode included', async () => {
    const repo = h().repository;
    const w = await world(repo);
    const claims = JSON.parse('{"__proto__": {"x": 1}, "emoji": "🔐", "nested": {"list": [1, null, "a\\u00e9"]}}') as Record<
      string,
      unknown
    >;
    const session = memberSessionRecord(w.member, {
      customClaims: claims,
      authenticationFactors: [factor('sso', 'oauth_google'), factor()],
    });
    await repo.insertMemberSession(session);
    const stored = await repo.findMemberSession({ memberSessionId: session.memberSessionId });
    // Key by key, not in writing order: PostgreSQL's jsonb keeps an order of its own.
    expect(sortedJson(stored!.customClaims)).toBe(sortedJson(claims));
    expect(Object.hasOwn(stored!.customClaims, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(stored!.customClaims)).toBe(Object.prototype);
    expect(stored!.authenticationFactors).toEqual(session.authenticationFactors);
  });

  test('organizations as records: what goes in comes out', async () => {
    const repo = h().repository;
    const organization: OrganizationRecord = organizationRecord({
      mfaPolicy: 'REQUIRED_FOR_ALL',
      mfaMethods: 'RESTRICTED',
      allowedMfaMethods: ['totp', 'sms_otp'],
      organizationName: 'Société Générale 🔐',
    });
    await repo.insertOrganization(organization);
    expect(await repo.findOrganization({ by: 'id', value: organization.organizationId })).toEqual(organization);
  });
}

/** JSON text with every object's keys sorted, an own "__proto__" key included. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${sortedJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
