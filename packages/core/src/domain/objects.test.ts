// Tests for the Stytch-shaped objects: RFC 3339 UTC timestamps at seconds precision, and what a member object shows.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MemberRecord } from './model';
import { isMemberLocked, rfc3339, toMemberObject } from './objects';

const MAX_MS = 8.64e15; // ECMA-262's time value range is ±8.64e15 ms
/** The text, worked out without rfc3339: the ISO string at seconds precision. */
const text = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('rfc3339', () => {
  it('is the ISO string without milliseconds, for every representable date', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(rfc3339(date)).toBe(date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes whole seconds, UTC, and extended years', () => {
    expect(rfc3339(new Date(Date.UTC(2026, 10, 29, 12, 0, 5, 999)))).toBe('2026-11-29T12:00:05Z');
    expect(rfc3339(new Date(0))).toBe('1970-01-01T00:00:00Z');
    expect(rfc3339(new Date(Date.UTC(10000, 0, 1)))).toBe('+010000-01-01T00:00:00Z');
    expect(rfc3339(new Date(MAX_MS))).toBe('+275760-09-13T00:00:00Z');
  });

  it('gives every millisecond of a second that second, before 1970 too', () => {
    const base = Date.UTC(2026, 10, 29, 12, 0, 0);
    for (const ms of [base, base + 999, base + 1000, -1, -1000, -1001, 0, -MAX_MS]) expect(rfc3339(new Date(ms))).toBe(text(ms));
    expect(rfc3339(new Date(base + 999))).toBe('2026-11-29T12:00:00Z');
    expect(rfc3339(new Date(-1))).toBe('1969-12-31T23:59:59Z');
  });

  it('throws RangeError for an invalid date, and for one just past the range', () => {
    for (const ms of [Number.NaN, MAX_MS + 1, -MAX_MS - 1, Infinity]) expect(() => rfc3339(new Date(ms))).toThrow(RangeError);
  });
});

describe('toMemberObject', () => {
  const at = (iso: string) => new Date(iso);
  const member: MemberRecord = {
    organizationId: 'organization-test-0d9c3e8a-7f1b-4c1e-9a57-2b9f4c6d8e10',
    memberId: 'member-test-5a0e2f47-3b6c-4d8e-8f91-0c2d4e6f8a1b',
    emailAddress: 'Ada@Example.com',
    name: 'Ada',
    status: 'active',
    externalId: '',
    mfaEnrolled: true,
    totpRegistrationId: 'member-totp-test-9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
    defaultMfaMethod: 'totp',
    failedMfaAttempts: 10,
    lockCreatedAt: at('2026-11-29T12:00:00.250Z'),
    lockExpiresAt: at('2026-11-29T13:00:00.750Z'),
    createdAt: at('2026-01-01T00:00:00.999Z'),
    updatedAt: at('2026-11-29T12:00:00.250Z'),
  };

  it('shows the lock, with its times, only while it is in force', () => {
    const lockEndsMs = member.lockExpiresAt!.getTime();
    expect(isMemberLocked(member, lockEndsMs - 1)).toBe(true);
    expect(isMemberLocked(member, lockEndsMs)).toBe(false);
    expect(toMemberObject(member, lockEndsMs - 1)).toMatchObject({
      is_locked: true,
      lock_created_at: '2026-11-29T12:00:00Z',
      lock_expires_at: '2026-11-29T13:00:00Z',
    });
    const after = toMemberObject(member, lockEndsMs);
    expect(after.is_locked).toBe(false);
    expect(after).not.toHaveProperty('lock_created_at');
    expect(after).not.toHaveProperty('lock_expires_at');
    expect(isMemberLocked({ ...member, lockExpiresAt: null }, 0)).toBe(false);
  });

  it('is snake_case with RFC 3339 timestamps and no roles or phone number', () => {
    expect(toMemberObject(member, 0)).toEqual({
      organization_id: member.organizationId,
      member_id: member.memberId,
      email_address: 'Ada@Example.com',
      name: 'Ada',
      status: 'active',
      external_id: '',
      mfa_enrolled: true,
      mfa_phone_number: '',
      totp_registration_id: member.totpRegistrationId,
      default_mfa_method: 'totp',
      is_locked: true,
      lock_created_at: '2026-11-29T12:00:00Z',
      lock_expires_at: '2026-11-29T13:00:00Z',
      roles: [],
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-11-29T12:00:00Z',
    });
  });
});
