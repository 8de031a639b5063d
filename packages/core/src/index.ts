// @totp/core: RFC 6238 TOTP multi-factor authentication for the members of organizations, Stytch B2B TOTP's API shape.
// Pure: no I/O, no framework, no node-only module. Storage comes in through the TotpRepository port.

export { ERROR_TYPES, TotpError, isErrorType, isTotpError, type ErrorType, type TotpErrorOptions } from './errors';
export { systemClock, systemRandomBytes, type Clock, type RandomBytes } from './runtime';
export type {
  AuthenticationFactor,
  DefaultMfaMethod,
  EncryptedSecret,
  Environment,
  IntermediateSessionRecord,
  MemberSessionRecord,
  MemberRecord,
  MemberStatus,
  MfaMethods,
  MfaPolicy,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpAlgorithmName,
  TotpRegistrationRecord,
  TotpRegistrationStatus,
} from './model';
export type {
  ExchangeResult,
  ExchangeSpend,
  ExtendResult,
  MemberLookup,
  MemberMfaPatch,
  MemberRegistrations,
  MemberSessionUpdate,
  MfaContext,
  MfaContextQuery,
  OrganizationLookup,
  PurgeCounts,
  ReserveAttemptResult,
  SaveRegistrationResult,
  TotpRepository,
} from './repository';
export { DEFAULT_PURGE_GRACE_MINUTES } from './housekeeping';

export {
  DEFAULT_SECRET_BYTES,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  decodeSecret,
  encodeSecret,
  generateSecret,
} from './secret';
export {
  generateTotp,
  hotp,
  isWellFormedTotpCode,
  timeStepAt,
  verifyTotp,
  type TotpParameters,
  type TotpVerification,
} from './totp';
export {
  OtpauthUriError,
  buildOtpauthUri,
  parseOtpauthUri,
  type OtpauthUriErrorReason,
  type OtpauthUriParameters,
  type ParsedOtpauthUri,
} from './otpauth-uri';
export { qrCodeDataUri } from './qr-code';
export {
  RECOVERY_CODE_COUNT,
  generateRecoveryCodes,
  hashRecoveryCode,
  hashRecoveryCodes,
  normalizeRecoveryCode,
  recoveryCodeLookupHashes,
} from './recovery-codes';
export { createKeyring, decodeKeyMaterial, type KeyInput, type Keyring } from './keyring';
export { decryptSecret, encryptSecret, type SecretBinding } from './secret-box';
export {
  DEFAULT_EXPIRATION_MINUTES,
  MAX_EXPIRATION_MINUTES,
  MIN_EXPIRATION_MINUTES,
  isExpiredPending,
  parseExpirationMinutes,
  pendingExpiresAt,
} from './expiry-policy';
export { isId, newId, uuidV4, type IdKind } from './ids';
export {
  EXTERNAL_ID_PATTERN,
  ORGANIZATION_SLUG_PATTERN,
  resolveMember,
  resolveOrganization,
} from './identifiers';
export {
  isMemberLocked,
  rfc3339,
  toMemberObject,
  toOrganizationObject,
  type MemberObject,
  type OrganizationObject,
} from './api-objects';
export type { DeleteMemberResponse, DeleteResponse, MemberResponse, OrganizationResponse } from './provisioning';
export {
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  type CreateTotpRequest,
  type CreateTotpResponse,
  type DeleteTotpResponse,
  type MigrateTotpRequest,
  type MigrateTotpResponse,
} from './registration';
export { hashToken, newOpaqueToken, TOKEN_BYTES } from './tokens';
export {
  DEFAULT_LOCKOUT_POLICY,
  attemptReservation,
  isLocked,
  lockoutAfterSuccess,
  reserveAttempt,
  resolveLockoutPolicy,
  type AttemptReservation,
  type LockoutPolicy,
  type LockoutState,
} from './lockout-policy';
export type { EventHandlerErrorReporter, TotpEventBase, TotpEventName, TotpEvents } from './events';
export {
  DEFAULT_INTERMEDIATE_SESSION_MINUTES,
  DEFAULT_SESSION_DURATION_MINUTES,
  MAX_CUSTOM_CLAIMS_BYTES,
  MAX_SESSION_DURATION_MINUTES,
  MIN_SESSION_DURATION_MINUTES,
  type MemberSessionObject,
  type RevokeResponse,
  type SessionAuthenticateResponse,
  type SessionGrant,
  type StartIntermediateSessionResponse,
} from './sessions';
export { SESSION_JWT_LIFETIME_SECONDS } from './session-jwt';
export { TOTP_WINDOW_STEPS, type AuthenticateResponse, type AuthenticateTotpRequest } from './authentication';
export type { GetRecoveryCodesResponse, RecoverRequest, RecoverResponse, RotateRecoveryCodesResponse } from './recovery';
export { createTotpService, type CallOptions, type TotpService, type TotpServiceOptions } from './service';
