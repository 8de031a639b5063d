// Provisioning of organizations (Stytch's B2B Organizations API shape), so the service runs standalone: create, get,
// delete. Formats follow docs/http-reference.md, "Identifier resolution".

import { TotpError } from '../domain/errors';
import { ID_SHAPE } from '../domain/ids';
import { EXTERNAL_ID_PATTERN, ORGANIZATION_SLUG_PATTERN } from '../domain/identifiers';
import type { MfaPolicy, OrganizationRecord } from '../domain/model';
import { toOrganizationObject, type OrganizationObject } from '../domain/objects';
import { type CallOptions, type ServiceContext, newIdFor, requestIdFor } from './context';
import { asRequestBody, assertPrintable, optionalEnum, optionalString, requiredString, type RequestBody } from './request-fields';
import { organizationNotFound, resolveOrganization } from './resolve';

export interface CreateOrganizationRequest {
  organization_name: string;
  organization_slug: string;
  organization_external_id?: string;
  mfa_policy?: MfaPolicy;
}

export interface OrganizationRequest {
  organization_id: string;
}

export interface OrganizationResponse {
  request_id: string;
  organization: OrganizationObject;
  status_code: 200;
}

export interface DeleteOrganizationResponse {
  request_id: string;
  organization_id: string;
  status_code: 200;
}

const MFA_POLICIES: readonly MfaPolicy[] = ['OPTIONAL', 'REQUIRED_FOR_ALL'];

/**
 * A slug or external ID, checked: its pattern, and not the shape of an ID (no slug or external ID can ever be taken
 * for an ID). `""` when absent.
 */
export function readIdentifierField(body: RequestBody, name: string, pattern: RegExp, rule: string, required: boolean): string {
  const value = required ? requiredString(body, name, 128) : optionalString(body, name, 128);
  if (value === undefined) return '';
  if (!pattern.test(value)) throw new TotpError('bad_request', `${name} must be ${rule}`);
  if (ID_SHAPE.test(value)) throw new TotpError('bad_request', `${name} must not have the shape of an ID`);
  return value;
}

export const EXTERNAL_ID_RULE = 'up to 128 letters, digits, ".", "_", "-" or "|"';

export async function createOrganization(
  context: ServiceContext,
  request: CreateOrganizationRequest,
  options?: CallOptions,
): Promise<OrganizationResponse> {
  const body = asRequestBody(request);
  const name = assertPrintable(requiredString(body, 'organization_name', 128), 'organization_name');
  if (name.trim() === '') throw new TotpError('bad_request', 'organization_name must not be blank');
  const slug = readIdentifierField(
    body,
    'organization_slug',
    ORGANIZATION_SLUG_PATTERN,
    '2 to 128 letters, digits, "-", ".", "_" or "~"',
    true,
  );
  const externalId = readIdentifierField(body, 'organization_external_id', EXTERNAL_ID_PATTERN, EXTERNAL_ID_RULE, false);
  const mfaPolicy = optionalEnum(body, 'mfa_policy', MFA_POLICIES) ?? 'OPTIONAL';
  const now = new Date(context.clock());
  const organization: OrganizationRecord = {
    organizationId: newIdFor(context, 'organization'),
    organizationName: name,
    organizationSlug: slug,
    organizationExternalId: externalId,
    mfaPolicy,
    mfaMethods: 'ALL_ALLOWED',
    allowedMfaMethods: [],
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await context.repository.insertOrganization(organization);
  if (inserted.status === 'conflict') {
    throw inserted.field === 'organization_slug'
      ? new TotpError('duplicate_organization_slug', 'another organization uses this organization_slug as its slug or external ID')
      : new TotpError(
          'duplicate_organization_external_id',
          'another organization uses this organization_external_id as its slug or external ID',
        );
  }
  return { request_id: requestIdFor(context, options), organization: toOrganizationObject(organization), status_code: 200 };
}

export async function getOrganization(
  context: ServiceContext,
  request: OrganizationRequest,
  options?: CallOptions,
): Promise<OrganizationResponse> {
  const organization = await resolveOrganization(context, requiredString(asRequestBody(request), 'organization_id'));
  return { request_id: requestIdFor(context, options), organization: toOrganizationObject(organization), status_code: 200 };
}

export async function deleteOrganization(
  context: ServiceContext,
  request: OrganizationRequest,
  options?: CallOptions,
): Promise<DeleteOrganizationResponse> {
  const organization = await resolveOrganization(context, requiredString(asRequestBody(request), 'organization_id'));
  if (!(await context.repository.deleteOrganization(organization.organizationId))) throw organizationNotFound();
  return { request_id: requestIdFor(context, options), organization_id: organization.organizationId, status_code: 200 };
}
