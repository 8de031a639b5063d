// The repository port over plain Maps: for tests, demos and single-process apps (state is lost on exit).
// Every method does its checks and writes with no await in between, so each is atomic on Node's event loop.

import {
  lockoutAfterSuccess,
  reserveAttempt,
  withFactor,
  type IntermediateSessionRecord,
  type LockoutState,
  type MemberLookup,
  type MemberPatch,
  type MemberRecord,
  type MemberSessionRecord,
  type MfaAttemptQuery,
  type MfaSpend,
  type OrganizationLookup,
  type OrganizationRecord,
  type RecoveryCodeHash,
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

/** Records go in and out as copies, so that no caller holds a reference into the store. */
const copy = <T>(value: T): T => structuredClone(value);
const copyOrNull = <T>(value: T | undefined): T | null => (value === undefined ? null : copy(value));

const memberKey = (organizationId: string, memberId: string) => `${organizationId}\u0000${memberId}`;
const lockoutOf = (m: MemberRecord): LockoutState => ({
  failedAttempts: m.failedMfaAttempts,
  lockCreatedAt: m.lockCreatedAt,
  lockExpiresAt: m.lockExpiresAt,
});
const setLockout = (m: MemberRecord, state: LockoutState) => {
  m.failedMfaAttempts = state.failedAttempts;
  m.lockCreatedAt = state.lockCreatedAt === null ? null : new Date(state.lockCreatedAt);
  m.lockExpiresAt = state.lockExpiresAt === null ? null : new Date(state.lockExpiresAt);
};
const applyPatch = (m: MemberRecord, patch: MemberPatch) => {
  if (patch.mfaEnrolled !== undefined) m.mfaEnrolled = patch.mfaEnrolled;
  if (patch.defaultMfaMethod !== undefined) m.defaultMfaMethod = patch.defaultMfaMethod;
  m.updatedAt = new Date(patch.updatedAt);
};

export function createMemoryRepository(): MemoryRepository {
  const organizations = new Map<string, OrganizationRecord>();
  const members = new Map<string, MemberRecord>(); // by memberKey
  const registrations = new Map<string, TotpRegistrationRecord>();
  const recoveryCodes = new Map<string, RecoveryCodeHash[]>(); // by registration ID
  const intermediateSessions = new Map<string, IntermediateSessionRecord>(); // by token hash
  const memberSessions = new Map<string, MemberSessionRecord>(); // by ID
  // Indexes, kept in step with the maps above by the only functions that write them.
  const organizationIdByIdentifier = new Map<string, string>(); // slug or external ID → organization ID
  const memberKeyByEmail = new Map<string, string>(); // organizationId \0 lower-cased e-mail → memberKey
  const memberKeyByExternalId = new Map<string, string>(); // organizationId \0 external ID → memberKey
  const registrationIdsByMember = new Map<string, Set<string>>(); // memberKey → registration IDs
  const memberSessionIdByTokenHash = new Map<string, string>();

  const organizationOf = (lookup: OrganizationLookup): OrganizationRecord | undefined => {
    if (lookup.by === 'id') return organizations.get(lookup.value);
    const id = organizationIdByIdentifier.get(lookup.value);
    const found = id === undefined ? undefined : organizations.get(id);
    if (found === undefined) return undefined;
    return (lookup.by === 'slug' ? found.organizationSlug : found.organizationExternalId) === lookup.value ? found : undefined;
  };
  const memberOf = (organizationId: string, lookup: MemberLookup): MemberRecord | undefined => {
    if (lookup.value === '') return undefined;
    if (lookup.by === 'id') return members.get(memberKey(organizationId, lookup.value));
    const index = lookup.by === 'email' ? memberKeyByEmail : memberKeyByExternalId;
    const value = lookup.by === 'email' ? lookup.value.toLowerCase() : lookup.value;
    const key = index.get(memberKey(organizationId, value));
    return key === undefined ? undefined : members.get(key);
  };
  const registrationsOf = (key: string) => [...(registrationIdsByMember.get(key) ?? [])].map((id) => registrations.get(id)!);
  const registrationsFound = (key: string) => ({
    active: copyOrNull(registrationsOf(key).find((r) => r.status === 'active')),
    pending: copyOrNull(registrationsOf(key).find((r) => r.status === 'pending')),
  });
  const deleteRegistration = (registration: TotpRegistrationRecord) => {
    registrationIdsByMember.get(memberKey(registration.organizationId, registration.memberId))?.delete(registration.totpRegistrationId);
    registrations.delete(registration.totpRegistrationId);
    recoveryCodes.delete(registration.totpRegistrationId);
  };
  const deleteMemberSession = (session: MemberSessionRecord) => {
    memberSessions.delete(session.memberSessionId);
    memberSessionIdByTokenHash.delete(session.tokenHash);
  };
  const deleteMemberData = (member: MemberRecord) => {
    const key = memberKey(member.organizationId, member.memberId);
    for (const registration of registrationsOf(key)) deleteRegistration(registration);
    registrationIdsByMember.delete(key);
    for (const [hash, s] of intermediateSessions) if (s.memberId === member.memberId) intermediateSessions.delete(hash);
    for (const s of [...memberSessions.values()]) if (s.memberId === member.memberId) deleteMemberSession(s);
    memberKeyByEmail.delete(memberKey(member.organizationId, member.emailAddress.toLowerCase()));
    if (member.externalId !== '') memberKeyByExternalId.delete(memberKey(member.organizationId, member.externalId));
    members.delete(key);
  };
  const storeMemberSession = (session: MemberSessionRecord) => {
    if (memberSessions.has(session.memberSessionId) || memberSessionIdByTokenHash.has(session.tokenHash)) {
      throw new Error('@totp/memory: a member session with this ID or token hash exists');
    }
    memberSessions.set(session.memberSessionId, copy(session));
    memberSessionIdByTokenHash.set(session.tokenHash, session.memberSessionId);
  };
  const liveMemberSession = (memberSessionId: string, at: Date): MemberSessionRecord | undefined => {
    const session = memberSessions.get(memberSessionId);
    return session === undefined || session.revokedAt !== null || session.expiresAt <= at ? undefined : session;
  };
  const presentedSession = (query: MfaAttemptQuery) => {
    const session = query.session;
    if (session === undefined) return { intermediateSession: undefined, memberSession: undefined };
    if (session.kind === 'intermediate')
      return { intermediateSession: intermediateSessions.get(session.tokenHash), memberSession: undefined };
    const id = 'memberSessionId' in session ? session.memberSessionId : memberSessionIdByTokenHash.get(session.tokenHash);
    return { intermediateSession: undefined, memberSession: id === undefined ? undefined : memberSessions.get(id) };
  };
  /** The spend's condition, checked before anything changes; `makeSpend` then makes it and cannot fail. */
  const canSpend = (spend: MfaSpend, at: Date): boolean => {
    const registration = registrations.get(spend.totpRegistrationId);
    if (registration === undefined) return false;
    if (spend.kind === 'recovery_code') {
      const codes = recoveryCodes.get(spend.totpRegistrationId) ?? [];
      return codes.some((c) => spend.candidates.some((k) => k.keyId === c.keyId && k.hash === c.hash));
    }
    const stepIsNew = registration.lastAcceptedStep === null || registration.lastAcceptedStep < spend.step;
    if (spend.kind === 'totp_step') return registration.status === 'active' && stepIsNew;
    return registration.status === 'pending' && registration.expiresAt !== null && registration.expiresAt > at && stepIsNew;
  };
  const makeSpend = (spend: MfaSpend, at: Date, member: MemberRecord): number | null => {
    const registration = registrations.get(spend.totpRegistrationId)!;
    if (spend.kind === 'recovery_code') {
      const codes = recoveryCodes.get(spend.totpRegistrationId)!;
      codes.splice(
        codes.findIndex((c) => spend.candidates.some((k) => k.keyId === c.keyId && k.hash === c.hash)),
        1,
      );
      return codes.length;
    }
    registration.lastAcceptedStep = spend.step;
    if (spend.kind === 'activation') {
      registration.status = 'active';
      registration.expiresAt = null;
      registration.activatedAt = new Date(at);
      member.totpRegistrationId = registration.totpRegistrationId;
      member.updatedAt = new Date(at);
    }
    return null;
  };

  return {
    async insertOrganization(organization) {
      // A slug or external ID names one organization only, in either role.
      if (organizationIdByIdentifier.has(organization.organizationSlug)) return { status: 'conflict', field: 'organization_slug' };
      const externalId = organization.organizationExternalId;
      if (externalId !== '' && organizationIdByIdentifier.has(externalId)) return { status: 'conflict', field: 'organization_external_id' };
      organizations.set(organization.organizationId, copy(organization));
      organizationIdByIdentifier.set(organization.organizationSlug, organization.organizationId);
      if (externalId !== '') organizationIdByIdentifier.set(externalId, organization.organizationId);
      return { status: 'inserted' };
    },

    async findOrganization(lookup) {
      return copyOrNull(organizationOf(lookup));
    },

    async deleteOrganization(organizationId) {
      const organization = organizations.get(organizationId);
      if (organization === undefined) return false;
      for (const member of [...members.values()]) if (member.organizationId === organizationId) deleteMemberData(member);
      organizationIdByIdentifier.delete(organization.organizationSlug);
      if (organization.organizationExternalId !== '') organizationIdByIdentifier.delete(organization.organizationExternalId);
      organizations.delete(organizationId);
      return true;
    },

    async insertMember(member) {
      const { organizationId } = member;
      if (!organizations.has(organizationId)) return { status: 'organization_not_found' };
      const emailKey = memberKey(organizationId, member.emailAddress.toLowerCase());
      if (memberKeyByEmail.has(emailKey)) return { status: 'conflict', field: 'email_address' };
      const externalKey = memberKey(organizationId, member.externalId);
      if (member.externalId !== '' && memberKeyByExternalId.has(externalKey)) return { status: 'conflict', field: 'external_id' };
      const key = memberKey(organizationId, member.memberId);
      members.set(key, copy(member));
      memberKeyByEmail.set(emailKey, key);
      if (member.externalId !== '') memberKeyByExternalId.set(externalKey, key);
      return { status: 'inserted' };
    },

    async findMember(organizationId, lookup) {
      return copyOrNull(memberOf(organizationId, lookup));
    },

    async updateMember(organizationId, memberId, patch) {
      const member = members.get(memberKey(organizationId, memberId));
      if (member === undefined) return null;
      applyPatch(member, patch);
      return copy(member);
    },

    async deleteMember(organizationId, memberId) {
      const member = members.get(memberKey(organizationId, memberId));
      if (member === undefined) return false;
      deleteMemberData(member);
      return true;
    },

    async beginMfaAttempt(query) {
      const organization = organizationOf(query.organization);
      const member = organization === undefined ? undefined : memberOf(organization.organizationId, query.member);
      const key = member === undefined ? '' : memberKey(member.organizationId, member.memberId);
      const { intermediateSession, memberSession } = presentedSession(query);
      const at = query.reservation.at;
      // The records as read, before the reservation writes the member.
      const read = {
        organization: copyOrNull(organization),
        member: copyOrNull(member),
        registrations: member === undefined ? { active: null, pending: null } : registrationsFound(key),
        intermediateSession: copyOrNull(intermediateSession),
        memberSession: copyOrNull(memberSession),
      };
      let reservation: { status: 'reserved'; lockStarted: boolean } | { status: 'locked' } | null = null;
      if (member !== undefined && member.status === 'active') {
        const presented = intermediateSession ?? memberSession;
        const live =
          (intermediateSession !== undefined && intermediateSession.expiresAt > at) ||
          (memberSession !== undefined && memberSession.revokedAt === null && memberSession.expiresAt > at);
        const owned =
          presented !== undefined && presented.organizationId === member.organizationId && presented.memberId === member.memberId;
        const usable = registrationsOf(key).some(
          (r) => r.status === 'active' || (query.registration === 'active_or_pending' && r.expiresAt !== null && r.expiresAt > at),
        );
        if (live && owned && usable) {
          const result = reserveAttempt(lockoutOf(member), query.reservation);
          if (result.reserved) setLockout(member, result.state);
          reservation = result.reserved ? { status: 'reserved', lockStarted: result.lockStarted } : { status: 'locked' };
        }
      }
      return { ...read, reservation };
    },

    async grantMfaSession(grant) {
      const { at, spend, target } = grant;
      const member = members.get(memberKey(grant.member.organizationId, grant.member.memberId));
      // Every condition is checked before anything changes; then all of it happens.
      let session: MemberSessionRecord | undefined;
      if (target.kind === 'exchange') {
        const ist = intermediateSessions.get(target.intermediateSessionTokenHash);
        if (ist === undefined || ist.expiresAt <= at) return { status: 'session_not_found' };
      } else {
        session = liveMemberSession(target.memberSessionId, at);
        if (session === undefined) return { status: 'session_not_found' };
      }
      if (member === undefined || !canSpend(spend, at)) return { status: 'spend_refused' };
      if (target.kind === 'exchange') {
        storeMemberSession(target.session);
        intermediateSessions.delete(target.intermediateSessionTokenHash);
        session = memberSessions.get(target.session.memberSessionId)!;
      } else {
        session = session!;
        session.lastAccessedAt = new Date(at);
        if (target.expiresAt > session.expiresAt) session.expiresAt = new Date(target.expiresAt);
        session.authenticationFactors = withFactor(session.authenticationFactors, copy(target.factor));
        if (target.customClaims !== undefined) session.customClaims = copy(target.customClaims);
      }
      const recoveryCodesRemaining = makeSpend(spend, at, member);
      setLockout(member, lockoutAfterSuccess(lockoutOf(member), at, grant.member.startedLockAt));
      if (grant.member.patch !== undefined) applyPatch(member, grant.member.patch);
      return { status: 'granted', session: copy(session), member: copy(member), recoveryCodesRemaining };
    },

    async findRegistrations(organizationId, memberId) {
      return registrationsFound(memberKey(organizationId, memberId));
    },

    async saveRegistration(registration, codes, memberPatch) {
      const key = memberKey(registration.organizationId, registration.memberId);
      const member = members.get(key);
      if (member === undefined) return 'member_not_found';
      const own = registrationsOf(key);
      if (own.some((r) => r.status === 'active')) return 'active_totp_exists';
      for (const previous of own) deleteRegistration(previous);
      registrations.set(registration.totpRegistrationId, copy(registration));
      registrationIdsByMember.set(key, (registrationIdsByMember.get(key) ?? new Set()).add(registration.totpRegistrationId));
      recoveryCodes.set(registration.totpRegistrationId, copy([...codes]));
      if (registration.status === 'active') {
        member.totpRegistrationId = registration.totpRegistrationId;
        if (memberPatch !== undefined) applyPatch(member, memberPatch);
      }
      return 'saved';
    },

    async deleteRegistrations(organizationId, memberId, at) {
      const key = memberKey(organizationId, memberId);
      const own = registrationsOf(key);
      for (const registration of own) deleteRegistration(registration);
      const member = members.get(key);
      if (member !== undefined && own.length > 0) {
        member.totpRegistrationId = '';
        if (member.defaultMfaMethod === 'totp') member.defaultMfaMethod = '';
        member.updatedAt = new Date(at);
      }
      return own.length;
    },

    async countRecoveryCodes(totpRegistrationId) {
      return recoveryCodes.get(totpRegistrationId)?.length ?? 0;
    },

    async replaceRecoveryCodes(totpRegistrationId, codes) {
      if (!registrations.has(totpRegistrationId)) return false;
      recoveryCodes.set(totpRegistrationId, copy([...codes]));
      return true;
    },

    async insertIntermediateSession(session) {
      if (!members.has(memberKey(session.organizationId, session.memberId))) return 'member_not_found';
      if (intermediateSessions.has(session.tokenHash)) throw new Error('@totp/memory: an intermediate session with this token hash exists');
      intermediateSessions.set(session.tokenHash, copy(session));
      return 'inserted';
    },

    async findIntermediateSession(tokenHash) {
      return copyOrNull(intermediateSessions.get(tokenHash));
    },

    async insertMemberSession(session) {
      if (!members.has(memberKey(session.organizationId, session.memberId))) return 'member_not_found';
      storeMemberSession(session);
      return 'inserted';
    },

    async findMemberSession(lookup) {
      const id = 'memberSessionId' in lookup ? lookup.memberSessionId : memberSessionIdByTokenHash.get(lookup.tokenHash);
      return copyOrNull(id === undefined ? undefined : memberSessions.get(id));
    },

    async extendMemberSession(memberSessionId, extension) {
      const session = liveMemberSession(memberSessionId, extension.at);
      if (session === undefined) return null;
      const claims = extension.customClaims === undefined ? undefined : copy(extension.customClaims);
      session.lastAccessedAt = new Date(extension.at);
      if (extension.expiresAt > session.expiresAt) session.expiresAt = new Date(extension.expiresAt);
      if (claims !== undefined) session.customClaims = claims;
      return copy(session);
    },

    async revokeMemberSessions(which, at) {
      const sessions =
        'memberSessionId' in which
          ? [memberSessions.get(which.memberSessionId)]
          : [...memberSessions.values()].filter((s) => s.memberId === which.memberId);
      let count = 0;
      for (const session of sessions) {
        if (session !== undefined && session.revokedAt === null) {
          session.revokedAt = new Date(at);
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
      for (const s of [...memberSessions.values()]) {
        if (s.expiresAt <= before || (s.revokedAt !== null && s.revokedAt <= before)) {
          deleteMemberSession(s);
          counts.memberSessions += 1;
        }
      }
      for (const r of [...registrations.values()]) {
        if (r.status === 'pending' && r.expiresAt !== null && r.expiresAt <= before) {
          deleteRegistration(r);
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
