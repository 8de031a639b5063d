// The README's demo: the whole MFA flow in memory, printed step by step.
// An organization and a member; a TOTP registration (URI read back from its QR code, QR in the terminal, recovery
// codes); then authenticate with an intermediate session, check the session, recover, rotate, and delete.

import { decodeSecret, generateTotp, parseOtpauthUri } from '@totp/core/otp';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { createMemoryTotp } from '../src/index';

const { service } = createMemoryTotp({ projectName: 'Demo' });
const step = (title: string) => console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`);

step('1. Provision an organization and a member');
const { organization } = await service.organizations.create({ organization_name: 'Acme Corp', organization_slug: 'acme' });
const { member } = await service.organizations.members.create({
  organization_id: 'acme',
  email_address: 'ada@acme.example',
  name: 'Ada Lovelace',
});
console.log(`organization  ${organization.organization_id} (slug "${organization.organization_slug}")`);
console.log(`member        ${member.member_id} <${member.email_address}>`);

step('2. Create a TOTP registration (POST /v1/b2b/totp)');
const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });
// Decode the QR code PNG the API returned, exactly as an authenticator app's camera would read it.
const png = PNG.sync.read(Buffer.from(created.qr_code.slice('data:image/png;base64,'.length), 'base64'));
const scanned = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
if (scanned === null) throw new Error('the QR code did not decode');
const uri = parseOtpauthUri(scanned.data);
console.log(`registration  ${created.totp_registration_id} (pending until its first code is authenticated)`);
console.log(`secret        ${created.secret}`);
console.log(`otpauth URI   ${scanned.data}`);
console.log(
  `              issuer "${uri.issuer}", account "${uri.accountName}", ${uri.algorithm}, ${uri.digits} digits, ${uri.periodSeconds} s`,
);
console.log(await QRCode.toString(scanned.data, { type: 'terminal', small: true }));
console.log('recovery codes (shown once; the store keeps only keyed hashes):');
for (const code of created.recovery_codes) console.log(`              ${code}`);

step('3. Authenticate a code with an intermediate session (POST /v1/b2b/totp/authenticate)');
// The host app starts an intermediate session after its own primary authentication (a password, say).
const { intermediate_session_token } = await service.sessions.startIntermediate({
  organization_id: 'acme',
  member_id: member.member_id,
  authentication_factors: [{ type: 'password', delivery_method: 'knowledge' }],
});
const code = generateTotp(decodeSecret(created.secret), { nowMs: Date.now() });
const authenticated = await service.totps.authenticate({
  organization_id: 'acme',
  member_id: member.member_id,
  code,
  intermediate_session_token,
});
console.log(`code ${code} accepted; registration active: member.totp_registration_id = ${authenticated.member.totp_registration_id}`);
console.log(`session       ${authenticated.member_session.member_session_id}, expires ${authenticated.member_session.expires_at}`);
console.log(`factors       ${authenticated.member_session.authentication_factors.map((f) => f.type).join(' + ')}`);
try {
  await service.totps.authenticate({
    organization_id: 'acme',
    member_id: member.member_id,
    code,
    session_token: authenticated.session_token,
  });
} catch (error) {
  console.log(`the same code again: ${(error as { error_type: string }).error_type}`);
}

step('4. Authenticate the session (POST /v1/b2b/sessions/authenticate)');
const checked = await service.sessions.authenticate({ session_jwt: authenticated.session_jwt });
console.log(`session JWT valid for member ${checked.member.member_id}`);

step('5. Recover with a recovery code (POST /v1/b2b/recovery_codes/recover)');
const recovered = await service.recoveryCodes.recover({
  organization_id: 'acme',
  member_id: member.member_id,
  recovery_code: created.recovery_codes[0]!.toUpperCase(),
  session_token: authenticated.session_token,
});
console.log(`recovery code accepted; ${recovered.recovery_codes_remaining} left`);

step('6. Rotate the recovery codes (POST /v1/b2b/recovery_codes/rotate)');
const rotated = await service.recoveryCodes.rotate({ organization_id: 'acme', member_id: member.member_id });
console.log(`10 new codes, e.g. ${rotated.recovery_codes[0]}; every old one stopped working`);

step("7. Delete the member's TOTP (DELETE /v1/b2b/organizations/{org}/members/{member}/totp)");
const deleted = await service.organizations.members.deleteTOTP({ organization_id: 'acme', member_id: member.member_id });
console.log(
  `member.totp_registration_id = "${deleted.member.totp_registration_id}"; the session still works:`,
  (await service.sessions.authenticate({ session_token: authenticated.session_token })).status_code === 200,
);
