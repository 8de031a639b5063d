// The repository port: everything @totp/core needs from storage, in domain verbs, one method per use.
// Adapters (@totp/memory, @totp/prisma, yours) implement it and prove it with the contract suites of `@totp/core/testing`.

import type { AttemptReservation } from './lockout-policy';
import type { MemberLookup, OrganizationLookup } from './identifiers';
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

export type { MemberLookup, OrganizationLookup };

/** What `insertOrganization` did. The service turns a conflict into its 409 error. */
export type InsertOrganizationResult =
  | { status: 'inserted' }
  /** Another organization uses the slug (or the external ID) as its slug or its external ID: nothing was written. */
  | { status: 'conflict'; field: 'organization_slug' | 'organization_external_id' };

/** What `insertMember` did. */
export type InsertMemberResult =
  | { status: 'inserted' }
  | { status: 'organization_not_found' }
  /** A member of the organization has this e-mail address (compared lower-cased) or external ID: nothing written. */
  | { status: 'conflict'; field: 'email_address' | 'external_id' };

/** Changes to a member; absent fields stay as they are. */
export interface MemberPatch {
  mfaEnrolled?: boolean;
  defaultMfaMethod?: DefaultMfaMethod;
  updatedAt: Date;
}

/** A member's registrations: at most one active and at most one pending at any time. */
export interface MemberRegistrations {
  active: TotpRegistrationRecord | null;
  pending: TotpRegistrationRecord | null;
}

export type SaveRegistrationResult = 'saved' | 'active_totp_exists' | 'member_not_found';

/** The session an MFA attempt presented, to attach its factor to. */
export type PresentedSession =
  | { kind: 'intermediate'; tokenHash: string }
  | { kind: 'member'; tokenHash: string }
  /** A member session named by a session JWT whose signature the service has checked. */
  | { kind: 'member'; memberSessionId: string };

/** What `beginMfaAttempt` reads, and the attempt it reserves when the attempt can go on. */
export interface MfaAttemptQuery {
  organization: OrganizationLookup;
  /** By ID or external ID. */
  member: MemberLookup;
  /** Absent when the request presented none (or a JWT that did not verify): then nothing is reserved. */
  session?: PresentedSession;
  /** Which registration the attempt's code is checked against: an active one (recovery codes), or an active or unexpired pending one (TOTP). */
  registration: 'active' | 'active_or_pending';
  reservation: AttemptReservation;
}

/**
 * The answer to an `MfaAttemptQuery`: the records as read at the call's start, except the member, which is as it was just
 * before its reservation (its lockout fields without it), and the reservation.
 */
export interface MfaAttemptContext {
  organization: OrganizationRecord | null;
  /** The member of `organization` named by the lookup, any status; null when either is not found. */
  member: MemberRecord | null;
  /** Both null when `member` is null. */
  registrations: MemberRegistrations;
  /** The presented IST (with the given hash, whoever it belongs to, whatever else is found); null when none or not asked for. */
  intermediateSession: IntermediateSessionRecord | null;
  /** The presented member session (by hash or ID, whoever it belongs to, revoked or not); null when none or not asked for. */
  memberSession: MemberSessionRecord | null;
  /**
   * The reservation (see `TotpRepository.beginMfaAttempt`): `reserved` or `locked` when every condition held, null
   * when one did not (and then nothing was written).
   */
  reservation: { status: 'reserved'; lockStarted: boolean } | { status: 'locked' } | null;
}

/** The proof a grant spends in the same atomic write as the session, so that a request gets both or neither. */
export type MfaSpend =
  /** The step is newer than the active registration's `lastAcceptedStep`, which becomes `step`. */
  | { kind: 'totp_step'; totpRegistrationId: string; step: number }
  /**
   * The registration is pending and unexpired at the grant's `at`: it becomes active (`status = 'active'`,
   * `expiresAt = null`, `activatedAt = at`, `lastAcceptedStep = step`) and the member's `totpRegistrationId` points at it.
   */
  | { kind: 'activation'; totpRegistrationId: string; step: number }
  /** An unused code of the registration matching one of `candidates` (one hash per pepper key) is deleted. */
  | { kind: 'recovery_code'; totpRegistrationId: string; candidates: readonly RecoveryCodeHash[] };

