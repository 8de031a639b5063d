// The repository port over plain Maps: for tests, demos and single-process apps (state is lost on exit).
// Every method does its checks and writes synchronously, with no await in between, so each is atomic on Node's event loop.

import {
  TotpError,
  lockoutAfterSuccess,
  reserveAttempt,
  type LockoutState,
  type AuthenticationFactor,
  type ExchangeSpend,
  type IntermediateSessionRecord,
  type MemberRecord,
  type MemberRegistrations,
  type MemberLookup,
  type MemberSessionRecord,
  type MemberSessionUpdate,
  type MfaContext,
  type OrganizationLookup,
  type OrganizationRecord,
  type RecoveryCodeHash,
  type SaveRegistrationResult,
  type TotpRegistrationRecord,
  type TotpRepository,
} from '@totp/core';

/** Everything the store holds, as plain data: what a database dump would show an attacker. */
export interface MemoryRepositoryDump {
  organizations: OrganizationRecord[];
  members: MemberRecord[];
  registrations: TotpRegistrationRecord[];
  recoveryCodes: Array<RecoveryCodeHash & { totpRegistrationId: string }>;
  intermediateSessions: IntermediateSessionRecord[];
  memberSessions: MemberSessionRecord[];
}

export interface MemoryRepository extends TotpRepository {
  /** A deep copy of every stored record. */
  dump(): MemoryRepositoryDump;
}

/**
 * Records are copied in and out so that no caller holds a reference into the store. Records are plain data
 * (objects, arrays, Dates, JSON values), so a direct walk does it several times faster than structuredClone,
 * which showed as a tenth of an HTTP authenticate's CPU time.
 */
function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (ArrayBuffer.isView(value)) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[name];
    const item = field === null || typeof field !== 'object' ? field : copy(field);
    // A JSON key "__proto__" must stay a plain property, not become the prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value: item, enumerable: true, writable: true, configurable: true });
    else out[name] = item;
  }
  return out as T;
}
// Copies of the records an authenticate reads, field by field: a spread plus fresh Dates and a walk of the JSON parts
// only, several times cheaper than walking every field. memory-copies.test.ts checks no object is ever shared.
const date = (value: Date): Date => new Date(value.getTime());
const dateOrNull = (value: Date | null): Date | null => (value === null ? null : new Date(value.getTime()));
function copyOrganization(o: OrganizationRecord): OrganizationRecord {
  return { ...o, allowedMfaMethods: [...o.allowedMfaMethods], createdAt: date(o.createdAt), updatedAt: date(o.updatedAt) };
}
function copyMember(m: MemberRecord): MemberRecord {
  return {
    ...m,
    lockCreatedAt: dateOrNull(m.lockCreatedAt),
    lockExpiresAt: dateOrNull(m.lockExpiresAt),
    createdAt: date(m.createdAt),
    updatedAt: date(m.updatedAt),
  };
}
function copyRegistration(r: TotpRegistrationRecord): TotpRegistrationRecord {
  return { ...r, secret: { ...r.secret }, expiresAt: dateOrNull(r.expiresAt), createdAt: date(r.createdAt), activatedAt: dateOrNull(r.activatedAt) };
}

/** The fields of a factor core writes (sessions.ts newFactor), in its order: five strings, then at most one detail. */
const FACTOR_TEXTS = ['type', 'delivery_method', 'last_authenticated_at', 'created_at', 'updated_at'] as const;

/** An object literal or JSON object (no class, no array): `copy` makes such objects field for field. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** True when `value` is a plain object whose only field is the string `name`. */
function isOneText(value: unknown, name: string): boolean {
  if (!isPlainObject(value)) return false;
  let fields = 0;
  for (const field in value) {
    if (field !== name || fields > 0 || typeof (value as Record<string, unknown>)[field] !== 'string') return false;
    fields += 1;
  }
  return fields === 1;
}

/**
 * A factor of the shape core writes, copied as one object literal; any other shape (the port accepts any JSON)
 * takes the generic walk. Every session read copies its factors, and the walk (a key array per object, properties
 * added one by one) was most of what a session copy allocated. `for...in` lists the keys without an array.
 */
