// @totp/core: RFC 6238 TOTP multi-factor authentication for the members of organizations, Stytch B2B TOTP's API shape.
// The service, the repository port a store implements, the domain's errors and records. Building blocks: `@totp/core/otp`;
// the node:crypto provider: `@totp/core/node`; the stores' contract suites: `@totp/core/testing`.

export { createTotpService, type TotpService } from './service/service';
export { DEFAULT_INTERMEDIATE_SESSION_MINUTES, type CallOptions, type Clock, type TotpServiceOptions } from './service/context';
export { ERROR_TYPES, TotpError, isErrorType, isTotpError, type ErrorType, type TotpErrorOptions } from './domain/errors';

// The crypto provider and keys a host configures.
export type { CryptoProvider } from './crypto/provider';
export { nobleCrypto } from './crypto/noble';
export { createKeyring, decodeKeyMaterial, type KeyInput, type Keyring } from './crypto/keyring';

// The port, its records, and the rules a store applies as core does.
export type {
  InsertMemberResult,
  InsertOrganizationResult,
  MemberLookup,
  MemberPatch,
  MemberRegistrations,
  MemberSessionExtension,
  MfaAttemptContext,
  MfaAttemptQuery,
  MfaGrant,
  MfaGrantResult,
  MfaSpend,
  OrganizationLookup,
  PresentedSession,
  PurgeCounts,
  SaveRegistrationResult,
  TotpRepository,
} from './domain/repository';
export type {
  AuthenticationFactor,
  DefaultMfaMethod,
  EncryptedSecret,
  Environment,
  IntermediateSessionRecord,
  MemberRecord,
  MemberSessionRecord,
  MemberStatus,
  MfaMethods,
  MfaPolicy,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpAlgorithmName,
  TotpRegistrationRecord,
  TotpRegistrationStatus,
} from './domain/model';
export {
  DEFAULT_LOCKOUT_POLICY,
  isLocked,
  lockoutAfterSuccess,
  reserveAttempt,
  type AttemptReservation,
  type LockoutPolicy,
  type LockoutState,
} from './domain/lockout-policy';
export { withFactor } from './domain/factors';
export { DEFAULT_EXPIRATION_MINUTES, MAX_EXPIRATION_MINUTES, MIN_EXPIRATION_MINUTES } from './domain/expiry-policy';
export { EXTERNAL_ID_PATTERN, ORGANIZATION_SLUG_PATTERN } from './domain/identifiers';
export type { EventHandlerErrorReporter, TotpEventBase, TotpEventName, TotpEvents } from './domain/events';
export type { MemberObject, MemberSessionObject, OrganizationObject } from './domain/objects';
export { SESSION_JWT_LIFETIME_SECONDS } from './domain/session-jwt';
export { DEFAULT_PURGE_GRACE_MINUTES } from './service/purge';
export {
  DEFAULT_SESSION_DURATION_MINUTES,
  MAX_CUSTOM_CLAIMS_BYTES,
  MAX_SESSION_DURATION_MINUTES,
  MIN_SESSION_DURATION_MINUTES,
} from './service/request-fields';

// Each use case's request and response, as the service methods take and return them.
export type { AuthenticateTotpRequest, AuthenticateTotpResponse } from './service/authenticate-totp';
export { TOTP_WINDOW_STEPS } from './service/authenticate-totp';
export type { CreateTotpRequest, CreateTotpResponse } from './service/create-totp';
export { TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS } from './service/create-totp';
export type { MigrateTotpRequest, MigrateTotpResponse } from './service/migrate-totp';
export type { DeleteTotpRequest, DeleteTotpResponse } from './service/delete-totp';
export type { RecoverRequest, RecoverResponse } from './service/recover';
export type { GetRecoveryCodesResponse, RecoveryCodesRequest, RotateRecoveryCodesResponse } from './service/recovery-codes';
export type {
  CreateOrganizationRequest,
  DeleteOrganizationResponse,
  OrganizationRequest,
  OrganizationResponse,
} from './service/organizations';
export type { CreateMemberRequest, DeleteMemberResponse, GetMemberRequest, MemberRequest, MemberResponse } from './service/members';
export type {
  AuthenticateSessionRequest,
  AuthenticateSessionResponse,
  RevokeSessionRequest,
  RevokeSessionResponse,
  StartIntermediateSessionRequest,
  StartIntermediateSessionResponse,
} from './service/sessions';
export type { MfaSuccessResponse } from './service/mfa-attempt';
