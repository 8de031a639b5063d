// The README's first command: an organization, a member and a TOTP registration, all in memory.
// Prints the otpauth URI read back from the QR code, the QR code in the terminal, the recovery codes and the current code.

import { decodeSecret, generateTotp, parseOtpauthUri } from '@totp/core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { createMemoryTotp } from '../src/index';

const { service } = createMemoryTotp({ projectName: 'Demo' });

const { organization } = await service.organizations.create({
  organization_name: 'Acme Corp',
  organization_slug: 'acme',
});
const { member } = await service.organizations.members.create({
  organization_id: 'acme',
  email_address: 'ada@acme.example',
  name: 'Ada Lovelace',
});
const created = await service.totps.create({ organization_id: 'acme', member_id: member.member_id });

// Decode the QR code PNG the API returned, exactly as an authenticator app's camera would read it.
const png = PNG.sync.read(Buffer.from(created.qr_code.slice('data:image/png;base64,'.length), 'base64'));
const scanned = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
if (scanned === null) throw new Error('the QR code did not decode');
const uri = parseOtpauthUri(scanned.data);

console.log(`Organization   ${organization.organization_id} (${organization.organization_slug})`);
console.log(`Member         ${member.member_id} <${member.email_address}>`);
console.log(`Registration   ${created.totp_registration_id} (pending until its first code is authenticated)`);
console.log(`Secret         ${created.secret}`);
console.log(`otpauth URI    ${scanned.data}`);
console.log(`  issuer ${JSON.stringify(uri.issuer)}, account ${JSON.stringify(uri.accountName)}, ${uri.algorithm}, ${uri.digits} digits, ${uri.periodSeconds} s`);
console.log();
console.log(await QRCode.toString(scanned.data, { type: 'terminal', small: true }));
console.log('Recovery codes (shown once; the store keeps only keyed hashes):');
for (const code of created.recovery_codes) console.log(`  ${code}`);
console.log();
console.log(`Code right now ${generateTotp(decodeSecret(created.secret), { nowMs: Date.now() })}`);
