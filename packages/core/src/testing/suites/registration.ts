// Contract suite "registration": totps.create, migrate and deleteTOTP through the service, read back from the store:
// a pending registration whole, its secret encrypted and its recovery codes hashed, one per member under concurrency.

import { expect } from 'vitest';
import { createKeyring } from '../../crypto/keyring';
import { nobleCrypto } from '../../crypto/noble';
import { recoveryCodeLookupHashes } from '../../crypto/recovery-code-hashes';
import { decryptSecret } from '../../crypto/secret-box';
import { normalizeRecoveryCode } from '../../otp/recovery-codes';
import { decodeSecret, encodeSecret } from '../../otp/secret';
import { generateTotp } from '../../otp/totp';
import type { SuiteContext } from '../harness';
import { MINUTE_MS, enrollment, errorTypeOf, registrationRecord, memberRecord, organizationRecord } from '../fixtures';
import { CONTRACT_ENCRYPTION_KEYS, CONTRACT_RECOVERY_CODE_PEPPER } from '../harness';

const CODE_SHAPE = /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/;

export function registrationSuite({ h, test }: SuiteContext): void {
  const { code, ist, active } = enrollment(h);
  const keyring = () => createKeyring('encryption keys', CONTRACT_ENCRYPTION_KEYS, { exactBytes: 32 });
  const pepper = () => createKeyring('recovery code pepper', CONTRACT_RECOVERY_CODE_PEPPER, { minBytes: 32 });
  /** The stored hash of each code (under the current pepper): what the store must hold, and nothing else of them. */
  const storedHashesOf = (codes: string[]) =>
    codes.map((c) => recoveryCodeLookupHashes(normalizeRecoveryCode(c)!, pepper(), nobleCrypto)[0]!.hash);

  test('stores a pending registration whose encrypted secret and hashed codes match the response', async () => {
    const { organizationId, memberId } = await h().provision();
    const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    expect(created.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(created.recovery_codes).toHaveLength(10);
    for (const c of created.recovery_codes) expect(c).toMatch(CODE_SHAPE);

    const { active: none, pending } = await h().repository.findRegistrations(organizationId, memberId);
    expect(none).toBeNull();
    expect(pending).toMatchObject({
      totpRegistrationId: created.totp_registration_id,
      status: 'pending',
      lastAcceptedStep: null,
      activatedAt: null,
    });
    expect(pending!.expiresAt!.getTime()).toBe(h().now() + 60 * MINUTE_MS);
    expect(pending!.createdAt.getTime()).toBe(h().now());
    const binding = { organizationId, memberId, totpRegistrationId: created.totp_registration_id };
    const secret = decryptSecret(pending!.secret, { binding, keyring: keyring(), crypto: nobleCrypto });
    expect(secret).toEqual(decodeSecret(created.secret));
    // An authenticator fed the response computes the codes the stored secret gives.
    expect(generateTotp(secret, { nowMs: h().now() })).toBe(generateTotp(decodeSecret(created.secret), { nowMs: h().now() }));

    expect(await h().repository.countRecoveryCodes(created.totp_registration_id)).toBe(10);
    const dump = JSON.stringify(await h().dump());
    for (const hash of storedHashesOf(created.recovery_codes)) expect(dump).toContain(hash);
  });

  test('never stores the secret or a recovery code in clear', async () => {
    const { organizationId, memberId } = await h().provision();
    const created = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    const dump = JSON.stringify(await h().dump()).toLowerCase();
    const secretBytes = decodeSecret(created.secret);
    expect(dump).not.toContain(created.secret.toLowerCase());
    expect(dump).not.toContain(Array.from(secretBytes, (b) => b.toString(16).padStart(2, '0')).join(''));
    expect(dump).not.toContain(btoa(String.fromCharCode(...secretBytes)).toLowerCase());
    for (const c of created.recovery_codes) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replaceAll('-', ''));
    }
  });

  test('replaces a pending registration and its recovery codes', async () => {
    const { organizationId, memberId } = await h().provision();
    const first = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    const second = await h().service.totps.create({ organization_id: organizationId, member_id: memberId });
    const { pending } = await h().repository.findRegistrations(organizationId, memberId);
    expect(pending!.totpRegistrationId).toBe(second.totp_registration_id);
    expect(await h().repository.countRecoveryCodes(first.totp_registration_id)).toBe(0);
    expect(await h().repository.countRecoveryCodes(second.totp_registration_id)).toBe(10);
    const dump = JSON.stringify(await h().dump());
    for (const hash of storedHashesOf(first.recovery_codes)) expect(dump).not.toContain(hash);
  });

  test('keeps exactly one whole pending registration under 20 concurrent creates', async () => {
    const { organizationId, memberId } = await h().provision();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => h().service.totps.create({ organization_id: organizationId, member_id: memberId })),
    );
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const { pending } = await h().repository.findRegistrations(organizationId, memberId);
    const winner = ok.find((c) => c.totp_registration_id === pending!.totpRegistrationId);
    expect(winner).toBeDefined();
    expect(await h().repository.countRecoveryCodes(winner!.totp_registration_id)).toBe(10);
    // Nothing of the losers remains anywhere in the store: no second pending row, no orphaned codes.
    const dump = JSON.stringify(await h().dump());
    expect([...new Set(dump.match(/member-totp-test-[0-9a-f-]{36}/g))]).toEqual([winner!.totp_registration_id]);
    for (const loser of ok.filter((c) => c !== winner))
      for (const hash of storedHashesOf(loser.recovery_codes)) expect(dump).not.toContain(hash);
  });

  test('refuses an expiration_minutes outside [5, 1440], a member who is not active, and unknown names, writing nothing', async () => {
    const { organizationId, memberId } = await h().provision();
    for (const expiration_minutes of [4, 1441, 5.5, '60', -1, Number.NaN]) {
      expect(
        await errorTypeOf(h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes } as never)),
      ).toBe('invalid_expiration');
    }
    await h().service.totps.create({ organization_id: organizationId, member_id: memberId, expiration_minutes: 5 });
    expect((await h().repository.findRegistrations(organizationId, memberId)).pending!.expiresAt!.getTime()).toBe(
      h().now() + 5 * MINUTE_MS,
    );
    const { member_id } = await h().service.organizations.members.create({
      organization_id: organizationId,
      email_address: 'pending@example.com',
      create_member_as_pending: true,
    });
    expect(await errorTypeOf(h().service.totps.create({ organization_id: organizationId, member_id }))).toBe(
      'action_available_only_for_active_members',
    );
    expect(await h().repository.findRegistrations(organizationId, member_id)).toEqual({ active: null, pending: null });
    expect(await errorTypeOf(h().service.totps.create({ organization_id: 'no-such-org', member_id }))).toBe('organization_not_found');
    expect(await errorTypeOf(h().service.totps.create({ organization_id: organizationId, member_id: 'no-such-member' }))).toBe(
      'member_not_found',
    );
  });

  test('saveRegistration: refuses a second active registration, and activates the member for an active one', async () => {
    const repo = h().repository;
    const org = organizationRecord();
    await repo.insertOrganization(org);
    const member = memberRecord(org.organizationId);
    await repo.insertMember(member);
    const first = registrationRecord(member);
    const at = new Date(member.updatedAt.getTime() + 1000);
    expect(await repo.saveRegistration(first, [], { defaultMfaMethod: 'totp', updatedAt: at })).toBe('saved');
    expect(await repo.findMember(org.organizationId, { by: 'id', value: member.memberId })).toEqual({
      ...member,
      totpRegistrationId: first.totpRegistrationId,
      defaultMfaMethod: 'totp',
      updatedAt: at,
    });
    expect(await repo.saveRegistration(registrationRecord(member), [])).toBe('active_totp_exists');
    expect(await repo.saveRegistration(registrationRecord(member, { status: 'pending' }), [])).toBe('active_totp_exists');
    expect((await repo.findRegistrations(org.organizationId, member.memberId)).active).toEqual(first);
  });

  test('migrates a secret as an active registration, with imported or minted codes', async () => {
    const { organizationId, memberId } = await h().provision();
    const secret = new Uint8Array(20).map((_, i) => i * 7 + 1);
    const migrated = await h().service.totps.migrate({
      organization_id: organizationId,
      member_id: memberId,
      secret: encodeSecret(secret).toLowerCase(),
      recovery_codes: ['AAAA-BBBB-CCCC', 'dddd eeee ffff'],
    });
    expect(migrated.recovery_codes).toEqual(['aaaa-bbbb-cccc', 'dddd-eeee-ffff']);
    expect(migrated.member).toMatchObject({ totp_registration_id: migrated.totp_registration_id, default_mfa_method: 'totp' });
    const stored = await h().repository.findMember(organizationId, { by: 'id', value: memberId });
    expect(stored).toMatchObject({ totpRegistrationId: migrated.totp_registration_id, defaultMfaMethod: 'totp' });
    const dump = JSON.stringify(await h().dump());
    expect(dump).not.toContain('aaaa-bbbb-cccc');
    expect(dump).not.toContain(encodeSecret(secret));
    const result = await h().service.totps.authenticate({
      organization_id: organizationId,
      member_id: memberId,
      code: code(secret),
      intermediate_session_token: await ist(organizationId, memberId),
    });
    expect(result.member_session.authentication_factors[0]!.type).toBe('totp');
    expect(
      await errorTypeOf(h().service.totps.migrate({ organization_id: organizationId, member_id: memberId, secret: encodeSecret(secret) })),
    ).toBe('active_totp_exists');
    const other = await h().provision();
    const minted = await h().service.totps.migrate({
      organization_id: other.organizationId,
      member_id: other.memberId,
      secret: encodeSecret(secret),
    });
    expect(minted.recovery_codes).toHaveLength(10);
    for (const weak of ['JBSWY3DPEHPK3PXP', 'not base32!', '']) {
      expect(
        await errorTypeOf(h().service.totps.migrate({ organization_id: other.organizationId, member_id: other.memberId, secret: weak })),
      ).toBe('bad_request');
    }
  });

  test('deletes the registration and its codes, keeps sessions, and allows a new registration', async () => {
    const e = await active();
    const deleted = await h().service.organizations.members.deleteTOTP({ organization_id: e.organizationId, member_id: e.memberId });
    expect(deleted.member).toMatchObject({ totp_registration_id: '', default_mfa_method: '' });
    expect(await h().repository.findMember(e.organizationId, { by: 'id', value: e.memberId })).toMatchObject({
      totpRegistrationId: '',
      defaultMfaMethod: '',
    });
    expect(await h().repository.findRegistrations(e.organizationId, e.memberId)).toEqual({ active: null, pending: null });
    expect(await h().repository.countRecoveryCodes(e.registrationId)).toBe(0);
    expect((await h().service.sessions.authenticate({ session_token: e.sessionToken })).member_id).toBe(e.memberId);
    expect(
      await errorTypeOf(h().service.organizations.members.deleteTOTP({ organization_id: e.organizationId, member_id: e.memberId })),
    ).toBe('totp_not_found');
    const created = await h().service.totps.create({ organization_id: e.organizationId, member_id: e.memberId });
    expect(created.totp_registration_id).not.toBe(e.registrationId);
  });

  test('refuses on create a token of another member, or an unknown one', async () => {
    const a = await active();
    const b = await h().provision();
    expect(
      await errorTypeOf(
        h().service.totps.create({ organization_id: b.organizationId, member_id: b.memberId, session_token: a.sessionToken }),
      ),
    ).toBe('session_authorization_error');
    expect(
      await errorTypeOf(h().service.totps.create({ organization_id: b.organizationId, member_id: b.memberId, session_jwt: 'a.b.c' })),
    ).toBe('session_not_found');
    expect(
      await errorTypeOf(
        h().service.totps.create({ organization_id: b.organizationId, member_id: b.memberId, intermediate_session_token: 'nope' }),
      ),
    ).toBe('intermediate_session_not_found');
    expect(
      await errorTypeOf(
        h().service.totps.create({ organization_id: a.organizationId, member_id: a.memberId, session_token: a.sessionToken }),
      ),
    ).toBe('active_totp_exists');
    expect(await h().repository.findRegistrations(b.organizationId, b.memberId)).toEqual({ active: null, pending: null });
  });
}
