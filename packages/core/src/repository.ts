// The repository port: everything @totp/core needs from storage, in domain verbs.
// Adapters (@totp/memory, @totp/prisma, yours) implement it and prove it with the contract suite in `@totp/core/testing`.

import type {
  AuthenticationFactor,
  DefaultMfaMethod,
  IntermediateSessionRecord,
  MemberRecord,
  MemberSessionRecord,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpRegistrationRecord,
} from './model';
import type { AttemptReservation, LockoutState } from './lockout-policy';

/** What `reserveMfaAttempt` did. */
export type ReserveAttemptResult =
  /** Counted; `lockStarted` when this attempt took the last place and started the lock. */
  | { status: 'reserved'; lockStarted: boolean }
  /** A lock is in force: nothing was written, and the code must not be evaluated. */
  | { status: 'locked' };

/** A member's registrations: at most one active and at most one pending at any time. */
export interface MemberRegistrations {
  active: TotpRegistrationRecord | null;
  pending: TotpRegistrationRecord | null;
}

export type SaveRegistrationResult = 'saved' | 'active_totp_exists' | 'member_not_found';

/**
 * What a session grant spends in the same atomic write as the session (see `exchangeIntermediateSession` and
 * `extendMemberSessionWithSpend`), so that a request either gets its session and uses up its code, or does neither.
 * - `totp_step`: as `recordAcceptedStep(totpRegistrationId, step)` without activation: the registration must be
 *   active and `step` newer than its `lastAcceptedStep`, which becomes `step`.
 * - `recovery_code`: as `consumeRecoveryCode(totpRegistrationId, candidates)`: an unused code of the registration
 *   matching one of `candidates` must exist, and is deleted (the registration's status is not looked at: core
 *   passes only an active registration's codes).
 */
export type ExchangeSpend =
  | { kind: 'totp_step'; totpRegistrationId: string; step: number }
  | { kind: 'recovery_code'; totpRegistrationId: string; candidates: readonly RecoveryCodeHash[] };

/** What `exchangeIntermediateSession` did. Only `exchanged` wrote anything. */
export type ExchangeResult =
  /**
   * The IST was consumed (`consumed`: as it was before), the spend made and the session stored. With a
   * `recovery_code` spend, `recoveryCodesRemaining` is the registration's unused codes left (absent otherwise).
   */
  | { status: 'exchanged'; consumed: IntermediateSessionRecord; recoveryCodesRemaining?: number }
  /** No live IST with that hash (unknown, expired or already consumed); the spend was not attempted. */
  | { status: 'intermediate_session_not_found' }
  /** The IST was live but the spend's condition failed (step not new, registration not active or gone, no such code). */
  | { status: 'spend_refused' };

/** What `extendMemberSession` changes on a live member session. */
export interface MemberSessionUpdate {
  at: Date;
  expiresAt: Date;
  factor?: AuthenticationFactor;
  customClaims?: Record<string, unknown>;
}

/** What `extendMemberSessionWithSpend` did. Only `extended` wrote anything. */
export type ExtendResult =
  /**
   * The spend was made and the session extended: `session` is the session as it now stands. With a `recovery_code`
   * spend, `recoveryCodesRemaining` is the registration's unused codes left (absent otherwise).
   */
  | { status: 'extended'; session: MemberSessionRecord; recoveryCodesRemaining?: number }
  /** No live session with that ID (unknown, revoked or expired); the spend was not attempted. */
  | { status: 'session_not_found' }
  /** The session was live but the spend's condition failed (step not new, registration not active or gone, no such code). */
  | { status: 'spend_refused' };

/** How many records `purgeExpired` deleted, by kind. */
export interface PurgeCounts {
  intermediateSessions: number;
  memberSessions: number;
  pendingRegistrations: number;
}

/** How a request names an organization: by ID, slug (compared exactly) or non-empty external ID. */
export interface OrganizationLookup {
  by: 'id' | 'slug' | 'externalId';
  value: string;
}

/** How a request names a member inside its organization: by member ID or non-empty external ID. */
export interface MemberLookup {
  by: 'id' | 'externalId';
  value: string;
}

/** What an MFA attempt (authenticate, recover) reads before it checks a code. */
export interface MfaContextQuery {
  organization: OrganizationLookup;
  member: MemberLookup;
  /** Also fetch the intermediate session with this token hash, whoever it belongs to. */
  intermediateSessionTokenHash?: string;
  /** Also fetch the member session with this token hash, whoever it belongs to. */
  memberSessionTokenHash?: string;
}

