// End to end in memory: what `totps.create` returns is usable by a real authenticator app.
// The QR code is decoded by a real QR reader, and the codes are checked with otpauth, an RFC 6238 implementation independent of core.

import { decodeSecret, parseOtpauthUri, verifyTotp } from '@totp/core/otp';
import jsQR from 'jsqr';
import * as OTPAuth from 'otpauth';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

function decodeQr(dataUri: string): string {
  expect(dataUri.startsWith('data:image/png;base64,')).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUri.slice('data:image/png;base64,'.length), 'base64'));
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (result === null) throw new Error('QR code did not decode');
  return result.data;
}

async function setup(options: Parameters<typeof createMemoryTotp>[0] = {}) {
  const totp = createMemoryTotp(options);
  const { organization } = await totp.service.organizations.create({
    organization_name: 'Acme & Sons: Tools',
    organization_slug: 'acme',
  });
  const { member } = await totp.service.organizations.members.create({
    organization_id: organization.organization_id,
    email_address: 'ada.lovelace+mfa@acme.example',
  });
  return { ...totp, organization, member };
}

describe('totps.create end to end', () => {
  it('returns the exact Stytch response shape', async () => {
    const { service, organization, member } = await setup();
    const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });
    expect(Object.keys(created).sort()).toEqual(
      [
        'request_id',
        'member_id',
        'totp_registration_id',
        'secret',
        'qr_code',
        'recovery_codes',
        'member',
        'organization',
        'status_code',
      ].sort(),
    );
    expect(created.request_id).toMatch(/^request-id-test-[0-9a-f-]{36}$/);
    expect(created.totp_registration_id).toMatch(/^member-totp-test-[0-9a-f-]{36}$/);
    expect(created.member_id).toBe(member.member_id);
    expect(created.member.totp_registration_id).toBe('');
    expect(created.organization).toEqual(organization);
    expect(created.status_code).toBe(200);
  });

  it('uses live IDs in the live environment and echoes a given request_id', async () => {
    const { service, member } = await setup({ environment: 'live' });
    expect(member.member_id).toMatch(/^member-live-/);
    const created = await service.totps.create(
      { organization_id: 'acme', member_id: member.member_id },
      { requestId: 'request-id-live-x' },
    );
    expect(created.totp_registration_id).toMatch(/^member-totp-live-/);
    expect(created.request_id).toBe('request-id-live-x');
  });

  it('has a QR code that a QR reader decodes to the exact otpauth URI', async () => {
    const { service, member } = await setup({ projectName: 'My App' });
    const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });
    const uri = decodeQr(created.qr_code);
    expect(uri).toBe(
      `otpauth://totp/My%20App%20%28Acme%20%26%20Sons%3A%20Tools%29:ada.lovelace%2Bmfa%40acme.example?secret=${created.secret}` +
        '&issuer=My%20App%20%28Acme%20%26%20Sons%3A%20Tools%29&algorithm=SHA1&digits=6&period=30',
    );
    expect(parseOtpauthUri(uri)).toEqual({
      type: 'totp',
      issuer: 'My App (Acme & Sons: Tools)',
      accountName: 'ada.lovelace+mfa@acme.example',
      secret: created.secret,
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
    });
  });

  it('has a secret for which an independent RFC 6238 implementation computes codes that core accepts', async () => {
    const { service, member } = await setup();
    const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });
    const independent = OTPAuth.URI.parse(decodeQr(created.qr_code));
    expect(independent).toBeInstanceOf(OTPAuth.TOTP);
    for (const nowMs of [0, 1_700_000_000_000, Date.UTC(2026, 10, 29, 14, 0, 1)]) {
      const code = (independent as OTPAuth.TOTP).generate({ timestamp: nowMs });
      const result = verifyTotp(decodeSecret(created.secret), code, { nowMs });
      expect(result).toEqual({ valid: true, step: Math.floor(nowMs / 30_000), driftSteps: 0 });
    }
  });

  it('lets the host choose the issuer', async () => {
    const { service, member } = await setup({ issuer: (org) => `Corp SSO / ${org.organizationSlug}` });
    const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });
    expect(parseOtpauthUri(decodeQr(created.qr_code)).issuer).toBe('Corp SSO / acme');
  });
});
