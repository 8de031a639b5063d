// Attack pinned here: an organization whose name is as long as the API allows, in a script whose characters take nine
// bytes each once percent-encoded, made every enrollment in that organization fail with a 500 (the otpauth URI no
// longer fit the QR code). Every name and e-mail address provisioning accepts must give a QR code that reads back.

import { parseOtpauthUri } from '@totp/core/otp';
import { describe, expect, it } from 'vitest';
import { decodeQrWithZbar } from '../otp/qr-decoder.testkit';
import { createMemoryTotp } from '@totp/memory';

describe('totps.create with the longest names provisioning accepts', () => {
  it('gives a QR code of the exact otpauth URI, shortening only the issuer and only when it must', async () => {
    const { service } = createMemoryTotp({ projectName: 'プロジェクト'.repeat(16).slice(0, 100) });
    const names = ['日本語の組織名'.repeat(16).slice(0, 110), '東'.repeat(128), '🔐'.repeat(64), 'Société Générale'.repeat(8)];
    for (const [i, organization_name] of names.entries()) {
      const { organization } = await service.organizations.create({ organization_name, organization_slug: `long-${i}` });
      const email_address = `${'ü'.repeat(64)}@${'例'.repeat(189)}`;
      const { member_id } = await service.organizations.members.create({ organization_id: organization.organization_id, email_address });
      const created = await service.totps.create({ organization_id: organization.organization_id, member_id });
      const uri = decodeQrWithZbar(created.qr_code);
      const parsed = parseOtpauthUri(uri);
      expect(parsed).toMatchObject({ accountName: email_address, secret: created.secret });
      const issuer = `${'プロジェクト'.repeat(16).slice(0, 100)} (${organization_name})`;
      expect(issuer.startsWith(parsed.issuer.replace(/…$/, ''))).toBe(true);
    }
  });
});