/** The answer to an `MfaContextQuery`; every part is what the single-record finders would have returned. */
export interface MfaContext {
  organization: OrganizationRecord | null;
  /** The member of `organization` named by the lookup (any status); null when either is not found. */
  member: MemberRecord | null;
  /** The member's registrations as `findRegistrations` returns them; both null when `member` is null. */
  registrations: MemberRegistrations;
  /** As `findIntermediateSession(intermediateSessionTokenHash)`; null when no hash was asked for. */
  intermediateSession: IntermediateSessionRecord | null;
  /** As `findMemberSessionByTokenHash(memberSessionTokenHash)`; null when no hash was asked for. */
  memberSession: MemberSessionRecord | null;
}

/** Changes to a member's MFA settings; absent fields are left as they are. */
export interface MemberMfaPatch {
  mfaEnrolled?: boolean;
  defaultMfaMethod?: DefaultMfaMethod;
  updatedAt: Date;
}

/**
 * Storage for organizations, members, TOTP registrations, recovery codes and sessions.
 *
 * Conventions every implementation follows:
 * - `null` means "not found"; a thrown error means something broke. Wrap driver errors with the original as
 *   `cause`; an unreachable store is `TotpError('service_unavailable')` and must mean nothing was written.
 * - Records go in and come out by value: a caller mutating a returned record changes nothing stored.
 * - Every method is required. Methods marked **atomic** hold their contract under any number of concurrent
 *   calls from any number of processes sharing the store: one conditional write (`UPDATE … WHERE last_step < $step`,
 *   `DELETE … WHERE used`), or one transaction, never read-then-write across two statements.
 * - Multi-row writes are all or nothing.
 */
export interface TotpRepository {
  // ── Organizations and members ──────────────────────────────────────────────────────────────────────────

  /**
   * Stores a new organization. Throws `TotpError('duplicate_organization_slug')` when the slug is taken
   * (compared exactly), `TotpError('duplicate_organization_external_id')` when a non-empty external ID is.
   * Atomic: of concurrent inserts with one slug, exactly one succeeds.
   */
  insertOrganization(organization: OrganizationRecord): Promise<void>;
  findOrganizationById(organizationId: string): Promise<OrganizationRecord | null>;
  findOrganizationBySlug(organizationSlug: string): Promise<OrganizationRecord | null>;
  /** Never matches the empty string. */
  findOrganizationByExternalId(organizationExternalId: string): Promise<OrganizationRecord | null>;

  /**
   * Stores a new member of an existing organization. Throws `TotpError('duplicate_member_email')` when the
   * organization has a member with the same `emailAddress.toLowerCase()`, `TotpError('duplicate_member_external_id')`
   * for a taken non-empty external ID, and `TotpError('organization_not_found')` when the organization does not exist
   * (also when it is deleted concurrently). Atomic: of concurrent inserts with one e-mail address, exactly one succeeds.
   */
  insertMember(member: MemberRecord): Promise<void>;
  findMemberById(organizationId: string, memberId: string): Promise<MemberRecord | null>;
  /** Looks only inside `organizationId`; never matches the empty string. */
  findMemberByExternalId(organizationId: string, externalId: string): Promise<MemberRecord | null>;
  /** Looks only inside `organizationId`, comparing `emailAddress.toLowerCase()` (the uniqueness rule of insertMember). */
  findMemberByEmail(organizationId: string, emailAddress: string): Promise<MemberRecord | null>;
  /**
   * One transaction: deletes the member with everything that hangs on it (registrations, recovery codes, member and
   * intermediate sessions). Returns false when the member does not exist.
   */
  deleteMember(organizationId: string, memberId: string): Promise<boolean>;
  /** One transaction: deletes the organization and everything in it. Returns false when it does not exist. */
  deleteOrganization(organizationId: string): Promise<boolean>;
  /** Sets the given MFA settings of a member. Returns false when the member does not exist. */
  updateMemberMfa(organizationId: string, memberId: string, patch: MemberMfaPatch): Promise<boolean>;

  // ── Lockout state (shared by every process) ────────────────────────────────────────────────────────────

