// Attack pinned here: an attacker guessing codes tries to dodge the lockout: by alternating TOTP and recovery-code
// guesses, by naming the member through different identifiers, by racing many guesses at once, or by guessing during a lock.

import { decodeSecret, generateTotp } from '@totp/core/otp';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function activeMember() {
  let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
  const totp = createMemoryTotp({ clock: () => nowMs });
  const { service } = totp;
  await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme', organization_external_id: 'crm-1' });
  const { member_id } = await service.organizations.members.create({
    organization_id: 'acme',
    email_address: 'l@acme.example',
    external_id: 'emp-1',
  });
  const created = await service.totps.create({ organization_id: 'acme', member_id });
  const secret = decodeSecret(created.secret);
  const ist = async () => (await service.sessions.startIntermediate({ organization_id: 'acme', member_id })).intermediate_session_token;
  await service.totps.authenticate({
    organization_id: 'acme',
    member_id,
    code: generateTotp(secret, { nowMs }),
    intermediate_session_token: await ist(),
  });
  nowMs += 30_000;
  const right = () => generateTotp(secret, { nowMs });
  const wrong = () => (right() === '000000' ? '111111' : '000000');
  return { ...totp, member_id, ist, right, wrong, recoveryCodes: created.recovery_codes, advance: (ms: number) => (nowMs += ms) };
}

describe('lockout cannot be bypassed', () => {
  it('TOTP and recovery-code guesses share one count, across every identifier of the member', async () => {
    const t = await activeMember();
    const ids = [
      { organization_id: 'acme', member_id: t.member_id },
      { organization_id: 'crm-1', member_id: 'emp-1' },
    ];
    for (let i = 0; i < 9; i++) {
      const who = ids[i % 2]!;
      const attempt =
        i % 3 === 0
          ? t.service.recoveryCodes.recover({ ...who, recovery_code: 'zzzz-zzzz-zzzz', intermediate_session_token: await t.ist() })
          : t.service.totps.authenticate({ ...who, code: t.wrong(), intermediate_session_token: await t.ist() });
      await expect(attempt).rejects.toMatchObject({ error_type: expect.stringMatching(/^unable_to_authenticate_/) });
    }
    await expect(
      t.service.totps.authenticate({
        organization_id: 'crm-1',
        member_id: t.member_id,
        code: t.wrong(),
        intermediate_session_token: await t.ist(),
      }),
    ).rejects.toMatchObject({ error_type: 'user_lock_limit_reached' });
  });

  it('a locked member is refused before any code is checked: right TOTP, right recovery code, and the lock does not move', async () => {
    const t = await activeMember();
    for (let i = 0; i < 10; i++) {
      await t.service.totps
        .authenticate({ organization_id: 'acme', member_id: t.member_id, code: t.wrong(), intermediate_session_token: await t.ist() })
        .catch(() => undefined);
    }
    const { member } = await t.service.organizations.members.get({ organization_id: 'acme', member_id: t.member_id });
    expect(member.is_locked).toBe(true);
    const lockEnd = member.lock_expires_at;
    t.advance(59 * 60_000);
    await expect(
      t.service.totps.authenticate({
        organization_id: 'acme',
        member_id: t.member_id,
        code: t.right(),
        intermediate_session_token: await t.ist(),
      }),
    ).rejects.toMatchObject({ error_type: 'user_lock_limit_reached' });
    await expect(
      t.service.recoveryCodes.recover({
        organization_id: 'acme',
        member_id: t.member_id,
        recovery_code: t.recoveryCodes[0]!,
        intermediate_session_token: await t.ist(),
      }),
    ).rejects.toMatchObject({ error_type: 'user_lock_limit_reached' });
    // The recovery code was not spent while locked.
    expect(t.repository.dump().recoveryCodes).toHaveLength(10);
    const after = await t.service.organizations.members.get({ organization_id: 'acme', member_id: t.member_id });
    expect(after.member.lock_expires_at).toBe(lockEnd);
  });

  it('a burst of concurrent guesses cannot slip more than the limit past the counter', async () => {
    const t = await activeMember();
    const tokens = await Promise.all(Array.from({ length: 40 }, () => t.ist()));
    const results = await Promise.all(
      tokens.map((intermediate_session_token) =>
        t.service.totps.authenticate({ organization_id: 'acme', member_id: t.member_id, code: t.wrong(), intermediate_session_token }).then(
          () => 'succeeded',
          (error: { error_type: string }) => error.error_type,
        ),
      ),
    );
    expect(results.filter((r) => r === 'unable_to_authenticate_totp').length).toBeLessThanOrEqual(9);
    expect(results.filter((r) => r === 'user_lock_limit_reached').length).toBeGreaterThanOrEqual(1);
    const { member } = await t.service.organizations.members.get({ organization_id: 'acme', member_id: t.member_id });
    expect(member.is_locked).toBe(true);
  });
});
