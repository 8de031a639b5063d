// Member sessions and intermediate sessions: how a successful TOTP or recovery code becomes a session.
// An intermediate session token is exchanged once for a member session; a member session gains factors (docs/http-api.md).

import { type MemberObject, type OrganizationObject, rfc3339, rfc3339OfMs, toMemberObject, toOrganizationObject } from './api-objects';
import { TotpError } from './errors';
import { assertActiveMember, resolveMember, resolveOrganization } from './identifiers';
import { isId, newId } from './ids';
import { type CallOptions, type ServiceContext, requestIdFor } from './internal/context';
import { type RequestBody, asRequestBody, field, optionalString, requiredString } from './internal/request';
import type { AuthenticationFactor, IntermediateSessionRecord, MemberRecord, MemberSessionRecord, OrganizationRecord } from './model';
import type { ExchangeSpend, MemberSessionUpdate } from './repository';
import { RESERVED_CLAIMS, readSessionJwt, sessionJwtAt, signSessionJwt } from './session-jwt';
import { hashToken, newOpaqueToken } from './tokens';

export const DEFAULT_SESSION_DURATION_MINUTES = 60;
export const MIN_SESSION_DURATION_MINUTES = 5;
export const MAX_SESSION_DURATION_MINUTES = 527_040;
export const MAX_CUSTOM_CLAIMS_BYTES = 4096;
export const DEFAULT_INTERMEDIATE_SESSION_MINUTES = 10;
const MAX_TOKEN_LENGTH = 4096;

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

/** What authenticate and recover return besides the member and organization. */
export interface SessionGrant {
  /** The opaque token; `""` when the caller presented only a JWT (the store keeps no token in clear to return). */
  session_token: string;
  session_jwt: string;
  member_session: MemberSessionObject;
}

export interface SessionAuthenticateResponse extends SessionGrant {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
}

export interface RevokeResponse {
  request_id: string;
  status_code: 200;
}

export interface StartIntermediateSessionResponse {
  request_id: string;
  member_id: string;
  intermediate_session_token: string;
  member: MemberObject;
  organization: OrganizationObject;
  status_code: 200;
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

// ── Request fields ───────────────────────────────────────────────────────────────────────────────────────

export function parseSessionDurationMinutes(body: RequestBody): number | undefined {
  const value = field(body, 'session_duration_minutes');
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_SESSION_DURATION_MINUTES ||
    value > MAX_SESSION_DURATION_MINUTES
  ) {
    throw new TotpError(
      'invalid_session_duration_minutes',
      `session_duration_minutes must be an integer from ${MIN_SESSION_DURATION_MINUTES} to ${MAX_SESSION_DURATION_MINUTES}`,
    );
  }
  return value;
}

function hasProtoKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return Object.keys(value).some((name) => name === '__proto__' || hasProtoKey((value as Record<string, unknown>)[name]));
}

export function parseCustomClaims(body: RequestBody): Record<string, unknown> | undefined {
  const value = field(body, 'session_custom_claims');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TotpError('bad_request', 'session_custom_claims must be a JSON object');
  }
  let serialized: string;
  try {
    serialized = JSON.stringify(value);
  } catch {
    throw new TotpError('bad_request', 'session_custom_claims must be JSON-serializable');
  }
  // JSON.stringify escapes U+0000 and lone surrogates (and nothing else in that range); PostgreSQL's jsonb refuses
  // both, so no store could keep them.
  if (/\\u(0000|d[89a-f])/i.test(serialized)) {
    throw new TotpError('bad_request', 'session_custom_claims must be well-formed Unicode text without NUL');
  }
  if (new TextEncoder().encode(serialized).length > MAX_CUSTOM_CLAIMS_BYTES) {
    throw new TotpError('custom_claims_too_large', `session_custom_claims must serialize to at most ${MAX_CUSTOM_CLAIMS_BYTES} bytes`);
  }
  // A fresh copy from JSON: no prototype tricks, no getters, nothing shared with the caller. Reserved claims are
  // dropped here, so they are neither stored nor returned, and can never shadow the JWT's own.
  const claims = JSON.parse(serialized) as Record<string, unknown>;
  // A "__proto__" key survives JSON.parse as data, but any consumer that merges claims into an object pollutes its
  // prototype with it, and some stores (Prisma's Json input) silently drop it: refused, at any depth.
  if (hasProtoKey(claims)) throw new TotpError('bad_request', 'session_custom_claims must not contain a "__proto__" key');
  for (const name of RESERVED_CLAIMS) delete claims[name];
  return claims;
}