  /**
   * Atomic. Reserves one MFA attempt for the member before its code is evaluated, applying core's
   * `reserveAttempt(state, reservation)` to the member's `failedMfaAttempts`, `lockCreatedAt` and `lockExpiresAt`:
   * refused (`locked`, nothing written) while a lock is in force at `reservation.at`; otherwise the count goes up by one
   * (from zero when a lock has run out) and the reservation that reaches `maxFailedAttempts` starts the lock
   * (`lockCreatedAt = at`, `lockExpiresAt = reservation.lockExpiresAt`; `lockStarted: true`). Under any number of
   * concurrent calls from any number of processes, at most `maxFailedAttempts` are `reserved` per lock window.
   * Returns null when the member does not exist.
   */
  reserveMfaAttempt(organizationId: string, memberId: string, reservation: AttemptReservation): Promise<ReserveAttemptResult | null>;
  /**
   * Atomic. After a successful attempt at `at`, applies core's `lockoutAfterSuccess(state, at, startedLockAt)`: the
   * count and the lock are cleared, unless a lock is in force at `at` whose `lockCreatedAt` is not `startedLockAt`
   * (then nothing changes). Returns the member's lockout fields as they now stand, or null when it does not exist.
   */
  clearMfaAttempts(organizationId: string, memberId: string, at: Date, startedLockAt: Date | null): Promise<LockoutState | null>;

  /**
   * Everything an MFA attempt needs before it checks a code, read in **one round trip** where the store can (one
   * SQL statement, one lock-free pass over memory): the organization, its member, the member's registrations and
   * the presented session, each exactly as the single-record finders return it. A read, not a lock: every decision
   * that must hold under concurrency is taken later by an atomic write.
   */
  findMfaContext(query: MfaContextQuery): Promise<MfaContext>;

  // ── TOTP registrations and recovery codes ──────────────────────────────────────────────────────────────

  /** The member's active and pending registrations (an expired pending one is still returned: expiry is core's rule). */
  findRegistrations(organizationId: string, memberId: string): Promise<MemberRegistrations>;

  /**
   * Atomic, one transaction. Stores `registration` with its recovery code hashes, first deleting the member's
   * pending registration and its codes, if any. When `registration.status` is `active` it also sets the member's
   * `totpRegistrationId` to it. Returns `'active_totp_exists'` and writes nothing when the member has an active
   * registration, and `'member_not_found'` (writing nothing) when the member does not exist. Under concurrent calls for
   * one member, the member ends with exactly one of the callers' registrations, whole (never another caller's codes,
   * never two registrations).
   */
  saveRegistration(
    registration: TotpRegistrationRecord,
    recoveryCodes: readonly RecoveryCodeHash[],
  ): Promise<SaveRegistrationResult>;

  /**
   * Atomic. Records that time step `step` was accepted: sets `lastAcceptedStep = step` only if it is null or
   * lower than `step`. Under any number of concurrent calls with one step, exactly one returns true.
   * When `activate` is given, the registration must be pending and unexpired at `activate.at` (expiresAt > at),
   * and in the same transaction it becomes active (`status = 'active'`, `expiresAt = null`, `activatedAt = at`)
   * and the member's `totpRegistrationId` is set to it. When `activate` is absent the registration must be active.
   * Returns false and writes nothing when any condition fails or the registration does not exist.
   */
  recordAcceptedStep(
    totpRegistrationId: string,
    step: number,
    activate?: { at: Date },
  ): Promise<boolean>;

  /**
   * Atomic, one transaction. Deletes all of the member's registrations (active and pending) and their recovery
   * codes, sets the member's `totpRegistrationId` to `""` and, if it was `totp`, `defaultMfaMethod` to `""`.
   * Returns the number of registrations deleted (0: nothing to delete).
   */
  deleteRegistrations(organizationId: string, memberId: string, updatedAt: Date): Promise<number>;

  /** The unused recovery codes of a registration, as stored. */
  listRecoveryCodeHashes(totpRegistrationId: string): Promise<RecoveryCodeHash[]>;

  /**
   * Atomic. Uses up the first code of the registration matching one of `candidates` (the same code hashed under
   * each pepper key): the code is deleted. Under any number of concurrent calls with one code, exactly one gets
   * a number. Returns the count of unused codes left afterwards, or null when no unused code matched.
   */
  consumeRecoveryCode(totpRegistrationId: string, candidates: readonly RecoveryCodeHash[]): Promise<number | null>;

