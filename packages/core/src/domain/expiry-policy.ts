// The expiry policy of pending TOTP registrations (docs/http-reference.md, "POST /v1/b2b/totp"):
// `expiration_minutes` is an integer in [5, 1440], default 60; a pending registration past its expiry is gone.

import { TotpError } from './errors';
import type { TotpRegistrationRecord } from './model';

export const DEFAULT_EXPIRATION_MINUTES = 60;
export const MIN_EXPIRATION_MINUTES = 5;
export const MAX_EXPIRATION_MINUTES = 1440;

/**
 * Validates a caller's `expiration_minutes` (absent means the default).
 * Anything but an integer in [5, 1440] (a string, 5.5, NaN, Infinity, -1) is `invalid_expiration`.
 */
export function parseExpirationMinutes(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRATION_MINUTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_EXPIRATION_MINUTES || value > MAX_EXPIRATION_MINUTES) {
    throw new TotpError(
      'invalid_expiration',
      `expiration_minutes must be an integer from ${MIN_EXPIRATION_MINUTES} to ${MAX_EXPIRATION_MINUTES}`,
    );
  }
  return value;
}

/** When a registration created at `createdAtMs` with `expirationMinutes` stops being usable. */
export function pendingExpiresAt(createdAtMs: number, expirationMinutes: number): Date {
  return new Date(createdAtMs + expirationMinutes * 60_000);
}

/**
 * True when `registration` is pending and its expiry has been reached: from that instant on it can no longer be
 * authenticated (`expired_totp`) and the next create replaces it. An active registration never expires.
 */
export function isExpiredPending(registration: TotpRegistrationRecord, nowMs: number): boolean {
  return registration.status === 'pending' && registration.expiresAt !== null && nowMs >= registration.expiresAt.getTime();
}