export interface PresentedTokens {
  intermediateSessionToken?: string;
  sessionToken?: string;
  sessionJwt?: string;
}

export function readPresentedTokens(body: RequestBody): PresentedTokens {
  const tokens: PresentedTokens = {};
  const ist = optionalString(body, 'intermediate_session_token', MAX_TOKEN_LENGTH);
  const token = optionalString(body, 'session_token', MAX_TOKEN_LENGTH);
  const jwt = optionalString(body, 'session_jwt', MAX_TOKEN_LENGTH);
  if (ist !== undefined) tokens.intermediateSessionToken = ist;
  if (token !== undefined) tokens.sessionToken = token;
  if (jwt !== undefined) tokens.sessionJwt = jwt;
  if (ist !== undefined && (token !== undefined || jwt !== undefined)) {
    throw new TotpError('bad_request', 'pass either intermediate_session_token or session_token/session_jwt, not both');
  }
  return tokens;
}

// ── Resolving what the caller presented ──────────────────────────────────────────────────────────────────

/** The session a successful factor goes to: an intermediate one to exchange, or a member session to extend. */
export type MfaTarget =
  | { kind: 'intermediate'; session: IntermediateSessionRecord }
  | { kind: 'member'; session: MemberSessionRecord; sessionToken: string };

function assertOwnedBy(session: { organizationId: string; memberId: string }, member: MemberRecord): void {
  if (session.organizationId !== member.organizationId || session.memberId !== member.memberId) {
    throw new TotpError('session_authorization_error', 'the session belongs to another member or organization');
  }
}

/**
 * The sessions a request's tokens name, when already read (by `findMfaContext`): `undefined` means "not read yet,
 * ask the repository", `null` means "read, and there is none".
 */
export interface PrefetchedSessions {
  intermediateSession?: IntermediateSessionRecord | null;
  memberSession?: MemberSessionRecord | null;
}

/** The live member session named by a session token and/or JWT (both must agree). Throws `session_not_found`. */
export async function findLiveMemberSession(
  context: ServiceContext,
  tokens: Pick<PresentedTokens, 'sessionToken' | 'sessionJwt'>,
  nowMs: number,
  prefetched?: MemberSessionRecord | null,
): Promise<MemberSessionRecord> {
  let session: MemberSessionRecord | null = null;
  if (tokens.sessionToken !== undefined) {
    session = prefetched !== undefined ? prefetched : await context.repository.findMemberSessionByTokenHash(hashToken(tokens.sessionToken));
    if (session === null) throw sessionNotFound();
  }
  if (tokens.sessionJwt !== undefined) {
    const id = await readSessionJwt(tokens.sessionJwt, context.sessionJwt);
    if (id === null) throw sessionNotFound();
    if (session !== null && session.memberSessionId !== id) {
      throw new TotpError('bad_request', 'session_token and session_jwt name different sessions');
    }
    session ??= await context.repository.findMemberSessionById(id);
  }
  return liveMemberSession(session, nowMs);
}

function sessionNotFound(): TotpError {
  return new TotpError('session_not_found', 'the session is unknown, expired or revoked');
}

/** `session` if it is live at `nowMs` (found, not revoked, not expired); else `session_not_found`. */
function liveMemberSession(session: MemberSessionRecord | null, nowMs: number): MemberSessionRecord {
  if (session === null || session.revokedAt !== null || session.expiresAt.getTime() <= nowMs) throw sessionNotFound();
  return session;
}

