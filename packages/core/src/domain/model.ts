// The records the repository port stores and returns: organizations, members, TOTP registrations.
// Field meanings follow Stytch's B2B objects (docs/http-reference.md, "The objects"); storage is camelCase, the API snake_case.

import type { EncryptedSecret } from '../crypto/secret-box';
import type { RecoveryCodeHash } from '../crypto/recovery-code-hashes';
import type { TotpAlgorithmName } from '../otp/totp';

export type { EncryptedSecret, RecoveryCodeHash, TotpAlgorithmName };

export type Environment = 'test' | 'live';
export type MfaPolicy = 'OPTIONAL' | 'REQUIRED_FOR_ALL';
export type MfaMethods = 'ALL_ALLOWED' | 'RESTRICTED';
export type MemberStatus = 'active' | 'invited' | 'pending' | 'deleted';
export type DefaultMfaMethod = '' | 'totp';

export interface OrganizationRecord {
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  /** `""` when the host set none. */
  organizationExternalId: string;
  mfaPolicy: MfaPolicy;
  mfaMethods: MfaMethods;
  allowedMfaMethods: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRecord {
  organizationId: string;
  memberId: string;
  /** As given; uniqueness is checked on `emailAddress.toLowerCase()`. */
  emailAddress: string;
  name: string;
  status: MemberStatus;
  /** `""` when the host set none. */
  externalId: string;
  mfaEnrolled: boolean;
  /** The active registration's ID, `""` when the member has none. */
  totpRegistrationId: string;
  defaultMfaMethod: DefaultMfaMethod;
  /** Consecutive failed MFA attempts since the last success. */
  failedMfaAttempts: number;
  lockCreatedAt: Date | null;
  lockExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type TotpRegistrationStatus = 'pending' | 'active';

export interface TotpRegistrationRecord {
  totpRegistrationId: string;
  organizationId: string;
  memberId: string;
  status: TotpRegistrationStatus;
  secret: EncryptedSecret;
  algorithm: TotpAlgorithmName;
  digits: number;
  periodSeconds: number;
  /** When a pending registration stops being usable; `null` once active. */
  expiresAt: Date | null;
  /** The highest time step ever accepted for this registration; `null` before the first success. */
  lastAcceptedStep: number | null;
  createdAt: Date;
  activatedAt: Date | null;
}

/** A factor a session holds (Stytch's AuthenticationFactor, the fields this project fills). */
export interface AuthenticationFactor {
  type: string;
  delivery_method: string;
  /** RFC 3339 UTC. */
  last_authenticated_at: string;
  created_at: string;
  updated_at: string;
  /** For `type: "totp"`: the registration that was used. */
  authenticator_app_factor?: { totp_id: string };
  /** For `type: "recovery_codes"`: the registration whose code was used. */
  recovery_code_factor?: { totp_recovery_code_id: string };
}

/**
 * A token the host app issues after its own primary authentication, to be exchanged (once) for a member
 * session by a successful TOTP or recovery code. Stored only as the SHA-256 of the token.
 */
export interface IntermediateSessionRecord {
  /** Lower-case hex SHA-256 of the token. */
  tokenHash: string;
  organizationId: string;
  memberId: string;
  /** The factors the host says the member already satisfied (e.g. a password). */
  authenticationFactors: AuthenticationFactor[];
  createdAt: Date;
  expiresAt: Date;
}

export interface MemberSessionRecord {
  memberSessionId: string;
  /** Lower-case hex SHA-256 of the opaque session token. */
  tokenHash: string;
  organizationId: string;
  memberId: string;
  startedAt: Date;
  lastAccessedAt: Date;
  expiresAt: Date;
  authenticationFactors: AuthenticationFactor[];
  customClaims: Record<string, unknown>;
  /** Set when the session was revoked; a revoked session is never returned as valid. */
  revokedAt: Date | null;
}
