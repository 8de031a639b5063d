// Sessions (docs/http-reference.md, "Other endpoints"): sessions.authenticate and sessions.revoke as Stytch serves them, and
// the intermediate session the host app starts after its own primary authentication (ours, not Stytch's).

import { hashToken, newOpaqueToken } from '../crypto/tokens';
import { TotpError } from '../domain/errors';
import { newFactor } from '../domain/factors';
import { isId } from '../domain/ids';
import type { AuthenticationFactor } from '../domain/model';
import { toMemberObject, toMemberSessionObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import { signSessionJwt } from '../domain/session-jwt';
import { type CallOptions, type ServiceContext, requestIdFor } from './context';
import type { MfaSuccessResponse } from './mfa-attempt';
import {
  type PresentedTokens,
  type RequestBody,
  asRequestBody,
  field,
  optionalString,
  readCustomClaims,
  readPresentedTokens,
  readSessionDurationMinutes,
  requiredString,
} from './request-fields';
import { assertActiveMember, findLiveMemberSession, memberNotFound, resolveMember, resolveOrganization, sessionNotFound } from './resolve';

export interface AuthenticateSessionRequest {
  session_token?: string;
  session_jwt?: string;
  session_duration_minutes?: number;
  session_custom_claims?: Record<string, unknown>;
}

/** The same body as an MFA success: the member, the organization and the session. */
export type AuthenticateSessionResponse = MfaSuccessResponse;

export interface RevokeSessionRequest {
  member_session_id?: string;
  session_token?: string;
  session_jwt?: string;
  member_id?: string;
}

export interface RevokeSessionResponse {
  request_id: string;
  status_code: 200;
}

export interface StartIntermediateSessionRequest {
  organization_id: string;
  member_id: string;
  /** Factors the host's primary authentication satisfied, e.g. `{ type: 'password', delivery_method: 'knowledge' }`. */
  authentication_factors?: Array<{ type: string; delivery_method: string }>;
}

export interface StartIntermediateSessionResponse {
  request_id: string;
  member_id: string;
  intermediate_session_token: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

function requireSessionTokens(body: RequestBody): PresentedTokens {
  const tokens = readPresentedTokens(body);
  if (tokens.sessionToken === undefined && tokens.sessionJwt === undefined) {
    throw new TotpError('bad_request', 'session_token or session_jwt is required');
  }
  return tokens;
}

export async function authenticateSession(
  context: ServiceContext,
  request: AuthenticateSessionRequest,
  options?: CallOptions,
): Promise<AuthenticateSessionResponse> {
  const body = asRequestBody(request);
  const tokens = requireSessionTokens(body);
  const durationMinutes = readSessionDurationMinutes(body);
  const customClaims = readCustomClaims(body);
  const nowMs = context.clock();
  const found = await findLiveMemberSession(context, tokens, nowMs);
  const organization = await context.repository.findOrganization({ by: 'id', value: found.organizationId });
  const member = await context.repository.findMember(found.organizationId, { by: 'id', value: found.memberId });
  if (organization === null || member === null) throw sessionNotFound();
  const session = await context.repository.extendMemberSession(found.memberSessionId, {
    at: new Date(nowMs),
    // Without session_duration_minutes the expiry stays as it is (the store keeps the later of the two).
    expiresAt: durationMinutes === undefined ? found.expiresAt : new Date(nowMs + durationMinutes * 60_000),
    ...(customClaims === undefined ? {} : { customClaims }),
  });
  if (session === null) throw sessionNotFound();
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    session_token: tokens.sessionToken ?? '',
    session_jwt: signSessionJwt(session, organization, context.sessionJwt, nowMs),
    member_session: toMemberSessionObject(session, organization),
    status_code: 200,
  };
}

export async function revokeSession(
  context: ServiceContext,
  request: RevokeSessionRequest,
  options?: CallOptions,
): Promise<RevokeSessionResponse> {
  const body = asRequestBody(request);
  const memberSessionId = optionalString(body, 'member_session_id');
  const memberId = optionalString(body, 'member_id');
  const tokens = readPresentedTokens(body);
  const nowMs = context.clock();
  const at = new Date(nowMs);
  if (memberSessionId !== undefined) {
    const session = await context.repository.findMemberSession({ memberSessionId });
    if (session === null) throw new TotpError('session_not_found', 'no session has this member_session_id');
    await context.repository.revokeMemberSessions({ memberSessionId: session.memberSessionId }, at);
  } else if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    const session = await findLiveMemberSession(context, tokens, nowMs);
    await context.repository.revokeMemberSessions({ memberSessionId: session.memberSessionId }, at);
  } else if (memberId !== undefined) {
    // Every session of the member. Only a member ID names a member without its organization.
    if (!isId(memberId, 'member')) throw new TotpError('member_not_found', 'member_id must be a member ID to revoke its sessions');
    await context.repository.revokeMemberSessions({ memberId }, at);
  } else {
    throw new TotpError('bad_request', 'member_session_id, session_token, session_jwt or member_id is required');
  }
  return { request_id: requestIdFor(context, options), status_code: 200 };
}

const FACTOR_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function readHostFactors(body: RequestBody, nowMs: number): AuthenticationFactor[] {
  const value = field(body, 'authentication_factors');
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 10) {
    throw new TotpError('bad_request', 'authentication_factors must be an array of at most 10 factors');
  }
  return value.map((item: unknown, i) => {
    const factor = typeof item === 'object' && item !== null && !Array.isArray(item) ? asRequestBody(item) : undefined;
    const type = factor && field(factor, 'type');
    const deliveryMethod = factor && field(factor, 'delivery_method');
    if (typeof type !== 'string' || !FACTOR_NAME.test(type) || typeof deliveryMethod !== 'string' || !FACTOR_NAME.test(deliveryMethod)) {
      throw new TotpError('bad_request', `authentication_factors[${i}] must be { type, delivery_method } of lower-case names`);
    }
    return newFactor(type, deliveryMethod, nowMs);
  });
}

export async function startIntermediateSession(
  context: ServiceContext,
  request: StartIntermediateSessionRequest,
  options?: CallOptions,
): Promise<StartIntermediateSessionResponse> {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const nowMs = context.clock();
  const authenticationFactors = readHostFactors(body, nowMs);
  const organization = await resolveOrganization(context, organizationIdentifier);
  const member = await resolveMember(context, organization, memberIdentifier);
  assertActiveMember(member);
  const token = newOpaqueToken(context.crypto);
  const inserted = await context.repository.insertIntermediateSession({
    tokenHash: hashToken(context.crypto, token),
    organizationId: organization.organizationId,
    memberId: member.memberId,
    authenticationFactors,
    createdAt: new Date(nowMs),
    expiresAt: new Date(nowMs + context.intermediateSessionMinutes * 60_000),
  });
  if (inserted === 'member_not_found') throw memberNotFound();
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    intermediate_session_token: token,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}
