// Provisioning of members (Stytch's B2B Organizations.Members API shape): create, get (by ID, external ID or e-mail
// address), delete. A member's e-mail address is unique in its organization, compared case-insensitively.

import { TotpError } from '../domain/errors';
import { EXTERNAL_ID_PATTERN } from '../domain/identifiers';
import type { MemberRecord, OrganizationRecord } from '../domain/model';
import { toMemberObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import { type CallOptions, type ServiceContext, newIdFor, requestIdFor } from './context';
import { EXTERNAL_ID_RULE, readIdentifierField } from './organizations';
import { asRequestBody, assertPrintable, optionalBoolean, optionalString, requiredString } from './request-fields';
import { memberNotFound, organizationNotFound, resolveMember, resolveOrganization } from './resolve';

export interface CreateMemberRequest {
  organization_id: string;
  email_address: string;
  name?: string;
  external_id?: string;
  create_member_as_pending?: boolean;
  mfa_enrolled?: boolean;
}

/** By `member_id` (ID or external ID) or, as Stytch's SDK allows, by `email_address`. */
export interface GetMemberRequest {
  organization_id: string;
  member_id?: string;
  email_address?: string;
}

export interface MemberRequest {
  organization_id: string;
  member_id: string;
}

export interface MemberResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

export interface DeleteMemberResponse {
  request_id: string;
  member_id: string;
  organization: OrganizationObject;
  status_code: 200;
}

// Deliberately loose (RFC 5321 allows far more than any regex should judge): one '@', no spaces or controls.
const EMAIL_PATTERN = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]{1,253}$/u;

export async function createMember(context: ServiceContext, request: CreateMemberRequest, options?: CallOptions): Promise<MemberResponse> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const email = requiredString(body, 'email_address', 254);
  if (!EMAIL_PATTERN.test(email)) throw new TotpError('bad_request', 'email_address must be an e-mail address');
  const name = assertPrintable(optionalString(body, 'name', 256) ?? '', 'name');
  const externalId = readIdentifierField(body, 'external_id', EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE, false);
  // Stytch's `create_member_as_pending`: the member exists but may not use MFA until activated.
  const pending = optionalBoolean(body, 'create_member_as_pending') ?? false;
  const mfaEnrolled = optionalBoolean(body, 'mfa_enrolled') ?? false;

  const organization = await resolveOrganization(context, organizationIdentifier);
  const now = new Date(context.clock());
  const member: MemberRecord = {
    organizationId: organization.organizationId,
    memberId: newIdFor(context, 'member'),
    emailAddress: email,
    name,
    status: pending ? 'pending' : 'active',
    externalId,
    mfaEnrolled,
    totpRegistrationId: '',
    defaultMfaMethod: '',
    failedMfaAttempts: 0,
    lockCreatedAt: null,
    lockExpiresAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await context.repository.insertMember(member);
  if (inserted.status === 'organization_not_found') throw organizationNotFound();
  if (inserted.status === 'conflict') {
    throw inserted.field === 'email_address'
      ? new TotpError('duplicate_member_email', 'a member of this organization has this email_address')
      : new TotpError('duplicate_member_external_id', 'a member of this organization has this external_id');
  }
  return memberResponse(context, options, organization, member, now.getTime());
}

export async function getMember(context: ServiceContext, request: GetMemberRequest, options?: CallOptions): Promise<MemberResponse> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = optionalString(body, 'member_id');
  const email = memberIdentifier === undefined ? optionalString(body, 'email_address', 254) : undefined;
  if (memberIdentifier === undefined && email === undefined) throw new TotpError('bad_request', 'member_id or email_address is required');
  const organization = await resolveOrganization(context, organizationIdentifier);
  let member: MemberRecord;
  if (memberIdentifier !== undefined) {
    member = await resolveMember(context, organization, memberIdentifier);
  } else {
    const found = await context.repository.findMember(organization.organizationId, { by: 'email', value: email! });
    if (found === null || found.status === 'deleted')
      throw new TotpError('member_not_found', 'no member of this organization has this email_address');
    member = found;
  }
  return memberResponse(context, options, organization, member, context.clock());
}

function memberResponse(
  context: ServiceContext,
  options: CallOptions | undefined,
  organization: OrganizationRecord,
  member: MemberRecord,
  nowMs: number,
): MemberResponse {
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export async function deleteMember(context: ServiceContext, request: MemberRequest, options?: CallOptions): Promise<DeleteMemberResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context, requiredString(body, 'organization_id'));
  const member = await resolveMember(context, organization, requiredString(body, 'member_id'));
  if (!(await context.repository.deleteMember(organization.organizationId, member.memberId))) throw memberNotFound();
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
