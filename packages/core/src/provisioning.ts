// Provisioning of organizations and members, so the service runs standalone (Stytch's B2B Organizations API shape).
// Formats follow docs/http-api.md, "Identifier resolution": slug, external IDs, names, e-mail addresses.

import { type MemberObject, type OrganizationObject, toMemberObject, toOrganizationObject } from './api-objects';
import { TotpError } from './errors';
import { EXTERNAL_ID_PATTERN, ORGANIZATION_SLUG_PATTERN, resolveMember, resolveOrganization } from './identifiers';
import { newId } from './ids';
import { type CallOptions, type ServiceContext, requestIdFor } from './internal/context';
import { asRequestBody, assertPrintable, optionalBoolean, optionalEnum, optionalString, requiredString } from './internal/request';
import type { MemberRecord, MfaPolicy, OrganizationRecord } from './model';

export interface OrganizationResponse {
  request_id: string;
  organization: OrganizationObject;
  status_code: 200;
}

export interface MemberResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

const MFA_POLICIES: readonly MfaPolicy[] = ['OPTIONAL', 'REQUIRED_FOR_ALL'];
// Deliberately loose (RFC 5321 allows far more than any regex should judge): one '@', no spaces or controls.
const EMAIL_PATTERN = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]{1,253}$/u;

/**
 * A slug or external ID must match its pattern and must not have the shape of an ID: identifiers are resolved as
 * an ID first, so a slug shaped like another organization's ID could otherwise be mistaken for it.
 */
function checked(value: string | undefined, name: string, pattern: RegExp, rule: string): string {
  if (value === undefined) return '';
  if (!pattern.test(value)) throw new TotpError('bad_request', `${name} must be ${rule}`);
  if (ID_SHAPE.test(value)) throw new TotpError('bad_request', `${name} must not have the shape of an ID`);
  return value;
}

const ID_SHAPE = /^(organization|member|member-totp|member-session|request-id)-(test|live)-/;

export async function createOrganization(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<OrganizationResponse> {
  const body = asRequestBody(request);
  const name = assertPrintable(requiredString(body, 'organization_name', 128), 'organization_name');
  if (name.trim() === '') throw new TotpError('bad_request', 'organization_name must not be blank');
  const slug = checked(
    requiredString(body, 'organization_slug', 128),
    'organization_slug',
    ORGANIZATION_SLUG_PATTERN,
    '2 to 128 letters, digits, "-", ".", "_" or "~"',
  );
  const externalId = checked(
    optionalString(body, 'organization_external_id', 128),
    'organization_external_id',
    EXTERNAL_ID_PATTERN,
    'up to 128 letters, digits, ".", "_", "-" or "|"',
  );
  const mfaPolicy = optionalEnum(body, 'mfa_policy', MFA_POLICIES) ?? 'OPTIONAL';
  const now = new Date(context.clock());
  const organization: OrganizationRecord = {
    organizationId: newId('organization', context.environment, context.randomBytes),
    organizationName: name,
    organizationSlug: slug,
    organizationExternalId: externalId,
    mfaPolicy,
    mfaMethods: 'ALL_ALLOWED',
    allowedMfaMethods: [],
    createdAt: now,
    updatedAt: now,
  };
  await context.repository.insertOrganization(organization);
  return {
    request_id: requestIdFor(context, options),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export async function getOrganization(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<OrganizationResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  return {
    request_id: requestIdFor(context, options),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export async function createMember(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<MemberResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const email = requiredString(body, 'email_address', 254);
  if (!EMAIL_PATTERN.test(email)) {
    throw new TotpError('bad_request', 'email_address must be an e-mail address');
  }
  const name = assertPrintable(optionalString(body, 'name', 256) ?? '', 'name');
  const externalId = checked(
    optionalString(body, 'external_id', 128),
    'external_id',
    EXTERNAL_ID_PATTERN,
    'up to 128 letters, digits, ".", "_", "-" or "|"',
  );
  // Stytch's `create_member_as_pending`: the member exists but may not use MFA until activated.
  const pending = optionalBoolean(body, 'create_member_as_pending') ?? false;
  const now = new Date(context.clock());
  const member: MemberRecord = {
    organizationId: organization.organizationId,
    memberId: newId('member', context.environment, context.randomBytes),
    emailAddress: email,
    name,
    status: pending ? 'pending' : 'active',
    externalId,
    mfaEnrolled: optionalBoolean(body, 'mfa_enrolled') ?? false,
    totpRegistrationId: '',
    defaultMfaMethod: '',
    failedMfaAttempts: 0,
    lockCreatedAt: null,
    lockExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await context.repository.insertMember(member);
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, context.clock()),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

/** By `member_id` (ID or external ID) or, as Stytch's SDK allows, by `email_address` (case-insensitive). */
export async function getMember(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<MemberResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const memberIdentifier = optionalString(body, 'member_id');
  const email = memberIdentifier === undefined ? optionalString(body, 'email_address', 254) : undefined;
  let member: MemberRecord;
  if (memberIdentifier !== undefined) {
    member = await resolveMember(context.repository, organization, memberIdentifier);
  } else if (email !== undefined) {
    const found = await context.repository.findMemberByEmail(organization.organizationId, email);
    if (found === null || found.status === 'deleted') {
      throw new TotpError('member_not_found', 'no member of this organization has this email_address');
    }
    member = found;
  } else {
    throw new TotpError('bad_request', 'member_id or email_address is required');
  }
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, context.clock()),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export interface DeleteResponse {
  request_id: string;
  organization_id: string;
  status_code: 200;
}

export interface DeleteMemberResponse {
  request_id: string;
  member_id: string;
  organization: OrganizationObject;
  status_code: 200;
}

export async function deleteOrganization(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<DeleteResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  if (!(await context.repository.deleteOrganization(organization.organizationId))) {
    throw new TotpError('organization_not_found', 'no organization matches organization_id');
  }
  return { request_id: requestIdFor(context, options), organization_id: organization.organizationId, status_code: 200 };
}

export async function deleteMember(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<DeleteMemberResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const member = await resolveMember(context.repository, organization, requiredString(body, 'member_id'));
  if (!(await context.repository.deleteMember(organization.organizationId, member.memberId))) {
    throw new TotpError('member_not_found', 'no member of this organization matches member_id');
  }
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
