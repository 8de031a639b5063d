// The one domain error of @totp/core and its closed `error_type` union.
// The union mirrors the error table of the HTTP contract (docs/http-reference.md); the HTTP status map lives in the express adapter.

/** Every `error_type` the service can produce. Adding one is a breaking change for adapters, on purpose. */
export const ERROR_TYPES = [
  'bad_request',
  'invalid_expiration',
  'invalid_session_duration_minutes',
  'custom_claims_too_large',
  'invalid_totp_code',
  'invalid_recovery_code',
  'active_totp_exists',
  'action_available_only_for_active_members',
  'no_associated_session_passed_in',
  'expired_totp',
  'unauthorized_credentials',
  'unable_to_authenticate_totp',
  'totp_code_already_authenticated',
  'unable_to_authenticate_recovery_code',
  'session_not_found',
  'intermediate_session_not_found',
  'session_authorization_error',
  'organization_not_found',
  'member_not_found',
  'totp_not_found',
  'route_not_found',
  'method_not_allowed',
  'duplicate_organization_slug',
  'duplicate_organization_external_id',
  'duplicate_member_email',
  'duplicate_member_external_id',
  'request_too_large',
  'request_timeout',
  'user_lock_limit_reached',
  'internal_server_error',
  'service_unavailable',
] as const;

export type ErrorType = (typeof ERROR_TYPES)[number];

export interface TotpErrorOptions {
  /** The underlying failure, kept for logs; never shown to an API caller. */
  cause?: unknown;
}

/**
 * The only error the service throws for an expected failure. `error_type` is machine-readable and stable;
 * `message` is for humans and safe to show to the API caller (it never contains secrets or internals).
 */
export class TotpError extends Error {
  override readonly name = 'TotpError';
  readonly error_type: ErrorType;

  constructor(errorType: ErrorType, message: string, options: TotpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.error_type = errorType;
  }
}

export function isTotpError(value: unknown): value is TotpError {
  return value instanceof TotpError;
}

/** True when `value` is one of the known error types (for adapters that read error types from elsewhere). */
export function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && (ERROR_TYPES as readonly string[]).includes(value);
}
