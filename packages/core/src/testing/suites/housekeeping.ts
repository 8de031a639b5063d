// Contract suite "housekeeping": purgeExpired deletes what can never be used again, and nothing still usable.

import { expect } from 'vitest';
import { nobleCrypto } from '../../crypto/noble';
import { hashToken } from '../../crypto/tokens';
import type { SuiteContext } from '../harness';
import { MINUTE_MS, enrollment } from '../fixtures';

export function housekeepingSuite({ h, test }: SuiteContext): void {
  const { ist, active } = enrollment(h);

  test('purges expired and revoked sessions and expired pending registrations, never anything still usable', async () => {
    const e = await active();
    const stale = await ist(e.organizationId, e.memberId);
    const fresh = await ist(e.organizationId, e.memberId);
    const other = await h().provision();
    const expiring = await h().service.totps.create({
      organization_id: other.organizationId,
      member_id: other.memberId,
      expiration_minutes: 5,
    });
    const revokedToken = (
      await h().service.recoveryCodes.recover({
        organization_id: e.organizationId,
        member_id: e.memberId,
        recovery_code: e.recoveryCodes[0]!,
        intermediate_session_token: stale,
      })
    ).session_token;
    await h().service.sessions.revoke({ session_token: revokedToken });
    h().advance(11 * MINUTE_MS);
    expect(await h().service.maintenance.purgeExpired({ graceMinutes: 0 })).toEqual({
      intermediateSessions: 1,
      memberSessions: 1,
      pendingRegistrations: 1,
    });
    expect(await h().repository.findRegistrations(other.organizationId, other.memberId)).toEqual({ active: null, pending: null });
    expect(await h().repository.countRecoveryCodes(expiring.totp_registration_id)).toBe(0);
    expect(await h().repository.findIntermediateSession(hashToken(nobleCrypto, fresh))).toBeNull();
    // The member's live session and active registration stay.
    expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
    expect((await h().repository.findRegistrations(e.organizationId, e.memberId)).active).not.toBeNull();
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(9);
    expect(await h().service.maintenance.purgeExpired({ graceMinutes: 0 })).toEqual({
      intermediateSessions: 0,
      memberSessions: 0,
      pendingRegistrations: 0,
    });
  });

  test('keeps what expired within the grace period', async () => {
    const { organizationId, memberId } = await h().provision();
    await h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
    h().advance(6 * MINUTE_MS);
    expect((await h().service.maintenance.purgeExpired()).pendingRegistrations).toBe(0);
    expect((await h().repository.findRegistrations(organizationId, memberId)).pending).not.toBeNull();
    await expect(h().service.maintenance.purgeExpired({ graceMinutes: -1 })).rejects.toThrow(RangeError);
  });
}
