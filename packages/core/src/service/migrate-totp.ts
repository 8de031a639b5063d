// totps.migrate (docs/http-reference.md, "Other endpoints"): imports a secret from another TOTP provider as an active
// registration, so members keep their authenticator entry; recovery codes are imported or minted.

import { hashRecoveryCodes } from '../crypto/recovery-code-hashes';
import { TotpError } from '../domain/errors';
import { toMemberObject, toOrganizationObject, type MemberObject, type OrganizationObject } from '../domain/objects';
import type { MemberPatch } from '../domain/repository';
import { generateRecoveryCodes, normalizeRecoveryCode } from '../otp/recovery-codes';
import { SecretFormatError, decodeSecret } from '../otp/secret';
import { type CallOptions, type ServiceContext, emit, requestIdFor } from './context';
import { activeTotpExists, newRegistrationRecord } from './create-totp';
import { asRequestBody, field, requiredString } from './request-fields';
import { assertActiveMember, memberNotFound, resolveMember, resolveOrganization } from './resolve';

export interface MigrateTotpRequest {
  organization_id: string;
  member_id: string;
  secret: string;
  recovery_codes?: string[];
}

export interface MigrateTotpResponse {
  request_id: string;
  member_id: string;
  member: MemberObject;
  organization: OrganizationObject;
  totp_registration_id: string;
  recovery_codes: string[];
  status_code: 200;
}

export interface MigrateTotpInput {
  organizationIdentifier: string;
  memberIdentifier: string;
  /** The decoded secret (16 to 128 bytes): the caller wipes it. */
  secret: Uint8Array;
  /** Normalised and distinct; undefined when none were given (then 10 are minted). */
  recoveryCodes: string[] | undefined;
}

const MAX_IMPORTED_RECOVERY_CODES = 100;

export function parseMigrateTotpRequest(request: unknown): MigrateTotpInput {
  const body = asRequestBody(request);
  const organizationIdentifier = requiredString(body, 'organization_id');
  const memberIdentifier = requiredString(body, 'member_id');
  const recoveryCodes = readImportedRecoveryCodes(field(body, 'recovery_codes'));
  let secret: Uint8Array;
  try {
    secret = decodeSecret(requiredString(body, 'secret', 1024));
  } catch (error) {
    if (error instanceof SecretFormatError) throw new TotpError('bad_request', error.message, { cause: error });
    throw error;
  }
  return { organizationIdentifier, memberIdentifier, secret, recoveryCodes };
}

function readImportedRecoveryCodes(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_IMPORTED_RECOVERY_CODES) {
    throw new TotpError('bad_request', `recovery_codes must be an array of at most ${MAX_IMPORTED_RECOVERY_CODES} strings`);
  }
  if (value.length === 0) return undefined;
  const codes = value.map((item: unknown, i) => {
    const normalized = normalizeRecoveryCode(item);
    if (normalized === null)
      throw new TotpError('invalid_recovery_code', `recovery_codes[${i}] must look like xxxx-xxxx-xxxx (letters and digits)`);
    return normalized;
  });
  return [...new Set(codes)];
}

export async function migrateTotpRegistration(
  context: ServiceContext,
  request: MigrateTotpRequest,
  options?: CallOptions,
): Promise<MigrateTotpResponse> {
  const input = parseMigrateTotpRequest(request);
  try {
    const organization = await resolveOrganization(context, input.organizationIdentifier);
    const member = await resolveMember(context, organization, input.memberIdentifier);
    assertActiveMember(member);
    const nowMs = context.clock();
    const registration = newRegistrationRecord(context, { organization, member, secret: input.secret, nowMs, expiresAt: null });
    const recoveryCodes = input.recoveryCodes ?? generateRecoveryCodes({ randomBytes: context.crypto.randomBytes });
    // The member's first MFA factor becomes its default method.
    const patch: MemberPatch | undefined =
      member.defaultMfaMethod === '' ? { defaultMfaMethod: 'totp', updatedAt: new Date(nowMs) } : undefined;
    const saved = await context.repository.saveRegistration(
      registration,
      hashRecoveryCodes(recoveryCodes, context.recoveryCodePepper, context.crypto),
      patch,
    );
    if (saved === 'active_totp_exists') throw activeTotpExists();
    if (saved === 'member_not_found') throw memberNotFound();
    const { totpRegistrationId } = registration;
    emit(context, 'registrationCreated', {
      organizationId: organization.organizationId,
      memberId: member.memberId,
      at: new Date(nowMs),
      totpRegistrationId,
      migrated: true,
    });
    return {
      request_id: requestIdFor(context, options),
      member_id: member.memberId,
      member: toMemberObject({ ...member, ...patch, totpRegistrationId }, nowMs),
      organization: toOrganizationObject(organization),
      totp_registration_id: totpRegistrationId,
      recovery_codes: recoveryCodes,
      status_code: 200,
    };
  } finally {
    input.secret.fill(0);
  }
}
