// Contract suite "recovery codes": how many are left, and rotation that replaces every code at once.

import { expect } from 'vitest';
import type { SuiteContext } from '../harness';
import { enrollment, errorTypeOf, memberRecord, organizationRecord, recoveryCodeSet, registrationRecord } from '../fixtures';

export function recoveryCodesSuite({ h, test }: SuiteContext): void {
  const { pending, active } = enrollment(h);

  test('counts what is left, never returning a code', async () => {
    const e = await active();
    await h().service.recoveryCodes.recover({
      organization_id: e.organizationId,
      member_id: e.memberId,
      recovery_code: e.recoveryCodes[4]!,
      session_token: e.sessionToken,
    });
    const got = await h().service.recoveryCodes.get({ organization_id: e.organizationId, member_id: e.memberId });
    expect(got.recovery_codes_remaining).toBe(9);
    expect(got.recovery_codes).toEqual([]);
    expect(await h().repository.countRecoveryCodes('member-totp-test-00000000-0000-4000-8000-000000000000')).toBe(0);
  });

  test('rotates: every old code stops working at once, 10 new ones work', async () => {
    const e = await active();
    const rotated = await h().service.recoveryCodes.rotate({ organization_id: e.organizationId, member_id: e.memberId });
    expect(rotated.recovery_codes).toHaveLength(10);
    expect(rotated.recovery_codes.some((c) => e.recoveryCodes.includes(c))).toBe(false);
    for (const old of e.recoveryCodes.slice(0, 3)) {
      expect(
        await errorTypeOf(
          h().service.recoveryCodes.recover({
            organization_id: e.organizationId,
            member_id: e.memberId,
            recovery_code: old,
            session_token: e.sessionToken,
          }),
        ),
      ).toBe('unable_to_authenticate_recovery_code');
    }
    const ok = await h().service.recoveryCodes.recover({
      organization_id: e.organizationId,
      member_id: e.memberId,
      recovery_code: rotated.recovery_codes[9]!,
      session_token: e.sessionToken,
    });
    expect(ok.recovery_codes_remaining).toBe(9);
  });

  test('replaceRecoveryCodes: all or nothing, false for a registration that does not exist', async () => {
    const repo = h().repository;
    const org = organizationRecord();
    await repo.insertOrganization(org);
    const member = memberRecord(org.organizationId);
    await repo.insertMember(member);
    const registration = registrationRecord(member);
    const first = recoveryCodeSet();
    await repo.saveRegistration(registration, first.hashes);
    const second = recoveryCodeSet();
    // Concurrent rotations leave exactly one whole set.
    const sets = [second, recoveryCodeSet(), recoveryCodeSet()];
    expect(await Promise.all(sets.map((s) => repo.replaceRecoveryCodes(registration.totpRegistrationId, s.hashes)))).toEqual([
      true,
      true,
      true,
    ]);
    expect(await repo.countRecoveryCodes(registration.totpRegistrationId)).toBe(10);
    const dump = JSON.stringify(await h().dump());
    const whole = sets.filter((s) => s.hashes.every((x) => dump.includes(x.hash)));
    expect(whole).toHaveLength(1);
    for (const s of [first, ...sets.filter((x) => x !== whole[0])]) for (const x of s.hashes) expect(dump).not.toContain(x.hash);
    expect(await repo.replaceRecoveryCodes('member-totp-test-00000000-0000-4000-8000-000000000000', second.hashes)).toBe(false);
  });

  test('needs an active registration', async () => {
    const e = await pending();
    expect(await errorTypeOf(h().service.recoveryCodes.get({ organization_id: e.organizationId, member_id: e.memberId }))).toBe(
      'totp_not_found',
    );
    expect(await errorTypeOf(h().service.recoveryCodes.rotate({ organization_id: e.organizationId, member_id: e.memberId }))).toBe(
      'totp_not_found',
    );
  });
}
