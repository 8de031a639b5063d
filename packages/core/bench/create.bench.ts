// The cost of creating a registration (secret + otpauth URI + QR PNG + 10 hashed recovery codes + encryption),
// printed beside `qrcode.toDataURL` alone, measured in one run. Target: overhead <= 25%. Prints; never fails.

import QRCode from 'qrcode';
import { Bench } from 'tinybench';
import { createKeyring } from '../src/keyring';
import { buildOtpauthUri } from '../src/otpauth-uri';
import { qrCodeDataUri } from '../src/qr-code';
import { generateRecoveryCodes, hashRecoveryCodes } from '../src/recovery-codes';
import { encodeSecret, generateSecret } from '../src/secret';
import { encryptSecret } from '../src/secret-box';

const encryptionKeys = createKeyring('encryption keys', [{ id: 'bench', key: new Uint8Array(32).fill(1) }], { exactBytes: 32 });
const pepper = createKeyring('recovery code pepper', [{ id: 'bench', key: new Uint8Array(32).fill(2) }], { minBytes: 32 });
const binding = {
  organizationId: 'organization-test-7c9e6679-7425-40de-944b-e07fc1f90ae7',
  memberId: 'member-test-16d3f1c5-1ea5-4b8e-9d33-5d0c3a0b1c1e',
  totpRegistrationId: 'member-totp-test-9a1f5c2e-3b4d-4e6f-8a9b-0c1d2e3f4a5b',
};
const issuer = 'Example Project (Acme Corporation)';
const accountName = 'ada.lovelace@acme.example';
// The same URI length as a real create, so the QR code has the same version and cost.
const sampleUri = buildOtpauthUri({ issuer, accountName, secret: encodeSecret(generateSecret()) });

async function createRegistration(): Promise<number> {
  const secret = generateSecret();
  const uri = buildOtpauthUri({ issuer, accountName, secret: encodeSecret(secret) });
  const qr = await qrCodeDataUri(uri);
  const codes = generateRecoveryCodes();
  const hashes = hashRecoveryCodes(codes, pepper);
  const encrypted = encryptSecret(secret, { binding, keyring: encryptionKeys });
  return qr.length + hashes.length + encrypted.ciphertext.length;
}

const bench = new Bench({ time: 3000, warmupTime: 500 });
for (let round = 0; round < 2; round++) {
  bench.add(`qrcode.toDataURL alone #${round + 1}`, async () => {
    await QRCode.toDataURL(sampleUri, { errorCorrectionLevel: 'M' });
  });
  bench.add(`create registration #${round + 1}`, async () => {
    await createRegistration();
  });
}
await bench.run();

const median = (name: string) => {
  const values = bench.tasks.filter((t) => t.name.startsWith(name)).map((t) => {
    const result = t.result as { latency?: { mean?: number }; mean?: number } | undefined;
    return result?.latency?.mean ?? result?.mean ?? Number.NaN;
  });
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? Number.NaN;
};
const qrMs = median('qrcode.toDataURL alone');
const createMs = median('create registration');
console.table(bench.table());
console.log(`qrcode.toDataURL alone: ${qrMs.toFixed(3)} ms; create registration: ${createMs.toFixed(3)} ms`);
const overhead = createMs / qrMs - 1;
console.log(`overhead of everything but the QR code: ${(overhead * 100).toFixed(1)}% (target <= 25%: ${overhead <= 0.25 ? 'met' : 'NOT met'})`);