function intermediateSessionNotFound(): TotpError {
  return new TotpError('intermediate_session_not_found', 'the intermediate session is unknown, expired or already used');
}

/** `session` if it is live at `nowMs` (found, not consumed, not expired); else `intermediate_session_not_found`. */
function liveIntermediateSession(session: IntermediateSessionRecord | null, nowMs: number): IntermediateSessionRecord {
  if (session === null || session.expiresAt.getTime() <= nowMs) throw intermediateSessionNotFound();
  return session;
}

async function findLiveIntermediateSession(
  context: ServiceContext,
  token: string,
  nowMs: number,
  prefetched?: IntermediateSessionRecord | null,
): Promise<IntermediateSessionRecord> {
  const session = prefetched !== undefined ? prefetched : await context.repository.findIntermediateSession(hashToken(token));
  return liveIntermediateSession(session, nowMs);
}

/**
 * resolvePresentedTokens' answer when the prefetched sessions settle it (an IST, or a session token without a JWT:
 * the common cases), reached without a promise and an await per step; undefined when the store or a JWT must be
 * asked. The same checks, in the same order, with the same errors.
 */
export function prefetchedMfaTarget(
  tokens: PresentedTokens,
  member: MemberRecord,
  nowMs: number,
  prefetched: PrefetchedSessions,
): MfaTarget | undefined {
  if (tokens.intermediateSessionToken !== undefined) {
    if (prefetched.intermediateSession === undefined) return undefined;
    const session = liveIntermediateSession(prefetched.intermediateSession, nowMs);
    assertOwnedBy(session, member);
    return { kind: 'intermediate', session };
  }
  if (tokens.sessionToken === undefined || tokens.sessionJwt !== undefined || prefetched.memberSession === undefined) return undefined;
  const session = liveMemberSession(prefetched.memberSession, nowMs);
  assertOwnedBy(session, member);
  return { kind: 'member', session, sessionToken: tokens.sessionToken };
}

/**
 * Checks every token presented for `member` (unknown/expired: 401; another member's: 403) and returns where a
 * successful factor will go, or null when none was presented.
 */
export async function resolvePresentedTokens(
  context: ServiceContext,
  tokens: PresentedTokens,
  member: MemberRecord,
  nowMs: number,
  prefetched: PrefetchedSessions = {},
): Promise<MfaTarget | null> {
  if (tokens.intermediateSessionToken !== undefined) {
    const session = await findLiveIntermediateSession(context, tokens.intermediateSessionToken, nowMs, prefetched.intermediateSession);
    assertOwnedBy(session, member);
    return { kind: 'intermediate', session };
  }
  if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    const session = await findLiveMemberSession(context, tokens, nowMs, prefetched.memberSession);
    assertOwnedBy(session, member);
    return { kind: 'member', session, sessionToken: tokens.sessionToken ?? '' };
  }
  return null;
}

/** As resolvePresentedTokens, but a token is required: authenticate and recover must end in a session. */
export async function requireMfaTarget(
  context: ServiceContext,
  tokens: PresentedTokens,
  member: MemberRecord,
  nowMs: number,
  prefetched: PrefetchedSessions = {},
): Promise<MfaTarget> {
  const target = await resolvePresentedTokens(context, tokens, member, nowMs, prefetched);
  if (target === null) {
    throw new TotpError(
      'no_associated_session_passed_in',
      'pass an intermediate_session_token, session_token or session_jwt to attach the factor to',
    );
  }
  return target;
}

// ── Granting ─────────────────────────────────────────────────────────────────────────────────────────────

export function newFactor(
  type: string,
  deliveryMethod: string,
  nowMs: number,
  detail: Partial<Pick<AuthenticationFactor, 'authenticator_app_factor' | 'recovery_code_factor'>> = {},
): AuthenticationFactor {
  const at = rfc3339OfMs(nowMs);
  return { type, delivery_method: deliveryMethod, last_authenticated_at: at, created_at: at, updated_at: at, ...detail };
}

