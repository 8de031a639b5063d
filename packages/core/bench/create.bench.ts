// The cost of creating a registration as the service does it (secret, otpauth URI and QR PNG, 10 recovery codes and
// their hashes, the encrypted secret) on each crypto provider, printed beside `qrcode.toDataURL` alone, measured in one
// run. Issue #15's target: create at most 0.35x the time of `qrcode.toDataURL` alone. Prints; never fails.

import QRCode from 'qrcode';
import { Bench } from 'tinybench';
import { createKeyring } from '../src/crypto/keyring';
import { nobleCrypto } from '../src/crypto/noble';
import { nodeCrypto } from '../src/crypto/node';
import type { CryptoProvider } from '../src/crypto/provider';
import { hashRecoveryCodes } from '../src/crypto/recovery-code-hashes';
import { encryptSecret } from '../src/crypto/secret-box';
import { buildOtpauthUri } from '../src/otp/otpauth-uri';
import { otpauthQrCode } from '../src/otp/otpauth-qr-code';
import { generateRecoveryCodes } from '../src/otp/recovery-codes';
import { encodeSecret, generateSecret } from '../src/otp/secret';

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

/** What service/create-totp.ts does for a new registration, store aside, with randomness and crypto from `crypto`. */
async function createRegistration(crypto: CryptoProvider): Promise<number> {
  const secret = generateSecret({ randomBytes: crypto.randomBytes });
  const { qrCode } = await otpauthQrCode({ issuer, accountName, secret: encodeSecret(secret) });
  const codes = generateRecoveryCodes({ randomBytes: crypto.randomBytes });
  const hashes = hashRecoveryCodes(codes, pepper, crypto);
  const encrypted = encryptSecret(secret, { binding, keyring: encryptionKeys, crypto });
  return qrCode.length + hashes.length + encrypted.ciphertext.length;
}

const PROVIDERS: Array<[string, CryptoProvider]> = [
  ['noble', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
];
const bench = new Bench({ time: 3000, warmupTime: 500 });
// Two rounds, interleaved, so that the QR code alone and each create see the same machine state.
for (let round = 0; round < 2; round++) {
  bench.add(`qrcode.toDataURL alone #${round + 1}`, async () => {
    await QRCode.toDataURL(sampleUri, { errorCorrectionLevel: 'M' });
  });
  for (const [name, crypto] of PROVIDERS) {
    bench.add(`create registration (${name}) #${round + 1}`, async () => {
      await createRegistration(crypto);
    });
  }
}
await bench.run();

const median = (name: string) => {
  const values = bench.tasks
    .filter((t) => t.name.startsWith(`${name} #`))
    .map((t) => {
      const result = t.result as { latency?: { mean?: number }; mean?: number; error?: unknown } | undefined;
      if (result?.error !== undefined) console.warn(`warning: ${t.name} failed:`, result.error);
      return result?.latency?.mean ?? result?.mean ?? Number.NaN;
    });
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? Number.NaN;
};
const qrMs = median('qrcode.toDataURL alone');
console.table(bench.table());
console.log(`qrcode.toDataURL alone: ${qrMs.toFixed(3)} ms`);
for (const [name] of PROVIDERS) {
  const createMs = median(`create registration (${name})`);
  const ratio = createMs / qrMs;
  console.log(
    `create registration (${name}): ${createMs.toFixed(3)} ms, ${ratio.toFixed(2)}x qrcode.toDataURL alone (target <= 0.35x: ${ratio <= 0.35 ? 'met' : 'NOT met'})`,
  );
}
