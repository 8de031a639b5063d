// The whole MFA flow in memory, with every code computed by otpauth (an RFC 6238 implementation independent of core):
// create → authenticate with an IST → session authenticate → recover → rotate → delete.

import * as OTPAuth from 'otpauth';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

function scan(dataUri: string): string {
  const png = PNG.sync.read(Buffer.from(dataUri.slice('data:image/png;base64,'.length), 'base64'));
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (result === null) throw new Error('QR code did not decode');
  return result.data;
}

describe('the full flow against an independent RFC 6238 implementation', () => {
  it('works end to end', async () => {
    let nowMs = Date.UTC(2026, 10, 29, 15, 0, 10);
    const { service, repository } = createMemoryTotp({ clock: () => nowMs });
    const { organization } = await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
    const { member } = await service.organizations.members.create({
      organization_id: organization.organization_id,
      email_address: 'grace@acme.example',
      external_id: 'emp-42',
    });

    const created = await service.totps.create({ organization_id: 'acme', member_id: 'emp-42' });
    const app = OTPAuth.URI.parse(scan(created.qr_code)) as OTPAuth.TOTP;
    expect(app.secret.base32).toBe(created.secret);

    const { intermediate_session_token } = await service.sessions.startIntermediate({
      organization_id: 'acme',
      member_id: member.member_id,
      authentication_factors: [{ type: 'password', delivery_method: 'knowledge' }],
    });
    const authed = await service.totps.authenticate({
      organization_id: 'acme',
      member_id: 'emp-42',
      code: app.generate({ timestamp: nowMs }),
      intermediate_session_token,
    });
    expect(authed.member.totp_registration_id).toBe(created.totp_registration_id);
    expect(authed.member_session.authentication_factors.map((f) => [f.type, f.delivery_method])).toEqual([
      ['password', 'knowledge'],
      ['totp', 'authenticator_app'],
    ]);

    nowMs += 60_000;
    const session = await service.sessions.authenticate({ session_token: authed.session_token });
    expect(session.member_session.member_session_id).toBe(authed.member_session.member_session_id);
    expect(session.member.member_id).toBe(member.member_id);

    const recovered = await service.recoveryCodes.recover({
      organization_id: organization.organization_id,
      member_id: member.member_id,
      recovery_code: created.recovery_codes[4]!,
      session_jwt: session.session_jwt,
    });
    expect(recovered.recovery_codes_remaining).toBe(9);
    expect(recovered.member_session.authentication_factors.map((f) => f.type)).toEqual(['password', 'totp', 'recovery_codes']);

    const rotated = await service.recoveryCodes.rotate({ organization_id: 'acme', member_id: 'emp-42' });
    expect((await service.recoveryCodes.get({ organization_id: 'acme', member_id: 'emp-42' })).recovery_codes_remaining).toBe(10);
    await expect(
      service.recoveryCodes.recover({
        organization_id: 'acme',
        member_id: 'emp-42',
        recovery_code: created.recovery_codes[5]!,
        session_token: authed.session_token,
      }),
    ).rejects.toMatchObject({ error_type: 'unable_to_authenticate_recovery_code' });
    expect(rotated.recovery_codes).toHaveLength(10);

    nowMs += 30_000;
    const again = await service.totps.authenticate({
      organization_id: 'acme',
      member_id: 'emp-42',
      code: app.generate({ timestamp: nowMs }),
      session_token: authed.session_token,
    });
    expect(again.member_session.member_session_id).toBe(authed.member_session.member_session_id);

    const deleted = await service.organizations.members.deleteTOTP({ organization_id: 'acme', member_id: 'emp-42' });
    expect(deleted.member.totp_registration_id).toBe('');
    expect(repository.dump().registrations).toEqual([]);
    expect(repository.dump().recoveryCodes).toEqual([]);
    // Deleting the factor leaves the sessions alone.
    expect((await service.sessions.authenticate({ session_token: authed.session_token })).member_id).toBe(member.member_id);
  });
});
