// The repository port over plain Maps: for tests, demos and single-process apps (state is lost on exit).
// Every method does its checks and writes synchronously, with no await in between, so each is atomic on Node's event loop.

import {
  TotpError,
  type IntermediateSessionRecord,
  type MemberRecord,
  type MemberRegistrations,
  type MemberLookup,
  type MemberSessionRecord,
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
function copyMemberSession(s: MemberSessionRecord): MemberSessionRecord {
  return {
    ...s,
    startedAt: date(s.startedAt),
    lastAccessedAt: date(s.lastAccessedAt),
    expiresAt: date(s.expiresAt),
    revokedAt: dateOrNull(s.revokedAt),
    authenticationFactors: copy(s.authenticationFactors),
    customClaims: copy(s.customClaims),
  };
}
function copyIntermediateSession(s: IntermediateSessionRecord): IntermediateSessionRecord {
  return { ...s, authenticationFactors: copy(s.authenticationFactors), createdAt: date(s.createdAt), expiresAt: date(s.expiresAt) };
}
const orNull = <T>(copier: (value: T) => T) => (value: T | null | undefined): T | null =>
  value === null || value === undefined ? null : copier(value);
const organizationCopy = orNull(copyOrganization);
const memberCopy = orNull(copyMember);
const registrationCopy = orNull(copyRegistration);
const memberSessionCopy = orNull(copyMemberSession);
const intermediateSessionCopy = orNull(copyIntermediateSession);

const key = (...parts: string[]) => parts.join('\u0000');

/** consumeRecoveryCode's match, shared with the exchange's `recovery_code` spend: the index of the code, or -1. */
const matchingCode = (codes: readonly RecoveryCodeHash[], candidates: readonly RecoveryCodeHash[]) =>
  codes.findIndex((c) => candidates.some((k) => k.keyId === c.keyId && k.hash === c.hash));

/** recordAcceptedStep's condition, shared with the exchange's `totp_step` spend. */
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
  const memberSessionIdByTokenHash = new Map<string, string>();

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
  const registrationsFor = (organizationId: string, memberId: string): MemberRegistrations => {
    // Read on every MFA attempt: one pass over the member's (at most two) registrations, no intermediate arrays.
    const found: MemberRegistrations = { active: null, pending: null };
    for (const id of registrationIdsByMember.get(key(organizationId, memberId)) ?? []) {
      const registration = registrations.get(id);
      if (registration !== undefined && found[registration.status] === null) found[registration.status] = copyRegistration(registration);
    }
    return found;
  };
  const memberSessionByTokenHash = (tokenHash: string): MemberSessionRecord | null => {
    const id = memberSessionIdByTokenHash.get(tokenHash);
    return (id === undefined ? undefined : memberSessions.get(id)) ?? null;
  };
  const storeMemberSession = (session: MemberSessionRecord) => {
    if (memberSessions.has(session.memberSessionId) || memberSessionIdByTokenHash.has(session.tokenHash)) {
      throw new Error('insertMemberSession: duplicate session ID or token hash');
    }
    memberSessions.set(session.memberSessionId, copyMemberSession(session));
    memberSessionIdByTokenHash.set(session.tokenHash, session.memberSessionId);
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
        memberSessionIdByTokenHash.delete(s.tokenHash);
      }
    }
    members.delete(key(organizationId, memberId));
  };

  return {
    async insertOrganization(organization) {
      if (organizationIdBySlug.has(organization.organizationSlug)) {
        throw new TotpError('duplicate_organization_slug', 'an organization with this organization_slug exists');
      }
      const externalId = organization.organizationExternalId;
      if (externalId !== '' && organizationWhere((o) => o.organizationExternalId === externalId)) {
        throw new TotpError('duplicate_organization_external_id', 'an organization with this organization_external_id exists');
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

    async incrementFailedMfaAttempts(organizationId, memberId) {
      const member = memberOf(organizationId, memberId);
      if (!member) return null;
      member.failedMfaAttempts += 1;
      return member.failedMfaAttempts;
    },

    async lockMember(organizationId, memberId, lockCreatedAt, lockExpiresAt) {
      const member = memberOf(organizationId, memberId);
      if (!member) return false;
      if (member.lockExpiresAt !== null && member.lockExpiresAt > lockCreatedAt) return false;
      member.lockCreatedAt = new Date(lockCreatedAt);
      member.lockExpiresAt = new Date(lockExpiresAt);
      member.failedMfaAttempts = 0;
      return true;
    },

    async resetFailedMfaAttempts(organizationId, memberId) {
      const member = memberOf(organizationId, memberId);
      if (!member) return;
      member.failedMfaAttempts = 0;
      member.lockCreatedAt = null;
      member.lockExpiresAt = null;
    },

    async findMfaContext(query): Promise<MfaContext> {
      const organization = organizationByLookup(query.organization) ?? null;
      const member = organization === null ? null : (memberByLookup(organization.organizationId, query.member) ?? null);
      return {
        organization: organizationCopy(organization),
        member: memberCopy(member),
        registrations: member === null ? { active: null, pending: null } : registrationsFor(member.organizationId, member.memberId),
        intermediateSession:
          query.intermediateSessionTokenHash === undefined ? null : intermediateSessionCopy(intermediateSessions.get(query.intermediateSessionTokenHash)),
        memberSession: query.memberSessionTokenHash === undefined ? null : memberSessionCopy(memberSessionByTokenHash(query.memberSessionTokenHash)),
      };
    },

    async findRegistrations(organizationId, memberId): Promise<MemberRegistrations> {
      return registrationsFor(organizationId, memberId);
    },

    async saveRegistration(registration, codes): Promise<SaveRegistrationResult> {
      const own = registrationsOf(registration.organizationId, registration.memberId);
      if (own.some((r) => r.status === 'active')) return 'active_totp_exists';
      const member = memberOf(registration.organizationId, registration.memberId);
      if (!member) throw new Error('saveRegistration: the member does not exist');
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
      let makeSpend = () => ({});
      if (spend?.kind === 'totp_step') {
        const registration = registrations.get(spend.totpRegistrationId);
        if (registration === undefined || registration.status !== 'active' || !stepIsNew(registration, spend.step)) {
          return { status: 'spend_refused' };
        }
        makeSpend = () => {
          registration.lastAcceptedStep = spend.step;
          return {};
        };
      } else if (spend?.kind === 'recovery_code') {
        const codes = recoveryCodes.get(spend.totpRegistrationId);
        const index = codes === undefined ? -1 : matchingCode(codes, spend.candidates);
        if (codes === undefined || index < 0) return { status: 'spend_refused' };
        makeSpend = () => {
          codes.splice(index, 1);
          return { recoveryCodesRemaining: codes.length };
        };
      }
      storeMemberSession(session); // throws before anything changed if the session cannot be stored
      intermediateSessions.delete(tokenHash);
      return { status: 'exchanged', consumed: copyIntermediateSession(consumed), ...makeSpend() };
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
      const session = memberSessions.get(memberSessionId);
      if (!session || session.revokedAt !== null || session.expiresAt <= update.at) return null;
      session.lastAccessedAt = new Date(update.at);
      if (update.expiresAt > session.expiresAt) session.expiresAt = new Date(update.expiresAt);
      const { factor } = update;
      if (factor) {
        session.authenticationFactors = [
          ...session.authenticationFactors.filter(
            (f) => !(f.type === factor.type && f.delivery_method === factor.delivery_method),
          ),
          copy(factor),
        ];
      }
      if (update.customClaims !== undefined) session.customClaims = copy(update.customClaims);
      return copyMemberSession(session);
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
          memberSessionIdByTokenHash.delete(s.tokenHash);
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
