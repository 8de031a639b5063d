// Attack pinned here: an attacker who saw (or phished) a valid TOTP code replays it, through another session, another
// identifier for the same member, or after a later code, to get a second session out of one code.

import { decodeSecret, generateTotp } from '@totp/core/otp';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function enrolled() {
  let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
  const totp = createMemoryTotp({ clock: () => nowMs });
  const { service } = totp;
  await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme', organization_external_id: 'crm-1' });
  const { member_id } = await service.organizations.members.create({
    organization_id: 'acme',
    email_address: 'v@acme.example',
    external_id: 'emp-1',
  });
  const created = await service.totps.create({ organization_id: 'acme', member_id });
  const secret = decodeSecret(created.secret);
  const ist = async () => (await service.sessions.startIntermediate({ organization_id: 'acme', member_id })).intermediate_session_token;
  return {
    ...totp,
    member_id,
    secret,
    ist,
    codeAt: (offsetMs = 0) => generateTotp(secret, { nowMs: nowMs + offsetMs }),
    advance: (ms: number) => (nowMs += ms),
  };
}

describe('replay', () => {
  it('one code gives one session, whichever identifiers and sessions carry the replay', async () => {
    const t = await enrolled();
    const code = t.codeAt();
    const first = await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code,
      intermediate_session_token: await t.ist(),
    });
    const attempts = [
      { organization_id: 'acme', member_id: t.member_id, intermediate_session_token: await t.ist() },
      { organization_id: 'crm-1', member_id: 'emp-1', intermediate_session_token: await t.ist() },
      { organization_id: first.organization.organization_id, member_id: 'emp-1', session_token: first.session_token },
      { organization_id: 'acme', member_id: t.member_id, session_jwt: first.session_jwt },
    ];
    for (const attempt of attempts) {
      await expect(t.service.totps.authenticate({ ...attempt, code })).rejects.toMatchObject({
        error_type: 'totp_code_already_authenticated',
      });
    }
  });

  it('a code from an earlier step is refused once a later step was accepted (no rewinding inside the window)', async () => {
    const t = await enrolled();
    const earlier = t.codeAt(-30_000);
    await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code: t.codeAt(30_000),
      intermediate_session_token: await t.ist(),
    });
    await expect(
      t.service.totps.authenticate({
        organization_id: 'acme',
        member_id: t.member_id,
        code: earlier,
        intermediate_session_token: await t.ist(),
      }),
    ).rejects.toMatchObject({ error_type: 'totp_code_already_authenticated' });
    await expect(
      t.service.totps.authenticate({
        organization_id: 'acme',
        member_id: t.member_id,
        code: t.codeAt(),
        intermediate_session_token: await t.ist(),
      }),
    ).rejects.toMatchObject({ error_type: 'totp_code_already_authenticated' });
  });

  it('a replay does not consume the IST, and counts toward lockout like any refused code: only a success gives its attempt back', async () => {
    const t = await enrolled();
    const code = t.codeAt();
    await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code,
      intermediate_session_token: await t.ist(),
    });
    const ist = await t.ist();
    for (let i = 0; i < 9; i++) {
      await expect(
        t.service.totps.authenticate({ organization_id: 'acme', member_id: t.member_id, code, intermediate_session_token: ist }),
      ).rejects.toMatchObject({
        error_type: 'totp_code_already_authenticated',
      });
    }
    t.advance(30_000);
    // The IST survived nine replays; the tenth attempt is evaluated, and its success clears the count.
    const ok = await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code: t.codeAt(),
      intermediate_session_token: ist,
    });
    expect(ok.member).toMatchObject({ is_locked: false });
    const replayed = t.codeAt();
    for (let i = 0; i < 9; i++) {
      await expect(
        t.service.totps.authenticate({ organization_id: 'acme', member_id: t.member_id, code: replayed, session_token: ok.session_token }),
      ).rejects.toMatchObject({ error_type: 'totp_code_already_authenticated' });
    }
    // The tenth refused code in a row starts the lock, replayed or wrong alike.
    await expect(
      t.service.totps.authenticate({ organization_id: 'acme', member_id: t.member_id, code: replayed, session_token: ok.session_token }),
    ).rejects.toMatchObject({ error_type: 'user_lock_limit_reached' });
  });

  it('a recovery code works once, even sent again in another form', async () => {
    const t = await enrolled();
    const created = await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code: t.codeAt(),
      intermediate_session_token: await t.ist(),
    });
    const { recovery_codes } = await t.service.recoveryCodes.rotate({ organization_id: 'acme', member_id: t.member_id });
    const code = recovery_codes[0]!;
    await t.service.recoveryCodes.recover({
      organization_id: 'acme',
      member_id: t.member_id,
      recovery_code: code,
      session_token: created.session_token,
    });
    for (const variant of [code, code.toUpperCase(), code.replaceAll('-', ''), ` ${code.replaceAll('-', ' ')} `]) {
      await expect(
        t.service.recoveryCodes.recover({
          organization_id: 'crm-1',
          member_id: 'emp-1',
          recovery_code: variant,
          session_token: created.session_token,
        }),
      ).rejects.toMatchObject({ error_type: 'unable_to_authenticate_recovery_code' });
    }
  });
});