/** `newFactor('totp', 'authenticator_app', nowMs, { authenticator_app_factor: { totp_id } })` as one object literal. */
export function totpFactor(nowMs: number, totpRegistrationId: string): AuthenticationFactor {
  const at = rfc3339OfMs(nowMs);
  return {
    type: 'totp',
    delivery_method: 'authenticator_app',
    last_authenticated_at: at,
    created_at: at,
    updated_at: at,
    authenticator_app_factor: { totp_id: totpRegistrationId },
  };
}

/** A granted session, and what a `recovery_code` spend left (null for every other grant). */
export interface GrantedSession {
  grant: SessionGrant;
  recoveryCodesRemaining: number | null;
}

/**
 * Attaches a verified `factor` to the target: an intermediate session is consumed (exactly once, under any
 * concurrency) into a new member session, a member session gets the factor and a later expiry; either together with
 * `options.spend` when given (one atomic write: the proof is spent if and only if the session is granted). Null when
 * the store refused the spend (the step was taken meanwhile; no such unused code): nothing was written, and the caller
 * throws its own error. A plain value rather than a callback, so a grant makes no closure.
 */
export async function grantSession(
  context: ServiceContext,
  target: MfaTarget,
  factor: AuthenticationFactor,
  organization: OrganizationRecord,
  options: {
    durationMinutes: number | undefined;
    customClaims: Record<string, unknown> | undefined;
    nowMs: number;
    spend?: ExchangeSpend | undefined;
  },
): Promise<GrantedSession | null> {
  const { nowMs } = options;
  const at = new Date(nowMs);
  const expiresAt = new Date(nowMs + (options.durationMinutes ?? DEFAULT_SESSION_DURATION_MINUTES) * 60_000);
  let session: MemberSessionRecord;
  let sessionToken: string;
  let recoveryCodesRemaining: number | null = null;
  if (target.kind === 'intermediate') {
    // One atomic exchange: the IST is consumed and the session stored together, or neither (a failure in between
    // can neither lose the IST nor leave a session behind; of concurrent requests with one IST, one gets it).
    sessionToken = newOpaqueToken(context.randomBytes);
    session = {
      memberSessionId: newId('member-session', context.environment, context.randomBytes),
      tokenHash: hashToken(sessionToken),
      organizationId: target.session.organizationId,
      memberId: target.session.memberId,
      startedAt: at,
      lastAccessedAt: at,
      expiresAt,
      authenticationFactors: [...target.session.authenticationFactors, factor],
      customClaims: options.customClaims ?? {},
      revokedAt: null,
    };
    const result = await context.repository.exchangeIntermediateSession(target.session.tokenHash, at, session, options.spend);
    if (result.status === 'intermediate_session_not_found') throw intermediateSessionNotFound();
    if (result.status === 'spend_refused') {
      if (options.spend === undefined) throw new Error('exchangeIntermediateSession refused a spend it was not given');
      return null;
    }
    recoveryCodesRemaining = result.recoveryCodesRemaining ?? null;
  } else {
    const { customClaims, spend } = options;
    const update: MemberSessionUpdate = customClaims === undefined ? { at, expiresAt, factor } : { at, expiresAt, factor, customClaims };
    const { memberSessionId } = target.session;
    if (spend === undefined) {
      const extended = await context.repository.extendMemberSession(memberSessionId, update);
      if (extended === null) throw sessionNotFound();
      session = extended;
    } else {
      const result = await context.repository.extendMemberSessionWithSpend(memberSessionId, update, spend);
      if (result.status === 'session_not_found') throw sessionNotFound();
      if (result.status === 'spend_refused') return null;
      session = result.session;
      recoveryCodesRemaining = result.recoveryCodesRemaining ?? null;
    }
    sessionToken = target.sessionToken;
  }
  const grant: SessionGrant = {
    session_token: sessionToken,
    session_jwt: sessionJwtAt(session, organization, context.sessionJwt, nowMs),
    member_session: toMemberSessionObject(session, organization),
  };
  return { grant, recoveryCodesRemaining };
}

// ── Service methods ──────────────────────────────────────────────────────────────────────────────────────

const FACTOR_NAME = /^[a-z][a-z0-9_]{0,63}$/;

