// organizations.members.deleteTOTP (docs/http-reference.md, "Other endpoints"): deletes the member's registration (active
// or pending) and its recovery codes. Existing sessions are not revoked.

import { TotpError } from '../domain/errors';
import { toMemberObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './context';
import { asRequestBody, requiredString } from './request-fields';
import { resolveMember, resolveOrganization } from './resolve';

export interface DeleteTotpRequest {
  organization_id: string;
  member_id: string;
}

export interface DeleteTotpResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

export async function deleteTotpRegistration(
  context: ServiceContext,
  request: DeleteTotpRequest,
  options?: CallOptions,
): Promise<DeleteTotpResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context, requiredString(body, 'organization_id'));
  const member = await resolveMember(context, organization, requiredString(body, 'member_id'));
  const nowMs = context.clock();
  const count = await context.repository.deleteRegistrations(organization.organizationId, member.memberId, new Date(nowMs));
  if (count === 0) throw new TotpError('totp_not_found', 'the member has no TOTP registration');
  emit(context, 'registrationDeleted', { organizationId: member.organizationId, memberId: member.memberId, at: new Date(nowMs), count });
  const updated = (await context.repository.findMember(member.organizationId, { by: 'id', value: member.memberId })) ?? member;
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(updated, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