function copyFactor(f: AuthenticationFactor): AuthenticationFactor {
  if (!isPlainObject(f)) return copy(f);
  let fields = 0;
  let detail: 'app' | 'recovery' | null = null;
  for (const name in f) {
    if (fields < 5) {
      if (name !== FACTOR_TEXTS[fields] || typeof f[name] !== 'string') return copy(f);
    } else if (fields === 5 && name === 'authenticator_app_factor' && isOneText(f.authenticator_app_factor, 'totp_id')) {
      detail = 'app';
    } else if (fields === 5 && name === 'recovery_code_factor' && isOneText(f.recovery_code_factor, 'totp_recovery_code_id')) {
      detail = 'recovery';
    } else {
      return copy(f);
    }
    fields += 1;
  }
  if (fields < 5) return copy(f);
  const { type, delivery_method, last_authenticated_at, created_at, updated_at } = f;
  if (detail === 'app') {
    const app = f.authenticator_app_factor as { totp_id: string };
    return { type, delivery_method, last_authenticated_at, created_at, updated_at, authenticator_app_factor: { totp_id: app.totp_id } };
  }
  if (detail === 'recovery') {
    const recovery = f.recovery_code_factor as { totp_recovery_code_id: string };
    return {
      type,
      delivery_method,
      last_authenticated_at,
      created_at,
      updated_at,
      recovery_code_factor: { totp_recovery_code_id: recovery.totp_recovery_code_id },
    };
  }
  return { type, delivery_method, last_authenticated_at, created_at, updated_at };
}
const copyFactors = (factors: AuthenticationFactor[]): AuthenticationFactor[] =>
  Array.isArray(factors) ? factors.map(copyFactor) : copy(factors);

/** Custom claims are most often `{}`: a fresh `{}` then, without the walk (`for...in` finds any key, own or not). */
function copyClaims(claims: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(claims)) return copy(claims);
  for (const _ in claims) return copy(claims);
  return {};
}

function copyMemberSession(s: MemberSessionRecord): MemberSessionRecord {
  return {
    ...s,
    startedAt: date(s.startedAt),
    lastAccessedAt: date(s.lastAccessedAt),
    expiresAt: date(s.expiresAt),
    revokedAt: dateOrNull(s.revokedAt),
    authenticationFactors: copyFactors(s.authenticationFactors),
    customClaims: copyClaims(s.customClaims),
  };
}
function copyIntermediateSession(s: IntermediateSessionRecord): IntermediateSessionRecord {
  return { ...s, authenticationFactors: copyFactors(s.authenticationFactors), createdAt: date(s.createdAt), expiresAt: date(s.expiresAt) };
}
const orNull = <T>(copier: (value: T) => T) => (value: T | null | undefined): T | null =>
  value === null || value === undefined ? null : copier(value);
const organizationCopy = orNull(copyOrganization);
const memberCopy = orNull(copyMember);
const registrationCopy = orNull(copyRegistration);
const memberSessionCopy = orNull(copyMemberSession);
const intermediateSessionCopy = orNull(copyIntermediateSession);

const key = (...parts: string[]) => parts.join('\u0000');

/** A copy of the member's lockout fields, as core's lockout rules read them. */
const lockoutOf = (m: MemberRecord): LockoutState => ({
  failedAttempts: m.failedMfaAttempts,
  lockCreatedAt: dateOrNull(m.lockCreatedAt),
  lockExpiresAt: dateOrNull(m.lockExpiresAt),
});
function setLockout(m: MemberRecord, state: LockoutState): void {
  m.failedMfaAttempts = state.failedAttempts;
  m.lockCreatedAt = dateOrNull(state.lockCreatedAt);
  m.lockExpiresAt = dateOrNull(state.lockExpiresAt);
}

/**
 * Drops the factors with `factor`'s type and delivery method and appends a copy of it, in place, as `filter` then
 * a spread would (holes dropped too). The copy is made and every factor looked at before anything moves, so a
 * malformed one throws with the array as it was.
 */
function replaceFactor(factors: AuthenticationFactor[], factor: AuthenticationFactor): void {
  const added = copyFactor(factor);
  let keep = 0;
  for (let i = 0; i < factors.length; i++) {
    if (i in factors && !sameKind(factors[i]!, factor)) keep += 1;
  }
  if (keep !== factors.length) {
    let kept = 0;
    for (let i = 0; i < factors.length; i++) {
      if (i in factors && !sameKind(factors[i]!, factor)) factors[kept++] = factors[i]!;
    }
  }
  factors[keep] = added;
  factors.length = keep + 1;
}

