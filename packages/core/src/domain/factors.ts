// Authentication factors as a session holds them (Stytch's AuthenticationFactor): the ones this service adds, and the
// rule for adding one to a session. Stores apply `withFactor` as it is; SQL stores express the same rule.

import { rfc3339 } from './objects';
import type { AuthenticationFactor } from './model';

/** A factor of `type` and `deliveryMethod` authenticated at `nowMs`. */
export function newFactor(
  type: string,
  deliveryMethod: string,
  nowMs: number,
  detail: Pick<AuthenticationFactor, 'authenticator_app_factor' | 'recovery_code_factor'> = {},
): AuthenticationFactor {
  const at = rfc3339(new Date(nowMs));
  return { type, delivery_method: deliveryMethod, last_authenticated_at: at, created_at: at, updated_at: at, ...detail };
}

/** The factor a TOTP code adds (`type: "totp"`, `delivery_method: "authenticator_app"`). */
export const totpFactor = (nowMs: number, totpRegistrationId: string): AuthenticationFactor =>
  newFactor('totp', 'authenticator_app', nowMs, { authenticator_app_factor: { totp_id: totpRegistrationId } });

/** The factor a recovery code adds (`type: "recovery_codes"`, `delivery_method: "recovery_code"`). */
export const recoveryCodeFactor = (nowMs: number, totpRegistrationId: string): AuthenticationFactor =>
  newFactor('recovery_codes', 'recovery_code', nowMs, { recovery_code_factor: { totp_recovery_code_id: totpRegistrationId } });

/**
 * A session's factors after `factor` is added: the factors in their order without any of the same `type` and
 * `delivery_method`, then `factor`. So a session holds each kind of factor once, with its latest authentication.
 */
export function withFactor(factors: readonly AuthenticationFactor[], factor: AuthenticationFactor): AuthenticationFactor[] {
  return [...factors.filter((f) => !(f.type === factor.type && f.delivery_method === factor.delivery_method)), factor];
}
