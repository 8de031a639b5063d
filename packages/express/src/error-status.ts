// The HTTP status of every `error_type` core can produce: the error table of docs/http-reference.md as one exhaustive map.
// `satisfies Record<ErrorType, number>` makes a new error type in core fail to compile here until it is given a status.

import type { ErrorType } from '@totp/core';

export const ERROR_STATUS = {
  bad_request: 400,
  invalid_expiration: 400,
  invalid_session_duration_minutes: 400,
  custom_claims_too_large: 400,
  invalid_totp_code: 400,
  invalid_recovery_code: 400,
  active_totp_exists: 400,
  action_available_only_for_active_members: 400,
  no_associated_session_passed_in: 400,
  expired_totp: 400,
  unauthorized_credentials: 401,
  unable_to_authenticate_totp: 401,
  totp_code_already_authenticated: 401,
  unable_to_authenticate_recovery_code: 401,
  session_not_found: 401,
  intermediate_session_not_found: 401,
  session_authorization_error: 403,
  organization_not_found: 404,
  member_not_found: 404,
  totp_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  duplicate_organization_slug: 409,
  duplicate_organization_external_id: 409,
  duplicate_member_email: 409,
  duplicate_member_external_id: 409,
  request_too_large: 413,
  request_timeout: 408,
  user_lock_limit_reached: 429,
  internal_server_error: 500,
  service_unavailable: 503,
} as const satisfies Record<ErrorType, number>;

export type ErrorStatus = (typeof ERROR_STATUS)[ErrorType];
