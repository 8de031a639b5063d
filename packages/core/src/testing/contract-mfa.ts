// The MFA half of the repository contract: authenticate, replay, lockout, sessions, recovery codes, delete, migrate.
// Every rule goes through the real service over the store under test, so each adapter inherits the same checks.

import { describe, expect, it } from 'vitest';
import type { MemberSessionRecord, RecoveryCodeHash } from '../model';
import type { ExchangeResult, ExchangeSpend, MemberSessionUpdate, TotpRepository } from '../repository';
import { decodeSecret, encodeSecret } from '../secret';
import { generateTotp } from '../totp';
import { hashToken } from '../tokens';
import type { ContractHarness } from './harness';

const MINUTE_MS = 60_000;
const STEP_MS = 30_000;

/** A UUID-shaped, unique-per-run string derived from a label (session IDs in the contract need only be unique). */
let uuidCounter = 0;
function uuidFor(label: string): string {
  uuidCounter += 1;
  const hex = hashToken(`${label}-${uuidCounter}-${Math.random()}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The error_type of a rejection, or `'succeeded'` (by value, so a second copy of core in the adapter still matches). */
export async function errorTypeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const type = (error as { error_type?: unknown }).error_type;
    if (typeof type === 'string') return type;
    throw error;
  }
  return 'succeeded';
}

interface Enrolled {
  organizationId: string;
  memberId: string;
  secret: Uint8Array;
  registrationId: string;
  recoveryCodes: string[];
}

const NOT_FOUND = { status: 'intermediate_session_not_found' } as const;

/**
 * The losers of a race of 20 requests, each reserving an attempt under the default limit of 10: at most 9 are
 * evaluated and refused with `refusal`; the one that took the 10th place and lost answers the lock, as does every
 * request past the limit (refused before its code was looked at).
 */
function expectRefusedOrLocked(results: string[], refusal: string): void {
  const losers = results.filter((r) => r !== 'succeeded');
  expect(losers.every((r) => r === refusal || r === 'user_lock_limit_reached')).toBe(true);
  expect(losers.filter((r) => r === refusal).length).toBeLessThanOrEqual(9);
}

export function mfaContract(harness: () => ContractHarness): void {
  const h = () => harness();
  const code = (secret: Uint8Array, offsetMs = 0) => generateTotp(secret, { nowMs: h().now() + offsetMs });
  const ist = async (organizationId: string, memberId: string) =>
    (await h().service.sessions.startIntermediate({ organization_id: organizationId, member_id: memberId })).intermediate_session_token;

  async function pending(overrides: Parameters<ContractHarness['provision']>[0] = {}): Promise<Enrolled> {
    const { organizationId, memberId } = await h().provision(overrides);
    const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    return {
      organizationId,
      memberId,
      secret: decodeSecret(created.secret),
      registrationId: created.totp_registration_id,
      recoveryCodes: created.recovery_codes,
    };
  }

  /** A member with an active registration; the clock is moved to the next step so its first code is fresh. */
  async function active(overrides: Parameters<ContractHarness['provision']>[0] = {}): Promise<Enrolled & { sessionToken: string }> {
    const enrolled = await pending(overrides);
    const first = await h().service.totps.authenticate({
      organization_id: enrolled.organizationId,
      member_id: enrolled.memberId,
      code: code(enrolled.secret),
      intermediate_session_token: await ist(enrolled.organizationId, enrolled.memberId),
    });
    h().advance(STEP_MS);
    return { ...enrolled, sessionToken: first.session_token };
  }

  /** A member session record as core would build it, with a distinct token hash per `label`. */
  function memberSession(e: { organizationId: string; memberId: string }, label: string, at: Date): MemberSessionRecord {
    return {
      memberSessionId: `member-session-test-${uuidFor(label)}`,
      tokenHash: hashToken(`token-${label}-${e.memberId}`),
      organizationId: e.organizationId,
      memberId: e.memberId,
      startedAt: at,
      lastAccessedAt: at,
      expiresAt: new Date(at.getTime() + 60 * MINUTE_MS),
      authenticationFactors: [{ type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: at.toISOString(), created_at: at.toISOString(), updated_at: at.toISOString() }],
      customClaims: { label },
      revokedAt: null,
    };
  }

  describe('authenticate a TOTP code', () => {
    it('activates a pending registration, sets the member, and exchanges the IST for a session', async () => {
      const e = await pending();
      const token = await ist(e.organizationId, e.memberId);
      const result = await h().service.totps.authenticate({
        organization_id: e.organizationId,
        member_id: e.memberId,
        code: code(e.secret),
        intermediate_session_token: token,
      });
      expect(result.member.totp_registration_id).toBe(e.registrationId);
      expect(result.member.default_mfa_method).toBe('totp');
      expect(result.session_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(result.session_jwt.split('.')).toHaveLength(3);
      expect(result.member_session.authentication_factors.map((f) => f.type)).toEqual(['totp']);
      expect(result.member_session.authentication_factors[0]!.authenticator_app_factor).toEqual({ totp_id: e.registrationId });
      expect(Date.parse(result.member_session.expires_at)).toBe(h().now() + 60 * MINUTE_MS);
      const { active: stored, pending: left } = await h().repository.findRegistrations(e.organizationId, e.memberId);
      expect(left).toBeNull();
      expect(stored!.status).toBe('active');
      expect(stored!.expiresAt).toBeNull();
      expect(stored!.lastAcceptedStep).toBe(Math.floor(h().now() / STEP_MS));
      // The IST is single use, and the session token is stored only as its hash.
      expect(await errorTypeOf(h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret, STEP_MS), intermediate_session_token: token,
      }))).toBe('intermediate_session_not_found');
      expect(JSON.stringify(await h().dump())).not.toContain(result.session_token);
      expect((await h().repository.findMemberSessionByTokenHash(hashToken(result.session_token)))!.memberSessionId).toBe(
        result.member_session.member_session_id,
      );
    });

    it('refuses the step that confirmed the registration, and any earlier one, then accepts the next', async () => {
      const e = await pending();
      const confirm = code(e.secret);
      await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: confirm, intermediate_session_token: await ist(e.organizationId, e.memberId),
      });
      for (const replay of [confirm, code(e.secret, -STEP_MS)]) {
        expect(await errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: replay, intermediate_session_token: await ist(e.organizationId, e.memberId),
        }))).toBe('totp_code_already_authenticated');
      }
      h().advance(STEP_MS);
      const next = await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret), intermediate_session_token: await ist(e.organizationId, e.memberId),
      });
      expect(next.status_code).toBe(200);
    });

    it('accepts one step either side of now and no further', async () => {
      const e = await active();
      const auth = async (offsetSteps: number) =>
        errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret, offsetSteps * STEP_MS),
          session_token: e.sessionToken,
        }));
      expect(await auth(-2)).toBe('unable_to_authenticate_totp');
      expect(await auth(2)).toBe('unable_to_authenticate_totp');
      expect(await auth(1)).toBe('succeeded');
    });

    it('gives each documented error', async () => {
      const none = await h().provision();
      const token = await ist(none.organizationId, none.memberId);
      const base = { organization_id: none.organizationId, member_id: none.memberId, intermediate_session_token: token };
      expect(await errorTypeOf(h().service.totps.authenticate({ ...base, code: '123456' }))).toBe('totp_not_found');
      for (const bad of ['12345', '1234567', ' 123456', '12345a', '１２３４５６', 'abcd-efgh-ijkl']) {
        expect(await errorTypeOf(h().service.totps.authenticate({ ...base, code: bad }))).toBe('invalid_totp_code');
      }
      expect(await errorTypeOf(h().service.totps.authenticate({ ...base, code: 123456 }))).toBe('bad_request');

      const e = await pending();
      const withoutSession = { organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret) };
      expect(await errorTypeOf(h().service.totps.authenticate(withoutSession))).toBe('no_associated_session_passed_in');
      expect(await errorTypeOf(h().service.totps.authenticate({ ...withoutSession, intermediate_session_token: 'nope' }))).toBe(
        'intermediate_session_not_found',
      );
      expect(await errorTypeOf(h().service.totps.authenticate({ ...withoutSession, session_token: 'nope' }))).toBe('session_not_found');
      expect(await errorTypeOf(h().service.totps.authenticate({ ...withoutSession, intermediate_session_token: token }))).toBe(
        'session_authorization_error',
      );
      const wrong = code(e.secret) === '000000' ? '111111' : '000000';
      expect(await errorTypeOf(h().service.totps.authenticate({
        ...withoutSession, code: wrong, intermediate_session_token: await ist(e.organizationId, e.memberId),
      }))).toBe('unable_to_authenticate_totp');
      expect(await errorTypeOf(h().service.totps.authenticate({ ...withoutSession, intermediate_session_token: 'x', session_token: 'y' }))).toBe(
        'bad_request',
      );
      expect(await errorTypeOf(h().service.totps.authenticate({
        ...withoutSession, intermediate_session_token: await ist(e.organizationId, e.memberId), session_duration_minutes: 4,
      }))).toBe('invalid_session_duration_minutes');
      expect(await errorTypeOf(h().service.totps.authenticate({
        ...withoutSession, intermediate_session_token: await ist(e.organizationId, e.memberId), session_custom_claims: { big: 'x'.repeat(4097) },
      }))).toBe('custom_claims_too_large');
    });

    it('expires a pending registration to the second', async () => {
      const { organizationId, memberId } = await h().provision();
      const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
      const secret = decodeSecret(created.secret);
      h().advance(5 * MINUTE_MS - 1000);
      const before = await h().service.totps.authenticate({
        organization_id: organizationId, member_id: memberId, code: code(secret), intermediate_session_token: await ist(organizationId, memberId),
      });
      expect(before.member.totp_registration_id).toBe(created.totp_registration_id);

      const other = await h().provision();
      const late = await h().service.totps.create({ organization_id: other.organizationId, member_id: other.memberId, expiration_minutes: 5 });
      h().advance(5 * MINUTE_MS);
      expect(await errorTypeOf(h().service.totps.authenticate({
        organization_id: other.organizationId, member_id: other.memberId, code: code(decodeSecret(late.secret)),
        intermediate_session_token: await ist(other.organizationId, other.memberId),
      }))).toBe('expired_totp');
      // An expired registration is gone: a new one can be created and used.
      const again = await h().service.totps.create({ organization_id: other.organizationId, member_id: other.memberId });
      expect(again.totp_registration_id).not.toBe(late.totp_registration_id);
    });

    it('applies set_default_mfa and set_mfa_enrollment, ignoring enrollment under REQUIRED_FOR_ALL', async () => {
      const e = await pending();
      const result = await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret),
        intermediate_session_token: await ist(e.organizationId, e.memberId), set_mfa_enrollment: 'enroll', set_default_mfa: true,
      });
      expect(result.member.mfa_enrolled).toBe(true);
      expect(result.member.default_mfa_method).toBe('totp');

      const { organization } = await h().service.organizations.create({
        organization_name: 'Strict', organization_slug: 'strict-org', mfa_policy: 'REQUIRED_FOR_ALL',
      });
      const { member_id } = await h().service.organizations.members.create({ organization_id: organization.organization_id, email_address: 's@strict.example' });
      const created = await h().service.totps.create({ organization_id: 'strict-org', member_id });
      const strict = await h().service.totps.authenticate({
        organization_id: 'strict-org', member_id, code: code(decodeSecret(created.secret)),
        intermediate_session_token: await ist('strict-org', member_id), set_mfa_enrollment: 'enroll',
      });
      expect(strict.member.mfa_enrolled).toBe(false);
    });

    it('adds the factor to an existing session and extends it', async () => {
      const e = await active();
      const { session_token } = await h().service.sessions.startIntermediate({ organization_id: e.organizationId, member_id: e.memberId })
        .then(async ({ intermediate_session_token }) =>
          h().service.recoveryCodes.recover({
            organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[0]!, intermediate_session_token,
          }),
        );
      h().advance(10 * MINUTE_MS);
      const result = await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret), session_token, session_duration_minutes: 120,
      });
      expect(result.session_token).toBe(session_token);
      expect(result.member_session.authentication_factors.map((f) => f.type).sort()).toEqual(['recovery_codes', 'totp']);
      expect(Date.parse(result.member_session.expires_at)).toBe(h().now() + 120 * MINUTE_MS);
    });
  });

  describe('replay and races', () => {
    it('of 20 concurrent authenticates with the same code, exactly one succeeds', async () => {
      const e = await pending();
      const tokens = await Promise.all(Array.from({ length: 20 }, () => ist(e.organizationId, e.memberId)));
      const theCode = code(e.secret);
      const results = await Promise.all(
        tokens.map((t) => errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: theCode, intermediate_session_token: t,
        }))),
      );
      expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
      expectRefusedOrLocked(results, 'totp_code_already_authenticated');
    });

    it('of 20 concurrent step-ups of one member session with the same code, exactly one succeeds', async () => {
      const e = await active();
      const theCode = code(e.secret);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: theCode, session_token: e.sessionToken,
        }))),
      );
      expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
      expectRefusedOrLocked(results, 'totp_code_already_authenticated');
    });

    it('a step-up whose member session is revoked while it runs fails, and its code (or recovery code) stays unspent', async () => {
      const e = await active();
      const repo = h().repository;
      const { member_session } = await h().service.sessions.authenticate({ session_token: e.sessionToken });
      const realFind = repo.findMfaContext;
      // The session is read live, then revoked before the request's write, as a concurrent revoke would.
      repo.findMfaContext = async (query) => {
        const found = await realFind.call(repo, query);
        await repo.revokeMemberSession(member_session.member_session_id, new Date(h().now()));
        return found;
      };
      const theCode = code(e.secret);
      const ids = { organization_id: e.organizationId, member_id: e.memberId };
      try {
        expect(await errorTypeOf(h().service.totps.authenticate({ ...ids, code: theCode, session_token: e.sessionToken }))).toBe('session_not_found');
        expect(await errorTypeOf(h().service.recoveryCodes.recover({ ...ids, recovery_code: e.recoveryCodes[2]!, session_token: e.sessionToken }))).toBe(
          'session_not_found',
        );
      } finally {
        repo.findMfaContext = realFind;
      }
      // Neither proof was spent: both still work, with an IST.
      expect(await errorTypeOf(h().service.totps.authenticate({ ...ids, code: theCode, intermediate_session_token: await ist(e.organizationId, e.memberId) }))).toBe(
        'succeeded',
      );
      expect(
        (await h().service.recoveryCodes.recover({ ...ids, recovery_code: e.recoveryCodes[2]!, intermediate_session_token: await ist(e.organizationId, e.memberId) }))
          .recovery_codes_remaining,
      ).toBe(9);
    });

    it('a request that loses the race for its step changes none of the member\'s settings', async () => {
      const e = await active();
      const repo = h().repository;
      const theCode = code(e.secret);
      const step = Math.floor(h().now() / STEP_MS);
      const realFind = repo.findMfaContext;
      // Another request spends the step after this one has read the registration, as a concurrent winner would.
      repo.findMfaContext = async (query) => {
        const found = await realFind.call(repo, query);
        expect(await repo.recordAcceptedStep(e.registrationId, step)).toBe(true);
        return found;
      };
      const before = await repo.findMemberById(e.organizationId, e.memberId);
      try {
        expect(await errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: theCode, session_token: e.sessionToken,
          set_mfa_enrollment: 'enroll', set_default_mfa: true,
        }))).toBe('totp_code_already_authenticated');
      } finally {
        repo.findMfaContext = realFind;
      }
      const after = await repo.findMemberById(e.organizationId, e.memberId);
      expect(after).toMatchObject({ mfaEnrolled: before!.mfaEnrolled, defaultMfaMethod: before!.defaultMfaMethod, updatedAt: before!.updatedAt });
      // The refused attempt stays counted: only a success gives an attempt back.
      expect(after!.failedMfaAttempts).toBe(before!.failedMfaAttempts + 1);
    });

    it('of 20 concurrent recovers with the same recovery code, exactly one succeeds', async () => {
      const e = await active();
      const tokens = await Promise.all(Array.from({ length: 20 }, () => ist(e.organizationId, e.memberId)));
      const results = await Promise.all(
        tokens.map((t) => h().service.recoveryCodes.recover({
          organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[3]!, intermediate_session_token: t,
        }).then((r) => r.recovery_codes_remaining, (error: { error_type?: string }) => error.error_type)),
      );
      expect(results.filter((r) => r === 9)).toHaveLength(1);
      // Each loser presented a used code: a failure like any wrong code, so the tenth one locks the member.
      const losers = results.filter((r) => r !== 9);
      expect(losers).toHaveLength(19);
      expect(losers.every((r) => r === 'unable_to_authenticate_recovery_code' || r === 'user_lock_limit_reached')).toBe(true);
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toHaveLength(9);
    });

    it('converts one IST into exactly one session under concurrency', async () => {
      const e = await active();
      const token = await ist(e.organizationId, e.memberId);
      const results = await Promise.all(
        e.recoveryCodes.map((recovery_code) => errorTypeOf(h().service.recoveryCodes.recover({
          organization_id: e.organizationId, member_id: e.memberId, recovery_code, intermediate_session_token: token,
        }))),
      );
      expect(results.filter((r) => r === 'succeeded')).toHaveLength(1);
      expectRefusedOrLocked(results, 'intermediate_session_not_found');
      // The exchange spends the code with the IST: the requests that lost the IST kept their codes.
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toHaveLength(9);
    });

    it('repository: of 20 concurrent IST exchanges, recordAcceptedStep calls or recovery codes, exactly one wins', async () => {
      const e = await active();
      const repo: TotpRepository = h().repository;
      const token = await ist(e.organizationId, e.memberId);
      const at = new Date(h().now());
      const candidates = Array.from({ length: 20 }, (_, i) => memberSession(e, `exchange-race-${i}`, at));
      const ists = await Promise.all(candidates.map((s) => repo.exchangeIntermediateSession(hashToken(token), at, s)));
      const winners = ists.flatMap((s, i) => (s.status === 'exchanged' ? [i] : []));
      expect(winners).toHaveLength(1);
      const won = ists[winners[0]!]!;
      expect(won.status === 'exchanged' && won.consumed.tokenHash).toBe(hashToken(token));
      expect(ists.filter((s) => s.status === 'intermediate_session_not_found')).toHaveLength(19);
      // Exactly the winner's session was stored; every loser wrote nothing.
      const stored = await Promise.all(candidates.map((s) => repo.findMemberSessionById(s.memberSessionId)));
      expect(stored.flatMap((s, i) => (s === null ? [] : [i]))).toEqual(winners);
      expect(await repo.findIntermediateSession(hashToken(token))).toBeNull();
      const step = Math.floor(h().now() / STEP_MS) + 5;
      const steps = await Promise.all(Array.from({ length: 20 }, () => repo.recordAcceptedStep(e.registrationId, step)));
      expect(steps.filter(Boolean)).toHaveLength(1);
      expect((await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep).toBe(step);
    });
  });

  describe('repository: reading an MFA attempt and exchanging an IST', () => {
    it('findMfaContext returns what the single finders return, by every lookup', async () => {
      const e = await active({ externalId: 'ctx-member-ext', orgExternalId: 'ctx-org-ext', slug: 'ctx-org-slug' });
      const repo = h().repository;
      const token = await ist(e.organizationId, e.memberId);
      const organization = await repo.findOrganizationById(e.organizationId);
      const member = await repo.findMemberById(e.organizationId, e.memberId);
      const registrations = await repo.findRegistrations(e.organizationId, e.memberId);
      const intermediateSession = await repo.findIntermediateSession(hashToken(token));
      const memberSession = await repo.findMemberSessionByTokenHash(hashToken(e.sessionToken));
      expect(intermediateSession).not.toBeNull();
      expect(memberSession).not.toBeNull();
      const organizationLookups = [
        { by: 'id', value: e.organizationId },
        { by: 'slug', value: 'ctx-org-slug' },
        { by: 'externalId', value: 'ctx-org-ext' },
      ] as const;
      const memberLookups = [{ by: 'id', value: e.memberId }, { by: 'externalId', value: 'ctx-member-ext' }] as const;
      for (const o of organizationLookups) {
        for (const m of memberLookups) {
          const context = await repo.findMfaContext({
            organization: o,
            member: m,
            intermediateSessionTokenHash: hashToken(token),
            memberSessionTokenHash: hashToken(e.sessionToken),
          });
          expect(context).toEqual({ organization, member, registrations, intermediateSession, memberSession });
        }
      }
      // Without token hashes, no sessions; a pending registration comes back as findRegistrations gives it.
      const p = await pending();
      const bare = await repo.findMfaContext({ organization: { by: 'id', value: p.organizationId }, member: { by: 'id', value: p.memberId } });
      expect(bare.intermediateSession).toBeNull();
      expect(bare.memberSession).toBeNull();
      expect(bare.registrations).toEqual(await repo.findRegistrations(p.organizationId, p.memberId));
      expect(bare.registrations.pending?.totpRegistrationId).toBe(p.registrationId);
      // Records come out by value.
      bare.registrations.pending!.lastAcceptedStep = 99;
      bare.member!.failedMfaAttempts = 99;
      expect((await repo.findRegistrations(p.organizationId, p.memberId)).pending!.lastAcceptedStep).toBeNull();
      expect((await repo.findMemberById(p.organizationId, p.memberId))!.failedMfaAttempts).toBe(0);
    });

    it('findMfaContext answers null for what is not there, and never looks outside the organization', async () => {
      const a = await active({ externalId: 'ctx-a-ext' });
      const b = await h().provision({ externalId: 'ctx-b-ext' });
      const repo = h().repository;
      const none = { active: null, pending: null };
      const unknownOrg = await repo.findMfaContext({ organization: { by: 'slug', value: 'no-such-org' }, member: { by: 'id', value: a.memberId } });
      expect(unknownOrg).toEqual({ organization: null, member: null, registrations: none, intermediateSession: null, memberSession: null });
      expect((await repo.findMfaContext({ organization: { by: 'externalId', value: '' }, member: { by: 'id', value: a.memberId } })).organization).toBeNull();
      // a's member ID and external ID, looked up inside b's organization.
      for (const member of [{ by: 'id', value: a.memberId }, { by: 'externalId', value: 'ctx-a-ext' }, { by: 'externalId', value: '' }] as const) {
        const crossed = await repo.findMfaContext({ organization: { by: 'id', value: b.organizationId }, member });
        expect(crossed.organization?.organizationId).toBe(b.organizationId);
        expect(crossed.member).toBeNull();
        expect(crossed.registrations).toEqual(none);
      }
      // Sessions are found by hash whoever owns them (ownership is core's rule); unknown hashes give null.
      const token = await ist(b.organizationId, b.memberId);
      const mixed = await repo.findMfaContext({
        organization: { by: 'id', value: a.organizationId },
        member: { by: 'id', value: a.memberId },
        intermediateSessionTokenHash: hashToken(token),
        memberSessionTokenHash: hashToken('no-such-token'),
      });
      expect(mixed.intermediateSession?.memberId).toBe(b.memberId);
      expect(mixed.memberSession).toBeNull();
    });

    it('exchangeIntermediateSession consumes a live IST into the given session, and writes nothing otherwise', async () => {
      const e = await active();
      const repo = h().repository;
      const token = await ist(e.organizationId, e.memberId);
      const before = await repo.findIntermediateSession(hashToken(token));
      const at = new Date(h().now());
      const session = memberSession(e, 'exchange-ok', at);
      expect(await repo.exchangeIntermediateSession(hashToken(token), at, session)).toEqual({ status: 'exchanged', consumed: before });
      expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(session);
      expect(await repo.findMemberSessionByTokenHash(session.tokenHash)).toEqual(session);
      // Used up: a second exchange gets nothing and stores nothing.
      const again = memberSession(e, 'exchange-again', at);
      expect(await repo.exchangeIntermediateSession(hashToken(token), at, again)).toEqual(NOT_FOUND);
      expect(await repo.findMemberSessionById(again.memberSessionId)).toBeNull();
      // Expired, to the millisecond: nothing consumed, nothing stored.
      const late = await ist(e.organizationId, e.memberId);
      const expiresAt = (await repo.findIntermediateSession(hashToken(late)))!.expiresAt;
      const tooLate = memberSession(e, 'exchange-late', expiresAt);
      expect(await repo.exchangeIntermediateSession(hashToken(late), expiresAt, tooLate)).toEqual(NOT_FOUND);
      expect(await repo.findMemberSessionById(tooLate.memberSessionId)).toBeNull();
      expect(await repo.findIntermediateSession(hashToken(late))).not.toBeNull();
      const justInTime = new Date(expiresAt.getTime() - 1);
      const inTime = await repo.exchangeIntermediateSession(hashToken(late), justInTime, memberSession(e, 'exchange-in-time', justInTime));
      expect(inTime.status).toBe('exchanged');
      expect(await repo.exchangeIntermediateSession(hashToken('unknown'), at, memberSession(e, 'exchange-unknown', at))).toEqual(NOT_FOUND);
    });

    it('exchangeIntermediateSession with a totp_step spend: the IST, the step and the session go together, or nothing', async () => {
      const e = await active();
      const repo = h().repository;
      const at = new Date(h().now());
      const lastStep = async () => (await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep!;
      const first = await lastStep();
      const spend = (step: number, totpRegistrationId = e.registrationId) => ({ kind: 'totp_step', totpRegistrationId, step }) as const;
      /** Nothing was written: the IST is still there, the session is not, the step is `first`. */
      const unchanged = async (token: string, session: MemberSessionRecord) => {
        expect(await repo.findIntermediateSession(hashToken(token))).not.toBeNull();
        expect(await repo.findMemberSessionById(session.memberSessionId)).toBeNull();
        expect(await lastStep()).toBe(first);
      };
      const token = await ist(e.organizationId, e.memberId);
      // The step is not new (equal, then lower), the registration unknown, or not active: refused, nothing written.
      for (const [label, refused] of [
        ['spend-same', spend(first)],
        ['spend-lower', spend(first - 1)],
        ['spend-unknown', spend(first + 1, 'member-totp-test-00000000-0000-4000-8000-000000000000')],
      ] as const) {
        const session = memberSession(e, label, at);
        expect(await repo.exchangeIntermediateSession(hashToken(token), at, session, refused)).toEqual({ status: 'spend_refused' });
        await unchanged(token, session);
      }
      const p = await pending();
      const pendingToken = await ist(p.organizationId, p.memberId);
      const notActive = memberSession(p, 'spend-pending', at);
      expect(await repo.exchangeIntermediateSession(hashToken(pendingToken), at, notActive, spend(first + 1, p.registrationId))).toEqual({
        status: 'spend_refused',
      });
      expect(await repo.findIntermediateSession(hashToken(pendingToken))).not.toBeNull();
      expect((await repo.findRegistrations(p.organizationId, p.memberId)).pending!.lastAcceptedStep).toBeNull();
      // No live IST: reported first, and the step is not spent.
      const orphan = memberSession(e, 'spend-no-ist', at);
      expect(await repo.exchangeIntermediateSession(hashToken('unknown'), at, orphan, spend(first + 1))).toEqual(NOT_FOUND);
      expect(await lastStep()).toBe(first);
      // All conditions hold: exchanged, the step recorded, the session stored, the IST gone.
      const before = await repo.findIntermediateSession(hashToken(token));
      const session = memberSession(e, 'spend-ok', at);
      expect(await repo.exchangeIntermediateSession(hashToken(token), at, session, spend(first + 1))).toEqual({ status: 'exchanged', consumed: before });
      expect(await lastStep()).toBe(first + 1);
      expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(session);
      expect(await repo.findIntermediateSession(hashToken(token))).toBeNull();
    });

    it('exchangeIntermediateSession with a recovery_code spend: the IST, the code and the session go together, or nothing', async () => {
      const e = await active();
      const repo = h().repository;
      const at = new Date(h().now());
      const codes = await repo.listRecoveryCodeHashes(e.registrationId);
      expect(codes).toHaveLength(10);
      const spend = (candidates: RecoveryCodeHash[], totpRegistrationId = e.registrationId) => ({ kind: 'recovery_code', totpRegistrationId, candidates }) as const;
      const unknownCode = { keyId: codes[0]!.keyId, hash: 'f'.repeat(64) };
      const token = await ist(e.organizationId, e.memberId);
      // An unknown code, another key's hash of a real code, a real code of another registration: refused, nothing written.
      const other = await active();
      for (const [label, refused] of [
        ['code-unknown', spend([unknownCode])],
        ['code-wrong-key', spend([{ keyId: 'no-such-key', hash: codes[0]!.hash }])],
        ['code-elsewhere', spend([codes[0]!], other.registrationId)],
      ] as const) {
        const session = memberSession(e, label, at);
        expect(await repo.exchangeIntermediateSession(hashToken(token), at, session, refused)).toEqual({ status: 'spend_refused' });
        expect(await repo.findIntermediateSession(hashToken(token))).not.toBeNull();
        expect(await repo.findMemberSessionById(session.memberSessionId)).toBeNull();
        expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes);
      }
      // No live IST: reported first, and the code is kept.
      expect(await repo.exchangeIntermediateSession(hashToken('unknown'), at, memberSession(e, 'code-no-ist', at), spend([codes[0]!]))).toEqual(NOT_FOUND);
      expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes);
      // A match among the candidates (one per pepper key): exchanged, the code gone, the count of those left.
      const before = await repo.findIntermediateSession(hashToken(token));
      const session = memberSession(e, 'code-ok', at);
      expect(await repo.exchangeIntermediateSession(hashToken(token), at, session, spend([unknownCode, codes[3]!]))).toEqual({
        status: 'exchanged',
        consumed: before,
        recoveryCodesRemaining: 9,
      });
      expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes.filter((_, i) => i !== 3));
      expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(session);
      expect(await repo.findIntermediateSession(hashToken(token))).toBeNull();
    });

    /**
     * 20 concurrent exchanges, each of its own IST for its own session, all spending `spend`: exactly one wins, the
     * others are refused, keep their IST and store nothing. Returns the winner's result.
     */
    async function raceSpendingOneProof(e: Enrolled, label: string, spend: ExchangeSpend): Promise<ExchangeResult> {
      const repo = h().repository;
      const at = new Date(h().now());
      const tokens = await Promise.all(Array.from({ length: 20 }, () => ist(e.organizationId, e.memberId)));
      const sessions = tokens.map((_, i) => memberSession(e, `${label}-${i}`, at));
      const results = await Promise.all(tokens.map((t, i) => repo.exchangeIntermediateSession(hashToken(t), at, sessions[i]!, spend)));
      const winners = results.flatMap((r, i) => (r.status === 'exchanged' ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(19);
      const stored = await Promise.all(sessions.map((s) => repo.findMemberSessionById(s.memberSessionId)));
      expect(stored.flatMap((s, i) => (s === null ? [] : [i]))).toEqual(winners);
      const left = await Promise.all(tokens.map((t) => repo.findIntermediateSession(hashToken(t))));
      expect(left.flatMap((s, i) => (s === null ? [i] : []))).toEqual(winners);
      return results[winners[0]!]!;
    }

    it('repository: of 20 concurrent exchanges of different ISTs spending one recovery code, exactly one wins and the others keep their IST', async () => {
      const e = await active();
      const [code] = await h().repository.listRecoveryCodeHashes(e.registrationId);
      const won = await raceSpendingOneProof(e, 'code-race', { kind: 'recovery_code', totpRegistrationId: e.registrationId, candidates: [code!] });
      expect(won).toMatchObject({ recoveryCodesRemaining: 9 });
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toHaveLength(9);
    });

    it('repository: of 20 concurrent exchanges of different ISTs spending one step, exactly one wins and the others keep their IST', async () => {
      const e = await active();
      const step = (await h().repository.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep! + 1;
      await raceSpendingOneProof(e, 'spend-race', { kind: 'totp_step', totpRegistrationId: e.registrationId, step });
      expect((await h().repository.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep).toBe(step);
    });
  });

  describe('repository: extending a member session with a spend', () => {
    const EXTENDED_BY_MS = 2 * 60 * MINUTE_MS;
    /** A stored, live member session of `e`'s, and the update that extends it with a recovery-code factor at `at`. */
    async function storedSession(e: Enrolled, label: string) {
      const at = new Date(h().now());
      const session = memberSession(e, label, at);
      await h().repository.insertMemberSession(session);
      const factor = {
        type: 'recovery_codes',
        delivery_method: 'recovery_code',
        last_authenticated_at: at.toISOString(),
        created_at: at.toISOString(),
        updated_at: at.toISOString(),
      };
      const later = new Date(at.getTime() + 1000);
      const update: MemberSessionUpdate = { at: later, expiresAt: new Date(later.getTime() + EXTENDED_BY_MS), factor, customClaims: { label, extended: true } };
      const expected: MemberSessionRecord = {
        ...session,
        lastAccessedAt: update.at,
        expiresAt: update.expiresAt,
        authenticationFactors: [...session.authenticationFactors, factor],
        customClaims: update.customClaims!,
      };
      return { session, update, expected };
    }

    it('with a totp_step spend: the step and the extension go together, or nothing', async () => {
      const e = await active();
      const repo = h().repository;
      const lastStep = async () => (await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep!;
      const first = await lastStep();
      const spend = (step: number, totpRegistrationId = e.registrationId) => ({ kind: 'totp_step', totpRegistrationId, step }) as const;
      const { session, update, expected } = await storedSession(e, 'extend-step');
      // The step is not new (equal, then lower), the registration unknown, or not active: refused, nothing written.
      const p = await pending();
      for (const refused of [
        spend(first),
        spend(first - 1),
        spend(first + 1, 'member-totp-test-00000000-0000-4000-8000-000000000000'),
        spend(first + 1, p.registrationId),
      ]) {
        expect(await repo.extendMemberSessionWithSpend(session.memberSessionId, update, refused)).toEqual({ status: 'spend_refused' });
        expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(session);
        expect(await lastStep()).toBe(first);
      }
      expect((await repo.findRegistrations(p.organizationId, p.memberId)).pending!.lastAcceptedStep).toBeNull();
      // All conditions hold: the step recorded, the session extended, and returned as it now stands.
      expect(await repo.extendMemberSessionWithSpend(session.memberSessionId, update, spend(first + 1))).toEqual({ status: 'extended', session: expected });
      expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(expected);
      expect(await lastStep()).toBe(first + 1);
    });

    it('with a totp_step spend: a session that is not live is reported first, and the step is not spent', async () => {
      const e = await active();
      const repo = h().repository;
      const step = (await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep! + 1;
      const spend = { kind: 'totp_step', totpRegistrationId: e.registrationId, step } as const;
      const NO_SESSION = { status: 'session_not_found' };
      const revoked = await storedSession(e, 'extend-revoked');
      await repo.revokeMemberSession(revoked.session.memberSessionId, new Date(h().now()));
      const stale = await storedSession(e, 'extend-expired');
      const expired = { ...stale.update, at: stale.session.expiresAt };
      const unknown = await storedSession(e, 'extend-unknown');
      for (const [memberSessionId, update] of [
        [revoked.session.memberSessionId, revoked.update],
        [stale.session.memberSessionId, expired],
        ['member-session-test-00000000-0000-4000-8000-000000000000', unknown.update],
      ] as const) {
        expect(await repo.extendMemberSessionWithSpend(memberSessionId, update, spend)).toEqual(NO_SESSION);
      }
      expect(await repo.findMemberSessionById(stale.session.memberSessionId)).toEqual(stale.session);
      expect((await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep).toBe(step - 1);
      // One millisecond before its expiry the session is still live.
      const inTime = { ...stale.update, at: new Date(stale.session.expiresAt.getTime() - 1) };
      expect(await repo.extendMemberSessionWithSpend(stale.session.memberSessionId, inTime, spend)).toMatchObject({ status: 'extended' });
    });

    it('with a recovery_code spend: the code and the extension go together, or nothing', async () => {
      const e = await active();
      const repo = h().repository;
      const codes = await repo.listRecoveryCodeHashes(e.registrationId);
      const spend = (candidates: RecoveryCodeHash[], totpRegistrationId = e.registrationId) => ({ kind: 'recovery_code', totpRegistrationId, candidates }) as const;
      const unknownCode = { keyId: codes[0]!.keyId, hash: 'f'.repeat(64) };
      const other = await active();
      const { session, update } = await storedSession(e, 'extend-code');
      for (const refused of [
        spend([unknownCode]),
        spend([{ keyId: 'no-such-key', hash: codes[0]!.hash }]),
        spend([codes[0]!], other.registrationId),
        spend([]),
      ]) {
        expect(await repo.extendMemberSessionWithSpend(session.memberSessionId, update, refused)).toEqual({ status: 'spend_refused' });
        expect(await repo.findMemberSessionById(session.memberSessionId)).toEqual(session);
        expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes);
      }
      await repo.revokeMemberSession(session.memberSessionId, new Date(h().now()));
      expect(await repo.extendMemberSessionWithSpend(session.memberSessionId, update, spend([codes[3]!]))).toEqual({ status: 'session_not_found' });
      expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes);
      // A match among the candidates (one per pepper key): the code gone, the session extended, the count left.
      const live = await storedSession(e, 'extend-code-ok');
      expect(await repo.extendMemberSessionWithSpend(live.session.memberSessionId, live.update, spend([unknownCode, codes[3]!]))).toEqual({
        status: 'extended',
        session: live.expected,
        recoveryCodesRemaining: 9,
      });
      expect(await repo.listRecoveryCodeHashes(e.registrationId)).toEqual(codes.filter((_, i) => i !== 3));
      expect(await repo.findMemberSessionById(live.session.memberSessionId)).toEqual(live.expected);
    });

    it('of 20 concurrent calls on 20 sessions spending one step, or one recovery code, exactly one is extended', async () => {
      const e = await active();
      const repo = h().repository;
      const step = (await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep! + 1;
      const [code] = await repo.listRecoveryCodeHashes(e.registrationId);
      for (const spend of [
        { kind: 'totp_step', totpRegistrationId: e.registrationId, step },
        { kind: 'recovery_code', totpRegistrationId: e.registrationId, candidates: [code!] },
      ] as const) {
        const stored = await Promise.all(Array.from({ length: 20 }, (_, i) => storedSession(e, `extend-race-${spend.kind}-${i}`)));
        const results = await Promise.all(stored.map((s) => repo.extendMemberSessionWithSpend(s.session.memberSessionId, s.update, spend)));
        const winners = results.flatMap((r, i) => (r.status === 'extended' ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => r.status === 'spend_refused')).toHaveLength(19);
        // Only the winner's session changed.
        const after = await Promise.all(stored.map((s) => repo.findMemberSessionById(s.session.memberSessionId)));
        after.forEach((s, i) => expect(s).toEqual(i === winners[0] ? stored[i]!.expected : stored[i]!.session));
      }
      expect((await repo.findRegistrations(e.organizationId, e.memberId)).active!.lastAcceptedStep).toBe(step);
      expect(await repo.listRecoveryCodeHashes(e.registrationId)).toHaveLength(9);
    });
  });

  describe('lockout', () => {
    const wrongCode = (secret: Uint8Array) => (generateTotp(secret, { nowMs: h().now() }) === '000000' ? '999999' : '000000');

    it('locks the member on the 10th consecutive failure and refuses even a right code until the lock ends', async () => {
      const e = await active();
      const attempt = async (c: string) => errorTypeOf(h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: c, intermediate_session_token: await ist(e.organizationId, e.memberId),
      }));
      for (let i = 1; i <= 9; i++) expect(await attempt(wrongCode(e.secret))).toBe('unable_to_authenticate_totp');
      expect(await attempt(wrongCode(e.secret))).toBe('user_lock_limit_reached');
      expect(await attempt(code(e.secret))).toBe('user_lock_limit_reached');
      const { member } = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
      expect(member.is_locked).toBe(true);
      expect(Date.parse(member.lock_expires_at!)).toBe(h().now() + 60 * MINUTE_MS);
      expect(Date.parse(member.lock_created_at!)).toBe(h().now());
      h().advance(60 * MINUTE_MS);
      expect(await attempt(code(e.secret))).toBe('succeeded');
      const after = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
      expect(after.member.is_locked).toBe(false);
    });

    it('counts wrong recovery codes too, and a success resets the count', async () => {
      const e = await active();
      const recover = (recovery_code: string) => errorTypeOf(h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code, session_token: e.sessionToken,
      }));
      for (let i = 0; i < 9; i++) expect(await recover('aaaa-bbbb-cccc')).toBe('unable_to_authenticate_recovery_code');
      expect(await recover(e.recoveryCodes[0]!)).toBe('succeeded');
      for (let i = 0; i < 9; i++) expect(await recover('aaaa-bbbb-cccc')).toBe('unable_to_authenticate_recovery_code');
      expect(await recover('aaaa-bbbb-cccc')).toBe('user_lock_limit_reached');
    });

    it('a burst of 200 concurrent wrong codes evaluates at most the limit, and refuses the right code sent in its second half', async () => {
      const e = await active();
      const repo = h().repository;
      // Counts the attempts the store let through to evaluation, whatever the requests answer.
      const realReserve = repo.reserveMfaAttempt;
      let reserved = 0;
      repo.reserveMfaAttempt = async (...args) => {
        const result = await realReserve.apply(repo, args);
        if (result?.status === 'reserved') reserved += 1;
        return result;
      };
      try {
        const right = code(e.secret);
        const wrong = right === '000000' ? '111111' : '000000';
        const codes = Array.from({ length: 200 }, (_, i) => (i === 150 ? right : wrong));
        const results = await Promise.all(
          codes.map((c) => errorTypeOf(h().service.totps.authenticate({
            organization_id: e.organizationId, member_id: e.memberId, code: c, session_token: e.sessionToken,
          }))),
        );
        expect(results).not.toContain('succeeded');
        expect(reserved).toBeLessThanOrEqual(10);
        expect(results.filter((r) => r === 'unable_to_authenticate_totp').length).toBeLessThanOrEqual(9);
        expect(results.filter((r) => r !== 'unable_to_authenticate_totp').every((r) => r === 'user_lock_limit_reached')).toBe(true);
      } finally {
        repo.reserveMfaAttempt = realReserve;
      }
      const { member } = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
      expect(member.is_locked).toBe(true);
      // Still refused, right code and all, until the lock runs out.
      expect(await errorTypeOf(h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret), session_token: e.sessionToken,
      }))).toBe('user_lock_limit_reached');
    });

    it('repository: of 30 concurrent reservations exactly the limit are reserved, and the last of them starts the lock', async () => {
      const e = await active();
      const repo = h().repository;
      const at = new Date(h().now());
      const reservation = { at, maxFailedAttempts: 10, lockExpiresAt: new Date(at.getTime() + 60 * MINUTE_MS) };
      const results = await Promise.all(Array.from({ length: 30 }, () => repo.reserveMfaAttempt(e.organizationId, e.memberId, reservation)));
      expect(results.filter((r) => r?.status === 'reserved')).toHaveLength(10);
      expect(results.filter((r) => r?.status === 'reserved' && r.lockStarted)).toHaveLength(1);
      expect(results.filter((r) => r?.status === 'locked')).toHaveLength(20);
      const member = await repo.findMemberById(e.organizationId, e.memberId);
      expect(member).toMatchObject({ failedMfaAttempts: 10, lockCreatedAt: at, lockExpiresAt: reservation.lockExpiresAt });
      expect(await repo.reserveMfaAttempt(e.organizationId, 'member-test-00000000-0000-4000-8000-000000000000', reservation)).toBeNull();
    });

    it('repository: a success clears the count and its own lock, never a lock another attempt started', async () => {
      const e = await active();
      const repo = h().repository;
      const at = new Date(h().now());
      const until = new Date(at.getTime() + 60 * MINUTE_MS);
      const reserve = (maxFailedAttempts: number, when = at) =>
        repo.reserveMfaAttempt(e.organizationId, e.memberId, { at: when, maxFailedAttempts, lockExpiresAt: until });
      expect(await reserve(3)).toEqual({ status: 'reserved', lockStarted: false });
      expect(await repo.clearMfaAttempts(e.organizationId, e.memberId, at, null)).toEqual({ failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null });
      // Two reserved, the second takes the last place: the first one's success leaves the lock as it is.
      expect(await reserve(2)).toEqual({ status: 'reserved', lockStarted: false });
      expect(await reserve(2)).toEqual({ status: 'reserved', lockStarted: true });
      const locked = { failedAttempts: 2, lockCreatedAt: at, lockExpiresAt: until };
      expect(await repo.clearMfaAttempts(e.organizationId, e.memberId, at, null)).toEqual(locked);
      expect(await repo.clearMfaAttempts(e.organizationId, e.memberId, at, new Date(at.getTime() - 1))).toEqual(locked);
      expect(await reserve(2)).toEqual({ status: 'locked' });
      expect(await repo.findMemberById(e.organizationId, e.memberId)).toMatchObject({ failedMfaAttempts: 2, lockExpiresAt: until });
      // The attempt that started it may lift it.
      expect(await repo.clearMfaAttempts(e.organizationId, e.memberId, at, at)).toEqual({ failedAttempts: 0, lockCreatedAt: null, lockExpiresAt: null });
      expect(await repo.clearMfaAttempts(e.organizationId, 'member-test-00000000-0000-4000-8000-000000000000', at, null)).toBeNull();
    });

    it('repository: a lock that has run out starts a fresh window', async () => {
      const e = await active();
      const repo = h().repository;
      const at = new Date(h().now());
      const until = new Date(at.getTime() + MINUTE_MS);
      expect(await repo.reserveMfaAttempt(e.organizationId, e.memberId, { at, maxFailedAttempts: 1, lockExpiresAt: until })).toEqual({
        status: 'reserved',
        lockStarted: true,
      });
      const almost = new Date(until.getTime() - 1);
      expect(await repo.reserveMfaAttempt(e.organizationId, e.memberId, { at: almost, maxFailedAttempts: 1, lockExpiresAt: until })).toEqual({ status: 'locked' });
      const later = new Date(until.getTime() + 2 * MINUTE_MS);
      expect(await repo.reserveMfaAttempt(e.organizationId, e.memberId, { at: until, maxFailedAttempts: 2, lockExpiresAt: later })).toEqual({
        status: 'reserved',
        lockStarted: false,
      });
      expect(await repo.findMemberById(e.organizationId, e.memberId)).toMatchObject({ failedMfaAttempts: 1, lockCreatedAt: null, lockExpiresAt: null });
    });

    it('counts every one of many interleaved concurrent failures', async () => {
      const e = await active();
      const results = await Promise.all(
        Array.from({ length: 15 }, () => errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: wrongCode(e.secret), session_token: e.sessionToken,
        }))),
      );
      expect(results.every((r) => r === 'unable_to_authenticate_totp' || r === 'user_lock_limit_reached')).toBe(true);
      expect(results).toContain('user_lock_limit_reached');
      const { member } = await h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId });
      expect(member.is_locked).toBe(true);
    });
  });

  describe('sessions', () => {
    it('authenticates by token or JWT, extends on request, and refuses once revoked', async () => {
      const e = await active();
      const byToken = await h().service.sessions.authenticate({ session_token: e.sessionToken });
      expect(byToken.member_id).toBe(e.memberId);
      const byJwt = await h().service.sessions.authenticate({ session_jwt: byToken.session_jwt, session_duration_minutes: 30 });
      expect(byJwt.member_session.member_session_id).toBe(byToken.member_session.member_session_id);
      await h().service.sessions.revoke({ session_jwt: byJwt.session_jwt });
      expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: e.sessionToken }))).toBe('session_not_found');
      expect(await errorTypeOf(h().service.sessions.authenticate({ session_jwt: byJwt.session_jwt }))).toBe('session_not_found');
    });

    it("revokes every session of a member by member_id, and no one else's", async () => {
      const a = await active();
      const second = await h().service.recoveryCodes.recover({
        organization_id: a.organizationId, member_id: a.memberId, recovery_code: a.recoveryCodes[1]!,
        intermediate_session_token: await ist(a.organizationId, a.memberId),
      });
      const b = await active();
      await h().service.sessions.revoke({ member_id: a.memberId });
      for (const session_token of [a.sessionToken, second.session_token]) {
        expect(await errorTypeOf(h().service.sessions.authenticate({ session_token }))).toBe('session_not_found');
      }
      expect((await h().service.sessions.authenticate({ session_token: b.sessionToken })).member_id).toBe(b.memberId);
      expect(await errorTypeOf(h().service.sessions.revoke({ member_id: 'emp-1' }))).toBe('member_not_found');
      expect(await errorTypeOf(h().service.sessions.revoke({}))).toBe('bad_request');
    });

    it('expires a session and an IST to the second', async () => {
      const e = await active();
      const token = await ist(e.organizationId, e.memberId);
      h().advance(10 * MINUTE_MS);
      expect(await errorTypeOf(h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[0]!, intermediate_session_token: token,
      }))).toBe('intermediate_session_not_found');
      h().advance(50 * MINUTE_MS - 2 * 1000 - STEP_MS);
      expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
      h().advance(2000);
      expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: e.sessionToken }))).toBe('session_not_found');
    });

    it('refuses custom claims with a "__proto__" key at any depth, and writes nothing', async () => {
      const e = await pending();
      const token = await ist(e.organizationId, e.memberId);
      for (const claims of ['{"__proto__": {"admin": true}}', '{"a": [{"b": {"__proto__": 1}}]}']) {
        expect(await errorTypeOf(h().service.totps.authenticate({
          organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret), intermediate_session_token: token,
          session_custom_claims: JSON.parse(claims) as Record<string, unknown>,
        }))).toBe('bad_request');
      }
      // Refused before any code was checked: the IST and the code still work.
      const ok = await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret), intermediate_session_token: token,
        session_custom_claims: { proto: '__proto__' },
      });
      expect(ok.member_session.custom_claims).toEqual({ proto: '__proto__' });
    });

    it('puts custom claims in the JWT, never over the reserved ones', async () => {
      const e = await pending();
      const result = await h().service.totps.authenticate({
        organization_id: e.organizationId, member_id: e.memberId, code: code(e.secret),
        intermediate_session_token: await ist(e.organizationId, e.memberId),
        session_custom_claims: { plan: 'pro', sub: 'member-test-attacker', iss: 'evil', 'https://stytch.com/session': {} },
      });
      const payload = JSON.parse(atob(result.session_jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
      expect(payload['plan']).toBe('pro');
      expect(payload['sub']).toBe(e.memberId);
      expect(payload['iss']).toBe('@totp');
      expect((payload['https://stytch.com/session'] as { id: string }).id).toBe(result.member_session.member_session_id);
      expect((payload['exp'] as number) - (payload['iat'] as number)).toBe(300);
      // Reserved claims are dropped, not merely kept out of the JWT: they are neither stored nor returned.
      expect(result.member_session.custom_claims).toEqual({ plan: 'pro' });
      const stored = await h().repository.findMemberSessionById(result.member_session.member_session_id);
      expect(stored!.customClaims).toEqual({ plan: 'pro' });
    });

    it('refuses on create a token of another member, or an unknown one', async () => {
      const a = await active();
      const b = await h().provision();
      expect(await errorTypeOf(h().service.totps.create({ organization_id: b.organizationId, member_id: b.memberId, session_token: a.sessionToken }))).toBe(
        'session_authorization_error',
      );
      expect(await errorTypeOf(h().service.totps.create({ organization_id: b.organizationId, member_id: b.memberId, session_jwt: 'a.b.c' }))).toBe(
        'session_not_found',
      );
      expect(await errorTypeOf(h().service.totps.create({ organization_id: a.organizationId, member_id: a.memberId, session_token: a.sessionToken }))).toBe(
        'active_totp_exists',
      );
    });
  });

  describe('recovery codes', () => {
    it('recovers once per code, normalising input, and counts what is left', async () => {
      const e = await active();
      const messy = ` ${e.recoveryCodes[0]!.toUpperCase().replaceAll('-', '')} `;
      const first = await h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: messy, session_token: e.sessionToken,
      });
      expect(first.recovery_codes_remaining).toBe(9);
      expect(first.member_session.authentication_factors.map((f) => f.type)).toContain('recovery_codes');
      expect(await errorTypeOf(h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[0]!, session_token: e.sessionToken,
      }))).toBe('unable_to_authenticate_recovery_code');
      expect(await errorTypeOf(h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: code(e.secret), session_token: e.sessionToken,
      }))).toBe('invalid_recovery_code');
      const got = await h().service.recoveryCodes.get({ organization_id: e.organizationId, member_id: e.memberId });
      expect(got.recovery_codes_remaining).toBe(9);
      expect(got.recovery_codes).toEqual([]);
    });

    it('rotates: every old code stops working at once, 10 new ones work', async () => {
      const e = await active();
      const rotated = await h().service.recoveryCodes.rotate({ organization_id: e.organizationId, member_id: e.memberId });
      expect(rotated.recovery_codes).toHaveLength(10);
      expect(rotated.recovery_codes.some((c) => e.recoveryCodes.includes(c))).toBe(false);
      for (const old of e.recoveryCodes.slice(0, 3)) {
        expect(await errorTypeOf(h().service.recoveryCodes.recover({
          organization_id: e.organizationId, member_id: e.memberId, recovery_code: old, session_token: e.sessionToken,
        }))).toBe('unable_to_authenticate_recovery_code');
      }
      const ok = await h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: rotated.recovery_codes[9]!, session_token: e.sessionToken,
      });
      expect(ok.recovery_codes_remaining).toBe(9);
    });

    it('needs an active registration', async () => {
      const e = await pending();
      expect(await errorTypeOf(h().service.recoveryCodes.get({ organization_id: e.organizationId, member_id: e.memberId }))).toBe('totp_not_found');
      expect(await errorTypeOf(h().service.recoveryCodes.rotate({ organization_id: e.organizationId, member_id: e.memberId }))).toBe('totp_not_found');
    });
  });

  describe('housekeeping', () => {
    it('purges expired and revoked sessions and expired pending registrations, never anything still usable', async () => {
      const e = await active();
      const stale = await ist(e.organizationId, e.memberId);
      const { intermediate_session_token: fresh } = await h().service.sessions.startIntermediate({
        organization_id: e.organizationId, member_id: e.memberId,
      });
      const other = await h().provision();
      const expiring = await h().service.totps.create({ organization_id: other.organizationId, member_id: other.memberId, expiration_minutes: 5 });
      const revokedToken = (await h().service.recoveryCodes.recover({
        organization_id: e.organizationId, member_id: e.memberId, recovery_code: e.recoveryCodes[0]!, intermediate_session_token: stale,
      })).session_token;
      await h().service.sessions.revoke({ session_token: revokedToken });
      const { intermediate_session_token: unused } = await h().service.sessions.startIntermediate({
        organization_id: e.organizationId, member_id: e.memberId,
      });
      h().advance(11 * MINUTE_MS);
      expect(await h().service.maintenance.purgeExpired({ graceMinutes: 0 })).toEqual({
        intermediateSessions: 2, memberSessions: 1, pendingRegistrations: 1,
      });
      expect(await h().repository.findRegistrations(other.organizationId, other.memberId)).toEqual({ active: null, pending: null });
      expect(await h().repository.listRecoveryCodeHashes(expiring.totp_registration_id)).toEqual([]);
      expect(await h().repository.findIntermediateSession(hashToken(fresh))).toBeNull();
      expect(await h().repository.findIntermediateSession(hashToken(unused))).toBeNull();
      // The member's live session and active registration stay.
      expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
      expect((await h().repository.findRegistrations(e.organizationId, e.memberId)).active).not.toBeNull();
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toHaveLength(9);
      expect(await h().service.maintenance.purgeExpired({ graceMinutes: 0 })).toEqual({
        intermediateSessions: 0, memberSessions: 0, pendingRegistrations: 0,
      });
    });

    it('keeps what expired within the grace period', async () => {
      const { organizationId, memberId } = await h().provision();
      await h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
      h().advance(6 * MINUTE_MS);
      expect((await h().service.maintenance.purgeExpired()).pendingRegistrations).toBe(0);
      await expect(h().service.maintenance.purgeExpired({ graceMinutes: -1 })).rejects.toThrow(RangeError);
    });
  });

  describe('delete and migrate', () => {
    it('deletes the registration and its codes, keeps sessions, and allows a new registration', async () => {
      const e = await active();
      const deleted = await h().service.organizations.members.deleteTOTP({ organization_id: e.organizationId, member_id: e.memberId });
      expect(deleted.member.totp_registration_id).toBe('');
      expect(deleted.member.default_mfa_method).toBe('');
      expect(await h().repository.findRegistrations(e.organizationId, e.memberId)).toEqual({ active: null, pending: null });
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toEqual([]);
      expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
      expect(await errorTypeOf(h().service.organizations.members.deleteTOTP({ organization_id: e.organizationId, member_id: e.memberId }))).toBe(
        'totp_not_found',
      );
      const created = await h().service.totps.create({ organization_id: e.organizationId, member_id: e.memberId });
      expect(created.totp_registration_id).not.toBe(e.registrationId);
    });

    it('migrates a secret as an active registration, with imported or minted codes', async () => {
      const { organizationId, memberId } = await h().provision();
      const secret = new Uint8Array(20).map((_, i) => i * 7 + 1);
      const migrated = await h().service.totps.migrate({
        organization_id: organizationId, member_id: memberId, secret: encodeSecret(secret).toLowerCase(),
        recovery_codes: ['AAAA-BBBB-CCCC', 'dddd eeee ffff'],
      });
      expect(migrated.recovery_codes).toEqual(['aaaa-bbbb-cccc', 'dddd-eeee-ffff']);
      expect(migrated.member.totp_registration_id).toBe(migrated.totp_registration_id);
      const dump = JSON.stringify(await h().dump());
      expect(dump).not.toContain('aaaa-bbbb-cccc');
      expect(dump).not.toContain(encodeSecret(secret));
      const result = await h().service.totps.authenticate({
        organization_id: organizationId, member_id: memberId, code: code(secret), intermediate_session_token: await ist(organizationId, memberId),
      });
      expect(result.member_session.authentication_factors[0]!.type).toBe('totp');
      expect(await errorTypeOf(h().service.totps.migrate({ organization_id: organizationId, member_id: memberId, secret: encodeSecret(secret) }))).toBe(
        'active_totp_exists',
      );
      const other = await h().provision();
      const minted = await h().service.totps.migrate({ organization_id: other.organizationId, member_id: other.memberId, secret: encodeSecret(secret) });
      expect(minted.recovery_codes).toHaveLength(10);
      for (const weak of ['JBSWY3DPEHPK3PXP', 'not base32!', '']) {
        expect(await errorTypeOf(h().service.totps.migrate({ organization_id: other.organizationId, member_id: other.memberId, secret: weak }))).toBe(
          'bad_request',
        );
      }
    });

    it('deletes a member or an organization with everything that hangs on it', async () => {
      const e = await active();
      await h().service.organizations.members.delete({ organization_id: e.organizationId, member_id: e.memberId });
      expect(await errorTypeOf(h().service.organizations.members.get({ organization_id: e.organizationId, member_id: e.memberId }))).toBe(
        'member_not_found',
      );
      expect(await errorTypeOf(h().service.sessions.authenticate({ session_token: e.sessionToken }))).toBe('session_not_found');
      expect(await h().repository.listRecoveryCodeHashes(e.registrationId)).toEqual([]);
      await h().service.organizations.delete({ organization_id: e.organizationId });
      expect(await errorTypeOf(h().service.organizations.get({ organization_id: e.organizationId }))).toBe('organization_not_found');
    });
  });
}
