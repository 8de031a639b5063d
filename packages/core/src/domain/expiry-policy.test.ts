import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPIRATION_MINUTES,
  MAX_EXPIRATION_MINUTES,
  MIN_EXPIRATION_MINUTES,
  isExpiredPending,
  parseExpirationMinutes,
  pendingExpiresAt,
} from './expiry-policy';
import type { TotpRegistrationRecord } from './model';

const registration = (status: 'pending' | 'active', expiresAt: Date | null): TotpRegistrationRecord => ({
  totpRegistrationId: 'member-totp-test-x',
  organizationId: 'organization-test-x',
  memberId: 'member-test-x',
  status,
  secret: { keyId: 'k', ciphertext: '' },
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
  expiresAt,
  lastAcceptedStep: null,
  createdAt: new Date(0),
  activatedAt: null,
});

describe('parseExpirationMinutes', () => {
  it('defaults to 60 when absent or null', () => {
    expect(parseExpirationMinutes(undefined)).toBe(DEFAULT_EXPIRATION_MINUTES);
    expect(parseExpirationMinutes(null)).toBe(60);
  });

  it('accepts exactly the integers in [5, 1440] (every integer, by property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), (n) => {
        const inRange = n >= MIN_EXPIRATION_MINUTES && n <= MAX_EXPIRATION_MINUTES;
        if (inRange) expect(parseExpirationMinutes(n)).toBe(n);
        else expect(() => parseExpirationMinutes(n)).toThrow(expect.objectContaining({ error_type: 'invalid_expiration' }));
      }),
    );
    expect(parseExpirationMinutes(5)).toBe(5);
    expect(parseExpirationMinutes(1440)).toBe(1440);
  });

  it('refuses non-integers and non-numbers as invalid_expiration', () => {
    for (const bad of [4, 1441, 5.5, Number.NaN, Infinity, -Infinity, '60', true, {}, [], 0, -0.1, 1e308]) {
      expect(() => parseExpirationMinutes(bad)).toThrow(expect.objectContaining({ error_type: 'invalid_expiration' }));
    }
  });
});

describe('isExpiredPending', () => {
  it('is false before the expiry instant and true from it on, to the millisecond', () => {
    const created = Date.UTC(2026, 10, 29, 12);
    const expiresAt = pendingExpiresAt(created, 5);
    expect(expiresAt.getTime()).toBe(created + 5 * 60_000);
    const pending = registration('pending', expiresAt);
    expect(isExpiredPending(pending, expiresAt.getTime() - 1)).toBe(false);
    expect(isExpiredPending(pending, expiresAt.getTime())).toBe(true);
  });

  it('never expires an active registration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (now) => {
        expect(isExpiredPending(registration('active', null), now)).toBe(false);
        expect(isExpiredPending(registration('active', new Date(0)), now)).toBe(false);
      }),
    );
  });
});