  /**
   * Atomic, one transaction. Replaces every recovery code of the registration with `recoveryCodes`: no moment
   * exists where old and new codes both work, or neither set. Returns false (writing nothing) when the
   * registration does not exist.
   */
  replaceRecoveryCodes(totpRegistrationId: string, recoveryCodes: readonly RecoveryCodeHash[]): Promise<boolean>;

  // ── Sessions ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a new intermediate session. Throws `TotpError('member_not_found')` when its member does not exist (also when
   * it is deleted concurrently).
   */
  insertIntermediateSession(session: IntermediateSessionRecord): Promise<void>;
  /** The intermediate session with this token hash, unconsumed (expiry is core's rule), or null. */
  findIntermediateSession(tokenHash: string): Promise<IntermediateSessionRecord | null>;
  /**
   * Atomic, one transaction (on PostgreSQL one statement). Exchanges an intermediate session for a member session:
   * if the intermediate session with `tokenHash` exists and `expiresAt > at` (else `intermediate_session_not_found`)
   * and, when `spend` is given, its condition holds (else `spend_refused`), then the IST is deleted, the spend is
   * made and `session` is stored, all together: `exchanged`. Any other outcome writes nothing at all. The IST is
   * checked first: with no live IST the spend is not looked at. Under any number of concurrent calls with one token
   * hash, exactly one is `exchanged` and exactly one member session is stored; under concurrent calls with different
   * token hashes and one step (or one recovery code) to spend, at most one is `exchanged`, and the others keep their IST.
   */
  exchangeIntermediateSession(tokenHash: string, at: Date, session: MemberSessionRecord, spend?: ExchangeSpend): Promise<ExchangeResult>;

  /** Stores a new member session. */
  insertMemberSession(session: MemberSessionRecord): Promise<void>;
  /** The session with this token hash (revoked and expired ones included: validity is core's rule), or null. */
  findMemberSessionByTokenHash(tokenHash: string): Promise<MemberSessionRecord | null>;
  findMemberSessionById(memberSessionId: string): Promise<MemberSessionRecord | null>;
  /**
   * Atomic. Updates a live session (not revoked, `expiresAt > at`): sets `lastAccessedAt = at` and
   * `expiresAt = max(current, update.expiresAt)`; adds `update.factor`, replacing a factor with the same `type` and
   * `delivery_method`; replaces the custom claims when given. Returns the updated session, or null when it is not
   * live. Concurrent calls never lose one another's factor.
   */
  extendMemberSession(memberSessionId: string, update: MemberSessionUpdate): Promise<MemberSessionRecord | null>;
  /**
   * Atomic, one transaction. `extendMemberSession` and a spend together, as `exchangeIntermediateSession` does for an
   * IST: if the session is live (else `session_not_found`: nothing is written and the spend is not attempted) and the
   * spend's condition holds (else `spend_refused`), the spend is made and the session extended, all together:
   * `extended`. Any other outcome writes nothing at all, the session's `lastAccessedAt` included. Under any number of
   * concurrent calls spending one step (or one recovery code), at most one is `extended`, whichever sessions they name;
   * of concurrent calls on one session, no extended call's factor is lost.
   * A separate method rather than an optional argument of `extendMemberSession`: an adapter written before it would
   * ignore the argument, and extend the session without spending anything.
   */
  extendMemberSessionWithSpend(memberSessionId: string, update: MemberSessionUpdate, spend: ExchangeSpend): Promise<ExtendResult>;
  /** Marks the session revoked at `at` (no-op if it already is). Returns false when it does not exist. */
  revokeMemberSession(memberSessionId: string, at: Date): Promise<boolean>;
  /**
   * Marks every unrevoked session of the member revoked at `at` (member IDs are unique across organizations, and
   * Stytch's revoke names only the member). Returns how many it revoked.
   */
  revokeMemberSessions(memberId: string, at: Date): Promise<number>;

  // ── Housekeeping ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes what can never be used again, so tables do not grow forever: intermediate sessions with
   * `expiresAt <= before`, member sessions with `expiresAt <= before` or `revokedAt <= before`, and pending
   * registrations with `expiresAt <= before` together with their recovery codes. Never touches an active
   * registration. Safe to run from any number of processes at once. Returns how many of each went.
   */
  purgeExpired(before: Date): Promise<PurgeCounts>;
}