/** What a successful MFA attempt writes and spends, all or nothing. */
export interface MfaGrant {
  at: Date;
  spend: MfaSpend;
  target:
    /** The IST with this hash, live at `at`, is deleted and `session` (a new member session) stored. */
    | { kind: 'exchange'; intermediateSessionTokenHash: string; session: MemberSessionRecord }
    /**
     * The member session, live at `at` (not revoked, `expiresAt > at`), gets `lastAccessedAt = at`,
     * `expiresAt = max(current, expiresAt)`, the factor added by core's `withFactor`, and the custom claims when given.
     */
    | { kind: 'extend'; memberSessionId: string; expiresAt: Date; factor: AuthenticationFactor; customClaims?: Record<string, unknown> };
  /**
   * The member the attempt was for: its lockout fields become core's `lockoutAfterSuccess(state, at, startedLockAt)`,
   * then `patch` is applied when given.
   */
  member: { organizationId: string; memberId: string; startedLockAt: Date | null; patch?: MemberPatch };
}

/** What `grantMfaSession` did. Only `granted` wrote anything. */
export type MfaGrantResult =
  | {
      status: 'granted';
      /** The session as it now stands (the new one, or the extended one). */
      session: MemberSessionRecord;
      /** The member as it now stands. */
      member: MemberRecord;
      /** For a `recovery_code` spend, the registration's unused codes left; null otherwise. */
      recoveryCodesRemaining: number | null;
    }
  /** The IST or member session was not live (unknown, consumed, revoked or expired): the spend was not attempted. */
  | { status: 'session_not_found' }
  /**
   * The session was live but the spend could not happen: the step is not new, the registration is not as required
   * (`saveRegistration` never lets a pending one sit beside an active one), no such code, or the member is gone.
   */
  | { status: 'spend_refused' };

/** Changes `extendMemberSession` makes to a live member session. */
export interface MemberSessionExtension {
  at: Date;
  expiresAt: Date;
  customClaims?: Record<string, unknown>;
}

/** How many records `purgeExpired` deleted, by kind. */
export interface PurgeCounts {
  intermediateSessions: number;
  memberSessions: number;
  pendingRegistrations: number;
}

/**
 * Storage for organizations, members, TOTP registrations, recovery codes and sessions.
 *
 * Conventions every implementation follows:
 * - `null` means "not found"; a thrown error means something broke. Wrap driver errors with the original as `cause`;
 *   an unreachable store is `TotpError('service_unavailable')` and must mean nothing was written.
 * - Records go in and come out by value: a caller mutating a returned record changes nothing stored.
 * - Every method is required. Methods marked **atomic** keep their contract under any number of concurrent calls
 *   from any number of processes sharing the store; a multi-row write is all or nothing.
 * - Rules are core's: where a method applies one (`reserveAttempt`, `lockoutAfterSuccess`, `withFactor`), the store
 *   gives exactly the answers of core's function, checked by the contract suites.
 */
export interface TotpRepository {
  // ── Organizations ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Atomic. Stores a new organization, unless another organization uses its slug, or its non-empty external ID, as
   * either its slug or its external ID (then `conflict`, naming the slug first): an identifier names one organization
   * only. Of concurrent inserts that share an identifier in either role, exactly one succeeds.
   */
  insertOrganization(organization: OrganizationRecord): Promise<InsertOrganizationResult>;
  /** The organization the lookup names (slugs and external IDs compared exactly; an empty external ID matches none). */
  findOrganization(lookup: OrganizationLookup): Promise<OrganizationRecord | null>;
  /** Atomic: deletes the organization and everything in it. False when it does not exist. */
  deleteOrganization(organizationId: string): Promise<boolean>;