/**
 * extendMemberSession's update of a live session, made in place: the stored Dates and factor array are the store's
 * own (every write copies). Whatever can throw (a malformed factor, custom claims that cannot be copied) throws
 * before anything has changed.
 */
function extendInPlace(session: MemberSessionRecord, update: MemberSessionUpdate): void {
  const claims = update.customClaims === undefined ? undefined : copyClaims(update.customClaims);
  const atMs = timeOf(update.at);
  const expiresAtMs = update.expiresAt > session.expiresAt ? timeOf(update.expiresAt) : undefined;
  const { factor } = update;
  if (factor) {
    const factors: unknown = session.authenticationFactors;
    if (Array.isArray(factors)) {
      replaceFactor(factors, factor);
    } else {
      // Only a caller that stored something else than an array gets here: the old way, whatever its `filter` does.
      session.authenticationFactors = [...(factors as AuthenticationFactor[]).filter((f) => !sameKind(f, factor)), copy(factor)];
    }
  }
  session.lastAccessedAt.setTime(atMs);
  if (expiresAtMs !== undefined) session.expiresAt.setTime(expiresAtMs);
  if (claims !== undefined) session.customClaims = claims;
}

/** extendMemberSession's rule: a factor replaces the one with its type and delivery method. */
const sameKind = (f: AuthenticationFactor, factor: AuthenticationFactor) => f.type === factor.type && f.delivery_method === factor.delivery_method;

/** `new Date(value)`'s time value, without making the Date when `value` is one (as core's always is). */
const timeOf = (value: Date): number => (value instanceof Date ? value.getTime() : new Date(value).getTime());

/** consumeRecoveryCode's match, shared with the `recovery_code` spend: the index of the code, or -1. */
const matchingCode = (codes: readonly RecoveryCodeHash[], candidates: readonly RecoveryCodeHash[]) =>
  codes.findIndex((c) => candidates.some((k) => k.keyId === c.keyId && k.hash === c.hash));

/** recordAcceptedStep's condition, shared with the `totp_step` spend. */
const stepIsNew = (registration: TotpRegistrationRecord, step: number) =>
  registration.lastAcceptedStep === null || registration.lastAcceptedStep < step;

