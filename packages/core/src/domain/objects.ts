// The Stytch-shaped objects the service returns: Member and Organization as in the `stytch` SDK's B2B types.
// Storage records are camelCase with Dates; these are snake_case with RFC 3339 UTC strings (docs/http-reference.md, "The objects").

import type {
  AuthenticationFactor,
  DefaultMfaMethod,
  MemberRecord,
  MemberSessionRecord,
  MemberStatus,
  MfaMethods,
  MfaPolicy,
  OrganizationRecord,
} from './model';

export interface MemberObject {
  organization_id: string;
  member_id: string;
  email_address: string;
  name: string;
  status: MemberStatus;
  external_id: string;
  mfa_enrolled: boolean;
  mfa_phone_number: string;
  totp_registration_id: string;
  default_mfa_method: DefaultMfaMethod;
  is_locked: boolean;
  /** Present only while the member is locked. */
  lock_created_at?: string;
  lock_expires_at?: string;
  roles: never[];
  created_at: string;
  updated_at: string;
}

export interface OrganizationObject {
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  organization_external_id: string;
  mfa_policy: MfaPolicy;
  mfa_methods: MfaMethods;
  allowed_mfa_methods: string[];
  created_at: string;
  updated_at: string;
}

/** RFC 3339 UTC with seconds precision, as Stytch prints timestamps (`2026-11-29T14:00:00Z`). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** True when the member's lock is in force at `nowMs`. */
export function isMemberLocked(member: MemberRecord, nowMs: number): boolean {
  return member.lockExpiresAt !== null && member.lockExpiresAt.getTime() > nowMs;
}

export function toMemberObject(member: MemberRecord, nowMs: number): MemberObject {
  const locked = isMemberLocked(member, nowMs);
  const object: MemberObject = {
    organization_id: member.organizationId,
    member_id: member.memberId,
    email_address: member.emailAddress,
    name: member.name,
    status: member.status,
    external_id: member.externalId,
    mfa_enrolled: member.mfaEnrolled,
    mfa_phone_number: '',
    totp_registration_id: member.totpRegistrationId,
    default_mfa_method: member.defaultMfaMethod,
    is_locked: locked,
    roles: [],
    created_at: rfc3339(member.createdAt),
    updated_at: rfc3339(member.updatedAt),
  };
  if (locked && member.lockCreatedAt !== null && member.lockExpiresAt !== null) {
    object.lock_created_at = rfc3339(member.lockCreatedAt);
    object.lock_expires_at = rfc3339(member.lockExpiresAt);
  }
  return object;
}

export function toOrganizationObject(organization: OrganizationRecord): OrganizationObject {
  return {
    organization_id: organization.organizationId,
    organization_name: organization.organizationName,
    organization_slug: organization.organizationSlug,
    organization_external_id: organization.organizationExternalId,
    mfa_policy: organization.mfaPolicy,
    mfa_methods: organization.mfaMethods,
    allowed_mfa_methods: [...organization.allowedMfaMethods],
    created_at: rfc3339(organization.createdAt),
    updated_at: rfc3339(organization.updatedAt),
  };
}

export interface MemberSessionObject {
  member_session_id: string;
  member_id: string;
  organization_id: string;
  organization_slug: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  authentication_factors: AuthenticationFactor[];
  roles: string[];
  custom_claims: Record<string, unknown>;
}

export function toMemberSessionObject(session: MemberSessionRecord, organization: OrganizationRecord): MemberSessionObject {
  return {
    member_session_id: session.memberSessionId,
    member_id: session.memberId,
    organization_id: session.organizationId,
    organization_slug: organization.organizationSlug,
    started_at: rfc3339(session.startedAt),
    last_accessed_at: rfc3339(session.lastAccessedAt),
    expires_at: rfc3339(session.expiresAt),
    authentication_factors: session.authenticationFactors,
    roles: [],
    custom_claims: session.customClaims,
  };
}