  // ── Members ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Atomic. Stores a new member of an existing organization (`organization_not_found` otherwise, also when it is
   * deleted concurrently), unless a member of that organization has the same `emailAddress.toLowerCase()` or the same
   * non-empty external ID (`conflict`, naming the e-mail first). Of concurrent inserts with one e-mail, exactly one succeeds.
   */
  insertMember(member: MemberRecord): Promise<InsertMemberResult>;
  /** The member of `organizationId` the lookup names (never through another organization; `""` matches none). */
  findMember(organizationId: string, lookup: MemberLookup): Promise<MemberRecord | null>;
  /** Applies `patch` and returns the member as it now stands, or null when it does not exist. */
  updateMember(organizationId: string, memberId: string, patch: MemberPatch): Promise<MemberRecord | null>;
  /** Atomic: deletes the member with its registrations, recovery codes and sessions. False when it does not exist. */
  deleteMember(organizationId: string, memberId: string): Promise<boolean>;

  // ── MFA attempts ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Everything an MFA attempt (authenticate, recover) reads before it checks a code, and its reservation, in one
   * round trip where the store can. Atomic reservation: when the organization and member are found, the member is
   * `active`, the presented session is live at `reservation.at` (an IST: `expiresAt > at`; a member session: not revoked
   * and `expiresAt > at`) and belongs to that member (same organization and member IDs), and the member has the
   * registration `query.registration` asks for (a pending one counts only while `expiresAt > at`), then core's
   * `reserveAttempt(state, reservation)` is applied to the member's lockout fields: `reserved` (the count written) or
   * `locked` (nothing written). Otherwise `reservation` is null and nothing is written. Under any number of concurrent
   * calls for one member, at most `maxFailedAttempts` are reserved per lock window.
   */
  beginMfaAttempt(query: MfaAttemptQuery): Promise<MfaAttemptContext>;
  /**
   * Atomic: everything a successful MFA attempt writes, or nothing. The target session is checked first (not live:
   * `session_not_found`, and the spend is not looked at); then the spend's condition (failing: `spend_refused`); then
   * the spend, the session's write and the member's write happen together. Under any number of concurrent calls with
   * one IST, exactly one is granted; with one step or recovery code to spend, at most one is granted, whichever
   * sessions they name, and the others keep their IST; of concurrent extensions of one session, no granted call's
   * factor is lost. The store does not check that the IST or session belongs to `grant.member`: `beginMfaAttempt` did.
   */
  grantMfaSession(grant: MfaGrant): Promise<MfaGrantResult>;

  // ── TOTP registrations and recovery codes ──────────────────────────────────────────────────────────────

  /** The member's active and pending registrations (an expired pending one is still returned: expiry is core's rule). */
  findRegistrations(organizationId: string, memberId: string): Promise<MemberRegistrations>;
  /**
   * Atomic. Stores `registration` with its recovery code hashes, first deleting the member's pending registration and
   * its codes. When `registration.status` is `active` it also sets the member's `totpRegistrationId` to it and applies
   * `memberPatch`. `active_totp_exists` when the member has an active registration, `member_not_found` when it does not
   * exist: both write nothing. Concurrent saves for one member leave exactly one caller's registration, whole.
   */
  saveRegistration(
    registration: TotpRegistrationRecord,
    recoveryCodes: readonly RecoveryCodeHash[],
    memberPatch?: MemberPatch,
  ): Promise<SaveRegistrationResult>;
  /**
   * Atomic. Deletes all of the member's registrations and their codes, sets the member's `totpRegistrationId` to `""`
   * and, if it was `totp`, `defaultMfaMethod` to `""`, with `updatedAt = at`. Returns how many registrations went.
   */
  deleteRegistrations(organizationId: string, memberId: string, at: Date): Promise<number>;
  /** How many unused recovery codes the registration has (0 when none, or no such registration). */
  countRecoveryCodes(totpRegistrationId: string): Promise<number>;
  /**
   * Atomic. Replaces every code of the registration: no moment exists where old and new codes both work, or neither.
   * False (writing nothing) when the registration does not exist.
   */
  replaceRecoveryCodes(totpRegistrationId: string, recoveryCodes: readonly RecoveryCodeHash[]): Promise<boolean>;

  // ── Sessions ───────────────────────────────────────────────────────────────────────────────────────────

  /** Stores a new intermediate session; `member_not_found` (writing nothing) when its member does not exist. */
  insertIntermediateSession(session: IntermediateSessionRecord): Promise<'inserted' | 'member_not_found'>;
  /** The intermediate session with this token hash, unconsumed (expired ones included), or null. */
  findIntermediateSession(tokenHash: string): Promise<IntermediateSessionRecord | null>;
  /** Stores a new member session; `member_not_found` (writing nothing) when its member does not exist. */
  insertMemberSession(session: MemberSessionRecord): Promise<'inserted' | 'member_not_found'>;
  /** The member session with this token hash or ID (revoked and expired ones included), or null. */
  findMemberSession(lookup: { tokenHash: string } | { memberSessionId: string }): Promise<MemberSessionRecord | null>;
  /**
   * Atomic. For a live session (not revoked, `expiresAt > at`): `lastAccessedAt = at`, `expiresAt = max(current,
   * extension.expiresAt)`, custom claims replaced when given; returns the session as it now stands, or null.
   */
  extendMemberSession(memberSessionId: string, extension: MemberSessionExtension): Promise<MemberSessionRecord | null>;
  /** Marks revoked at `at` the one session, or every session of the member, not yet revoked. Returns how many. */
  revokeMemberSessions(which: { memberSessionId: string } | { memberId: string }, at: Date): Promise<number>;

  // ── Housekeeping ───────────────────────────────────────────────────────────────────────────────────────

  /**
   * Deletes what can never be used again: intermediate sessions with `expiresAt <= before`, member sessions with
   * `expiresAt <= before` or `revokedAt <= before`, pending registrations with `expiresAt <= before` with their codes.
   * Never an active registration. Safe from any number of processes at once. Returns how many of each went.
   */
  purgeExpired(before: Date): Promise<PurgeCounts>;
}
