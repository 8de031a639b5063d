// Finding what a request names: its organization and member by any of their identifiers, and the sessions its tokens
// name, each checked (live, and this member's). The one resolution path every use case goes through.

import { hashToken } from '../crypto/tokens';
import { TotpError } from '../domain/errors';
import { memberLookups, organizationLookups } from '../domain/identifiers';
import type { IntermediateSessionRecord, MemberRecord, MemberSessionRecord, OrganizationRecord } from '../domain/model';
import { readSessionJwt } from '../domain/session-jwt';
import type { ServiceContext } from './context';
import type { PresentedTokens } from './request-fields';

export const organizationNotFound = () => new TotpError('organization_not_found', 'no organization matches organization_id');
export const memberNotFound = () => new TotpError('member_not_found', 'no member of this organization matches member_id');
export const sessionNotFound = () => new TotpError('session_not_found', 'the session is unknown, expired or revoked');
export const intermediateSessionNotFound = () =>
  new TotpError('intermediate_session_not_found', 'the intermediate session is unknown, expired or already used');

/** The organization `identifier` names: by ID, else slug, else external ID. Throws `organization_not_found`. */
export async function resolveOrganization(context: ServiceContext, identifier: string): Promise<OrganizationRecord> {
  for (const lookup of organizationLookups(identifier)) {
    const found = await context.repository.findOrganization(lookup);
    if (found !== null) return found;
  }
  throw organizationNotFound();
}

/** The member of `organization` that `identifier` names: by member ID, else external ID. A deleted member is not found. */
export async function resolveMember(context: ServiceContext, organization: OrganizationRecord, identifier: string): Promise<MemberRecord> {
  for (const lookup of memberLookups(identifier)) {
    const found = await context.repository.findMember(organization.organizationId, lookup);
    if (found !== null) return assertNotDeleted(found);
  }
  throw memberNotFound();
}

/** A deleted member is reported as not found. */
export function assertNotDeleted(member: MemberRecord): MemberRecord {
  if (member.status === 'deleted') throw memberNotFound();
  return member;
}

/** MFA is only for active members (not invited, pending or deleted ones). */
export function assertActiveMember(member: MemberRecord): void {
  if (member.status !== 'active') {
    throw new TotpError(
      'action_available_only_for_active_members',
      `the member's status is "${member.status}"; only active members can use MFA`,
    );
  }
}

/** Refuses a session that belongs to another member or organization (403). */
export function assertOwnedBy(session: { organizationId: string; memberId: string }, member: MemberRecord): void {
  if (session.organizationId !== member.organizationId || session.memberId !== member.memberId) {
    throw new TotpError('session_authorization_error', 'the session belongs to another member or organization');
  }
}

/** `session` if it is live at `nowMs` (found, not revoked, not expired); else `session_not_found`. */
export function liveMemberSession(session: MemberSessionRecord | null, nowMs: number): MemberSessionRecord {
  if (session === null || session.revokedAt !== null || session.expiresAt.getTime() <= nowMs) throw sessionNotFound();
  return session;
}

/** `session` if it is live at `nowMs` (found, not consumed, not expired); else `intermediate_session_not_found`. */
export function liveIntermediateSession(session: IntermediateSessionRecord | null, nowMs: number): IntermediateSessionRecord {
  if (session === null || session.expiresAt.getTime() <= nowMs) throw intermediateSessionNotFound();
  return session;
}

/**
 * How the store is asked for the member session a token and/or JWT name: by token hash, else by the ID a verified JWT
 * names. Both given must name one session (checked by the caller against what the store returns). Throws
 * `session_not_found` for a JWT that does not verify.
 */
export function memberSessionLookup(
  context: ServiceContext,
  tokens: Pick<PresentedTokens, 'sessionToken' | 'sessionJwt'>,
): { lookup: { tokenHash: string } | { memberSessionId: string }; jwtSessionId: string | undefined } {
  let jwtSessionId: string | undefined;
  if (tokens.sessionJwt !== undefined) {
    const id = readSessionJwt(tokens.sessionJwt, context.sessionJwt);
    if (id === null) throw sessionNotFound();
    jwtSessionId = id;
  }
  if (tokens.sessionToken !== undefined) return { lookup: { tokenHash: hashToken(context.crypto, tokens.sessionToken) }, jwtSessionId };
  return { lookup: { memberSessionId: jwtSessionId! }, jwtSessionId };
}

/** Refuses a token and a JWT that name two different sessions. */
export function assertSameSession(session: MemberSessionRecord | null, jwtSessionId: string | undefined): void {
  if (session !== null && jwtSessionId !== undefined && session.memberSessionId !== jwtSessionId) {
    throw new TotpError('bad_request', 'session_token and session_jwt name different sessions');
  }
}

/** The live member session the tokens name (both must agree). Throws `session_not_found`. */
export async function findLiveMemberSession(
  context: ServiceContext,
  tokens: Pick<PresentedTokens, 'sessionToken' | 'sessionJwt'>,
  nowMs: number,
): Promise<MemberSessionRecord> {
  const { lookup, jwtSessionId } = memberSessionLookup(context, tokens);
  const session = await context.repository.findMemberSession(lookup);
  assertSameSession(session, jwtSessionId);
  return liveMemberSession(session, nowMs);
}

/**
 * Checks every token a request presents for `member`: unknown or expired 401, another member's 403. For requests
 * where a token is proof (totps.create) rather than where a factor goes.
 */
export async function checkPresentedTokens(
  context: ServiceContext,
  tokens: PresentedTokens,
  member: MemberRecord,
  nowMs: number,
): Promise<void> {
  if (tokens.intermediateSessionToken !== undefined) {
    const found = await context.repository.findIntermediateSession(hashToken(context.crypto, tokens.intermediateSessionToken));
    assertOwnedBy(liveIntermediateSession(found, nowMs), member);
  } else if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    assertOwnedBy(await findLiveMemberSession(context, tokens, nowMs), member);
  }
}