function parseHostFactors(body: RequestBody, nowMs: number): AuthenticationFactor[] {
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
  request: unknown,
  options?: CallOptions,
): Promise<StartIntermediateSessionResponse> {
  const body = asRequestBody(request);
  const organization = await resolveOrganization(context.repository, requiredString(body, 'organization_id'));
  const member = await resolveMember(context.repository, organization, requiredString(body, 'member_id'));
  assertActiveMember(member);
  const nowMs = context.clock();
  const token = newOpaqueToken(context.randomBytes);
  await context.repository.insertIntermediateSession({
    tokenHash: hashToken(token),
    organizationId: organization.organizationId,
    memberId: member.memberId,
    authenticationFactors: parseHostFactors(body, nowMs),
    createdAt: new Date(nowMs),
    expiresAt: new Date(nowMs + context.intermediateSessionMinutes * 60_000),
  });
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    intermediate_session_token: token,
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export async function authenticateSession(
  context: ServiceContext,
  request: unknown,
  options?: CallOptions,
): Promise<SessionAuthenticateResponse> {
  const body = asRequestBody(request);
  const tokens = readPresentedTokens(body);
  if (tokens.sessionToken === undefined && tokens.sessionJwt === undefined) {
    throw new TotpError('bad_request', 'session_token or session_jwt is required');
  }
  const durationMinutes = parseSessionDurationMinutes(body);
  const customClaims = parseCustomClaims(body);
  const nowMs = context.clock();
  const found = await findLiveMemberSession(context, tokens, nowMs);
  const organization = await context.repository.findOrganizationById(found.organizationId);
  const member = await context.repository.findMemberById(found.organizationId, found.memberId);
  if (organization === null || member === null) throw sessionNotFound();
  const at = new Date(nowMs);
  const session = await context.repository.extendMemberSession(found.memberSessionId, {
    at,
    // Without session_duration_minutes the expiry stays as it is (max() in the repository keeps the later one).
    expiresAt: durationMinutes === undefined ? found.expiresAt : new Date(nowMs + durationMinutes * 60_000),
    ...(customClaims === undefined ? {} : { customClaims }),
  });
  if (session === null) throw sessionNotFound();
  return {
    request_id: requestIdFor(context, options),
    member_id: member.memberId,
    session_token: tokens.sessionToken ?? '',
    session_jwt: await signSessionJwt(session, organization, context.sessionJwt, nowMs),
    member_session: toMemberSessionObject(session, organization),
    member: toMemberObject(member, nowMs),
    organization: toOrganizationObject(organization),
    status_code: 200,
  };
}

export async function revokeSession(context: ServiceContext, request: unknown, options?: CallOptions): Promise<RevokeResponse> {
  const body = asRequestBody(request);
  const memberSessionId = optionalString(body, 'member_session_id');
  const memberId = optionalString(body, 'member_id');
  const tokens = readPresentedTokens(body);
  const nowMs = context.clock();
  let id: string;
  if (memberSessionId !== undefined) {
    const session = await context.repository.findMemberSessionById(memberSessionId);
    if (session === null) throw new TotpError('session_not_found', 'no session has this member_session_id');
    id = session.memberSessionId;
  } else if (tokens.sessionToken !== undefined || tokens.sessionJwt !== undefined) {
    id = (await findLiveMemberSession(context, tokens, nowMs)).memberSessionId;
  } else if (memberId !== undefined) {
    // Every session of the member. Only a member ID names a member without its organization.
    if (!isId(memberId, 'member')) throw new TotpError('member_not_found', 'member_id must be a member ID to revoke its sessions');
    await context.repository.revokeMemberSessions(memberId, new Date(nowMs));
    return { request_id: requestIdFor(context, options), status_code: 200 };
  } else {
    throw new TotpError('bad_request', 'member_session_id, session_token, session_jwt or member_id is required');
  }
  await context.repository.revokeMemberSession(id, new Date(nowMs));
  return { request_id: requestIdFor(context, options), status_code: 200 };
}