export function createMemoryRepository(): MemoryRepository {
  const organizations = new Map<string, OrganizationRecord>();
  const members = new Map<string, MemberRecord>();
  const registrations = new Map<string, TotpRegistrationRecord>();
  const recoveryCodes = new Map<string, RecoveryCodeHash[]>();
  const intermediateSessions = new Map<string, IntermediateSessionRecord>();
  const memberSessions = new Map<string, MemberSessionRecord>();
  // Indexes for the lookups every authenticate makes; rarer lookups (provisioning) scan.
  const organizationIdBySlug = new Map<string, string>();
  const registrationIdsByMember = new Map<string, Set<string>>();
  // The stored record itself (the same object as in memberSessions): one lookup per authenticate, not two.
  const memberSessionsByTokenHash = new Map<string, MemberSessionRecord>();

  const organizationByLookup = (lookup: OrganizationLookup): OrganizationRecord | undefined => {
    if (lookup.by === 'id') return organizations.get(lookup.value);
    if (lookup.by === 'slug') {
      const id = organizationIdBySlug.get(lookup.value);
      return id === undefined ? undefined : organizations.get(id);
    }
    return lookup.value === '' ? undefined : organizationWhere((o) => o.organizationExternalId === lookup.value) ?? undefined;
  };
  const memberByLookup = (organizationId: string, lookup: MemberLookup): MemberRecord | undefined => {
    if (lookup.by === 'id') return memberOf(organizationId, lookup.value);
    if (lookup.value === '') return undefined;
    return [...members.values()].find((m) => m.organizationId === organizationId && m.externalId === lookup.value);
  };
  /** The registrations of the member stored under `memberKey` (`key(organizationId, memberId)`). */
  const registrationsFor = (memberKey: string): MemberRegistrations => {
    // Read on every MFA attempt: one pass over the member's (at most two) registrations, no intermediate arrays.
    const found: MemberRegistrations = { active: null, pending: null };
    for (const id of registrationIdsByMember.get(memberKey) ?? []) {
      const registration = registrations.get(id);
      if (registration !== undefined && found[registration.status] === null) found[registration.status] = copyRegistration(registration);
    }
    return found;
  };
  const memberSessionByTokenHash = (tokenHash: string): MemberSessionRecord | null => memberSessionsByTokenHash.get(tokenHash) ?? null;
  /** The stored session with this ID if it is live at `at` (not revoked, `expiresAt > at`). */
  const liveMemberSession = (memberSessionId: string, at: Date): MemberSessionRecord | undefined => {
    const session = memberSessions.get(memberSessionId);
    return session === undefined || session.revokedAt !== null || session.expiresAt <= at ? undefined : session;
  };
  /** A spend's condition, checked without changing anything (makeSpend then makes it, and cannot throw). */
  const canSpend = (spend: ExchangeSpend): boolean => {
    if (spend.kind === 'totp_step') {
      const registration = registrations.get(spend.totpRegistrationId);
      return registration !== undefined && registration.status === 'active' && stepIsNew(registration, spend.step);
    }
    const codes = recoveryCodes.get(spend.totpRegistrationId);
    return codes !== undefined && matchingCode(codes, spend.candidates) >= 0;
  };
  /**
   * Makes a spend canSpend allowed, with no await in between: returns the recovery codes left for a `recovery_code`
   * spend. Looked up again rather than carried over in a closure: a grant then allocates nothing for its spend.
   */
  const makeSpend = (spend: ExchangeSpend): number | undefined => {
    if (spend.kind === 'totp_step') {
      registrations.get(spend.totpRegistrationId)!.lastAcceptedStep = spend.step;
      return undefined;
    }
    const codes = recoveryCodes.get(spend.totpRegistrationId)!;
    codes.splice(matchingCode(codes, spend.candidates), 1);
    return codes.length;
  };
  const storeMemberSession = (session: MemberSessionRecord) => {
    if (memberSessions.has(session.memberSessionId) || memberSessionsByTokenHash.has(session.tokenHash)) {
      throw new Error('insertMemberSession: duplicate session ID or token hash');
    }
    const stored = copyMemberSession(session);
    memberSessions.set(session.memberSessionId, stored);
    memberSessionsByTokenHash.set(session.tokenHash, stored);
  };

  const organizationWhere = (match: (o: OrganizationRecord) => boolean) =>
    [...organizations.values()].find(match) ?? null;
  const memberOf = (organizationId: string, memberId: string) => members.get(key(organizationId, memberId));
  const registrationsOf = (organizationId: string, memberId: string): TotpRegistrationRecord[] =>
    [...(registrationIdsByMember.get(key(organizationId, memberId)) ?? [])].flatMap((id) => {
      const found = registrations.get(id);
      return found ? [found] : [];
    });
  const addRegistration = (registration: TotpRegistrationRecord) => {
    registrations.set(registration.totpRegistrationId, copyRegistration(registration));
    const owner = key(registration.organizationId, registration.memberId);
    const ids = registrationIdsByMember.get(owner) ?? new Set<string>();
    ids.add(registration.totpRegistrationId);
    registrationIdsByMember.set(owner, ids);
  };
  const deleteRegistration = (totpRegistrationId: string) => {
    const registration = registrations.get(totpRegistrationId);
    if (registration) registrationIdsByMember.get(key(registration.organizationId, registration.memberId))?.delete(totpRegistrationId);
    registrations.delete(totpRegistrationId);
    recoveryCodes.delete(totpRegistrationId);
  };
  const deleteMemberData = (organizationId: string, memberId: string) => {
    for (const r of registrationsOf(organizationId, memberId)) deleteRegistration(r.totpRegistrationId);
    for (const [hash, s] of intermediateSessions) {
      if (s.organizationId === organizationId && s.memberId === memberId) intermediateSessions.delete(hash);
    }
    for (const [id, s] of memberSessions) {
      if (s.organizationId === organizationId && s.memberId === memberId) {
        memberSessions.delete(id);
        memberSessionsByTokenHash.delete(s.tokenHash);
      }
    }
    members.delete(key(organizationId, memberId));
  };

  return {
    async insertOrganization(organization) {
      // A slug or external ID names one organization only: neither may be another organization's slug or external ID.
      const taken = (identifier: string) => organizationIdBySlug.has(identifier) || organizationWhere((o) => o.organizationExternalId === identifier) !== null;
      if (taken(organization.organizationSlug)) {
        throw new TotpError('duplicate_organization_slug', 'another organization uses this organization_slug as its slug or external ID');
      }
      const externalId = organization.organizationExternalId;
      if (externalId !== '' && taken(externalId)) {
        throw new TotpError('duplicate_organization_external_id', 'another organization uses this organization_external_id as its slug or external ID');
      }
      organizations.set(organization.organizationId, copyOrganization(organization));
      organizationIdBySlug.set(organization.organizationSlug, organization.organizationId);
    },

    async findOrganizationById(organizationId) {
      return organizationCopy(organizations.get(organizationId));
    },

    async findOrganizationBySlug(organizationSlug) {
      const id = organizationIdBySlug.get(organizationSlug);
      return organizationCopy(id === undefined ? undefined : organizations.get(id));
    },

    async findOrganizationByExternalId(externalId) {
      return externalId === '' ? null : organizationCopy(organizationWhere((o) => o.organizationExternalId === externalId));
    },

    async insertMember(member) {
      if (!organizations.has(member.organizationId)) throw new TotpError('organization_not_found', 'the organization does not exist');
      const own = [...members.values()].filter((m) => m.organizationId === member.organizationId);
      const email = member.emailAddress.toLowerCase();
      if (own.some((m) => m.emailAddress.toLowerCase() === email)) {
        throw new TotpError('duplicate_member_email', 'a member of this organization has this email_address');
      }
      if (member.externalId !== '' && own.some((m) => m.externalId === member.externalId)) {
        throw new TotpError('duplicate_member_external_id', 'a member of this organization has this external_id');
      }
      members.set(key(member.organizationId, member.memberId), copyMember(member));
    },

    async findMemberById(organizationId, memberId) {
      return memberCopy(memberOf(organizationId, memberId));
    },

    async findMemberByExternalId(organizationId, externalId) {
      if (externalId === '') return null;
      const found = [...members.values()].find((m) => m.organizationId === organizationId && m.externalId === externalId);
      return memberCopy(found);
    },

    async findMemberByEmail(organizationId, emailAddress) {
      const email = emailAddress.toLowerCase();
      const found = [...members.values()].find((m) => m.organizationId === organizationId && m.emailAddress.toLowerCase() === email);
      return memberCopy(found);
    },

    async deleteMember(organizationId, memberId) {
      if (!memberOf(organizationId, memberId)) return false;
      deleteMemberData(organizationId, memberId);
      return true;
    },

    async deleteOrganization(organizationId) {
      if (!organizations.has(organizationId)) return false;
      for (const m of [...members.values()]) {
        if (m.organizationId === organizationId) deleteMemberData(organizationId, m.memberId);
      }
      const organization = organizations.get(organizationId);
      if (organization) organizationIdBySlug.delete(organization.organizationSlug);
      organizations.delete(organizationId);
      return true;
    },

    async updateMemberMfa(organizationId, memberId, patch) {
      const member = memberOf(organizationId, memberId);
      if (!member) return false;
      if (patch.mfaEnrolled !== undefined) member.mfaEnrolled = patch.mfaEnrolled;
      if (patch.defaultMfaMethod !== undefined) member.defaultMfaMethod = patch.defaultMfaMethod;
      member.updatedAt = new Date(patch.updatedAt);
      return true;
    },

    async reserveMfaAttempt(organizationId, memberId, reservation) {
      const member = memberOf(organizationId, memberId);
      if (!member) return null;
      const result = reserveAttempt(lockoutOf(member), reservation);
      if (!result.reserved) return { status: 'locked' };
      setLockout(member, result.state);
      return { status: 'reserved', lockStarted: result.lockStarted };
    },

    async clearMfaAttempts(organizationId, memberId, at, startedLockAt) {
      const member = memberOf(organizationId, memberId);
      if (!member) return null;
      const state = lockoutAfterSuccess(lockoutOf(member), at, startedLockAt);
      setLockout(member, state);
      return lockoutOf(member);
    },

    async findMfaContext(query): Promise<MfaContext> {
      const organization = organizationByLookup(query.organization) ?? null;
      // The key the member is stored under also finds its registrations: an ID lookup builds it once.
      let member: MemberRecord | null = null;
      let memberKey = '';
      if (organization !== null) {
        const lookup = query.member;
        if (lookup.by === 'id') {
          memberKey = key(organization.organizationId, lookup.value);
          member = members.get(memberKey) ?? null;
        } else {
          member = memberByLookup(organization.organizationId, lookup) ?? null;
          if (member !== null) memberKey = key(member.organizationId, member.memberId);
        }
      }
      return {
        organization: organizationCopy(organization),
        member: memberCopy(member),
        registrations: member === null ? { active: null, pending: null } : registrationsFor(memberKey),
        intermediateSession:
          query.intermediateSessionTokenHash === undefined ? null : intermediateSessionCopy(intermediateSessions.get(query.intermediateSessionTokenHash)),
        memberSession: query.memberSessionTokenHash === undefined ? null : memberSessionCopy(memberSessionByTokenHash(query.memberSessionTokenHash)),
      };
    },

    async findRegistrations(organizationId, memberId): Promise<MemberRegistrations> {
      return registrationsFor(key(organizationId, memberId));
    },

    async saveRegistration(registration, codes): Promise<SaveRegistrationResult> {
      if (!memberOf(registration.organizationId, registration.memberId)) return 'member_not_found';
      const own = registrationsOf(registration.organizationId, registration.memberId);
      if (own.some((r) => r.status === 'active')) return 'active_totp_exists';
      const member = memberOf(registration.organizationId, registration.memberId);
      if (!member) return 'member_not_found';
      for (const previous of own) deleteRegistration(previous.totpRegistrationId);
      addRegistration(registration);
      recoveryCodes.set(registration.totpRegistrationId, copy([...codes]));
      if (registration.status === 'active') member.totpRegistrationId = registration.totpRegistrationId;
      return 'saved';
    },

    async recordAcceptedStep(totpRegistrationId, step, activate) {
      const registration = registrations.get(totpRegistrationId);
      if (!registration) return false;
      if (!stepIsNew(registration, step)) return false;
      if (activate === undefined) {
        if (registration.status !== 'active') return false;
      } else {
        const live = registration.status === 'pending' && registration.expiresAt !== null && registration.expiresAt > activate.at;
        const member = memberOf(registration.organizationId, registration.memberId);
        if (!live || !member) return false;
        registration.status = 'active';
        registration.expiresAt = null;
        registration.activatedAt = new Date(activate.at);
        member.totpRegistrationId = totpRegistrationId;
        member.updatedAt = new Date(activate.at);
      }
      registration.lastAcceptedStep = step;
      return true;
    },

    async deleteRegistrations(organizationId, memberId, updatedAt) {
      const own = registrationsOf(organizationId, memberId);
      for (const r of own) deleteRegistration(r.totpRegistrationId);
      const member = memberOf(organizationId, memberId);
      if (member && own.length > 0) {
        member.totpRegistrationId = '';
        if (member.defaultMfaMethod === 'totp') member.defaultMfaMethod = '';
        member.updatedAt = new Date(updatedAt);
      }
      return own.length;
    },

    async listRecoveryCodeHashes(totpRegistrationId) {
      return copy(recoveryCodes.get(totpRegistrationId) ?? []);
    },

    async consumeRecoveryCode(totpRegistrationId, candidates) {
      const codes = recoveryCodes.get(totpRegistrationId);
      if (!codes) return null;
      const index = matchingCode(codes, candidates);
      if (index < 0) return null;
      codes.splice(index, 1);
      return codes.length;
    },

    async replaceRecoveryCodes(totpRegistrationId, codes) {
      if (!registrations.has(totpRegistrationId)) return false;
      recoveryCodes.set(totpRegistrationId, copy([...codes]));
      return true;
    },

    async insertIntermediateSession(session) {
      if (!memberOf(session.organizationId, session.memberId)) throw new TotpError('member_not_found', 'the member does not exist');
      if (intermediateSessions.has(session.tokenHash)) throw new Error('insertIntermediateSession: duplicate token hash');
      intermediateSessions.set(session.tokenHash, copyIntermediateSession(session));
    },

    async findIntermediateSession(tokenHash) {
      return intermediateSessionCopy(intermediateSessions.get(tokenHash));
    },

    async exchangeIntermediateSession(tokenHash, at, session, spend) {
      const consumed = intermediateSessions.get(tokenHash);
      if (!consumed || consumed.expiresAt <= at) return { status: 'intermediate_session_not_found' };
      // Every condition is checked before anything changes; then all of it happens, synchronously.
      if (spend !== undefined && !canSpend(spend)) return { status: 'spend_refused' };
      storeMemberSession(session); // throws before anything changed if the session cannot be stored
      intermediateSessions.delete(tokenHash);
      const recoveryCodesRemaining = spend === undefined ? undefined : makeSpend(spend);
      // Out of the store now, so the record itself is the caller's to keep: no copy is needed to share nothing.
      return recoveryCodesRemaining === undefined ? { status: 'exchanged', consumed } : { status: 'exchanged', consumed, recoveryCodesRemaining };
    },

    async insertMemberSession(session) {
      storeMemberSession(session);
    },

    async findMemberSessionByTokenHash(tokenHash) {
      return memberSessionCopy(memberSessionByTokenHash(tokenHash));
    },

    async findMemberSessionById(memberSessionId) {
      return memberSessionCopy(memberSessions.get(memberSessionId));
    },

    async extendMemberSession(memberSessionId, update) {
      const session = liveMemberSession(memberSessionId, update.at);
      if (session === undefined) return null;
      extendInPlace(session, update);
      return copyMemberSession(session);
    },

    async extendMemberSessionWithSpend(memberSessionId, update, spend) {
      const session = liveMemberSession(memberSessionId, update.at);
      if (session === undefined) return { status: 'session_not_found' };
      if (!canSpend(spend)) return { status: 'spend_refused' };
      extendInPlace(session, update); // throws before anything changed, and then nothing is spent either
      const recoveryCodesRemaining = makeSpend(spend);
      const extended = copyMemberSession(session);
      return recoveryCodesRemaining === undefined
        ? { status: 'extended', session: extended }
        : { status: 'extended', session: extended, recoveryCodesRemaining };
    },

    async revokeMemberSession(memberSessionId, at) {
      const session = memberSessions.get(memberSessionId);
      if (!session) return false;
      session.revokedAt ??= new Date(at);
      return true;
    },

    async revokeMemberSessions(memberId, at) {
      let count = 0;
      for (const s of memberSessions.values()) {
        if (s.memberId === memberId && s.revokedAt === null) {
          s.revokedAt = new Date(at);
          count += 1;
        }
      }
      return count;
    },

    async purgeExpired(before) {
      const counts = { intermediateSessions: 0, memberSessions: 0, pendingRegistrations: 0 };
      for (const [hash, s] of intermediateSessions) {
        if (s.expiresAt <= before) {
          intermediateSessions.delete(hash);
          counts.intermediateSessions += 1;
        }
      }
      for (const [id, s] of memberSessions) {
        if (s.expiresAt <= before || (s.revokedAt !== null && s.revokedAt <= before)) {
          memberSessions.delete(id);
          memberSessionsByTokenHash.delete(s.tokenHash);
          counts.memberSessions += 1;
        }
      }
      for (const r of [...registrations.values()]) {
        if (r.status === 'pending' && r.expiresAt !== null && r.expiresAt <= before) {
          deleteRegistration(r.totpRegistrationId);
          counts.pendingRegistrations += 1;
        }
      }
      return counts;
    },

    dump() {
      return copy({
        organizations: [...organizations.values()],
        members: [...members.values()],
        registrations: [...registrations.values()],
        recoveryCodes: [...recoveryCodes.entries()].flatMap(([totpRegistrationId, hashes]) =>
          hashes.map((h) => ({ ...h, totpRegistrationId })),
        ),
        intermediateSessions: [...intermediateSessions.values()],
        memberSessions: [...memberSessions.values()],
      });
    },
  };
}
