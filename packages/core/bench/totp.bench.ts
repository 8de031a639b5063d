// Throughput of TOTP generation and verification, ours on each crypto provider (the pure noble default, and nodeCrypto's
// HMAC as Node hosts pass it), against otplib 13, otpauth 9 and a bare node:crypto reference. Measured side by side in
// one run (architecture.md, "Benchmarks"); it prints ratios and never fails.

import { createHmac } from 'node:crypto';
import { base32nopad } from '@scure/base';
import * as OTPAuth from 'otpauth';
import { generateSync as otplibGenerate, verifySync as otplibVerify } from 'otplib';
import { Bench } from 'tinybench';
import { nodeCrypto } from '../src/crypto/node';
import { decodeSecret } from '../src/otp/secret';
import { generateTotp, nobleHmac, verifyTotp, type HmacFunction } from '../src/otp/totp';

// Every contender starts from the same stored form, the base32 text, at the same instant, with ±1 step.
const SECRET_BASE32 = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'; // 20 bytes
const NOW_MS = 1_700_000_012_345;
const PERIOD_SECONDS = 30;

// --- the node:crypto reference: the least a verifier can do, with no validation at all -------------------
function referenceCodeAt(key: Uint8Array, counter: number): number {
  const counterBytes = Buffer.alloc(8);
  counterBytes.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0);
  counterBytes.writeUInt32BE(counter >>> 0, 4);
  const d = createHmac('sha1', key).update(counterBytes).digest();
  const offset = d[d.length - 1]! & 0x0f;
  return (((d[offset]! & 0x7f) << 24) | (d[offset + 1]! << 16) | (d[offset + 2]! << 8) | d[offset + 3]!) % 1_000_000;
}
function referenceGenerate(secretBase32: string, nowMs: number): string {
  const key = base32nopad.decode(secretBase32);
  return String(referenceCodeAt(key, Math.floor(nowMs / 1000 / PERIOD_SECONDS))).padStart(6, '0');
}
function referenceVerify(secretBase32: string, code: string, nowMs: number): boolean {
  const key = base32nopad.decode(secretBase32);
  const expected = Number.parseInt(code, 10);
  const current = Math.floor(nowMs / 1000 / PERIOD_SECONDS);
  for (const drift of [0, -1, 1]) if (referenceCodeAt(key, current + drift) === expected) return true;
  return false;
}

// --- the contenders, each from the base32 text ------------------------------------------------------------
type Contender = {
  name: string;
  generate: () => string;
  verify: (code: string) => boolean;
};
/** Ours as the service runs it: the secret decoded, then the code checked with the provider's HMAC. */
const ours = (name: string, hmac: HmacFunction): Contender => ({
  name,
  generate: () => generateTotp(decodeSecret(SECRET_BASE32), { nowMs: NOW_MS, hmac }),
  verify: (code) => verifyTotp(decodeSecret(SECRET_BASE32), code, { nowMs: NOW_MS, windowSteps: 1, hmac }).valid,
});
const OURS_NOBLE = 'ours (noble)';
const OURS_NODE = 'ours (nodeCrypto)';
const contenders: Contender[] = [
  ours(OURS_NOBLE, nobleHmac),
  ours(OURS_NODE, nodeCrypto.hmac),
  {
    name: 'node:crypto',
    generate: () => referenceGenerate(SECRET_BASE32, NOW_MS),
    verify: (code) => referenceVerify(SECRET_BASE32, code, NOW_MS),
  },
  {
    name: 'otpauth 9',
    generate: () => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(SECRET_BASE32) }).generate({ timestamp: NOW_MS }),
    verify: (code) =>
      new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(SECRET_BASE32) }).validate({ token: code, timestamp: NOW_MS, window: 1 }) !==
      null,
  },
  {
    name: 'otplib 13',
    generate: () => otplibGenerate({ secret: SECRET_BASE32, epoch: Math.floor(NOW_MS / 1000) }),
    verify: (code) =>
      otplibVerify({ secret: SECRET_BASE32, token: code, epoch: Math.floor(NOW_MS / 1000), epochTolerance: PERIOD_SECONDS }).valid,
  },
];

// The valid code is the current step's; the invalid one is the first that matches no step in the window,
// so every contender does all three HMACs for it.
const validCode = referenceGenerate(SECRET_BASE32, NOW_MS);
let invalidCode = '000000';
for (let n = 0; referenceVerify(SECRET_BASE32, invalidCode, NOW_MS); n++) invalidCode = String(n).padStart(6, '0');

// A contender that disagrees would make its numbers meaningless; say so rather than measure it silently.
for (const c of contenders) {
  const problems: string[] = [];
  if (c.generate() !== validCode) problems.push(`generate gave ${c.generate()}, expected ${validCode}`);
  if (!c.verify(validCode)) problems.push('rejected the valid code');
  if (c.verify(invalidCode)) problems.push('accepted the invalid code');
  if (problems.length > 0) console.warn(`warning: ${c.name}: ${problems.join('; ')}`);
}

const OPERATIONS = [
  { label: 'generate', run: (c: Contender) => () => c.generate() },
  { label: 'verify (valid code)', run: (c: Contender) => () => c.verify(validCode) },
  { label: 'verify (invalid code, 3 HMACs)', run: (c: Contender) => () => c.verify(invalidCode) },
] as const;

// Load from other processes comes and goes, so the suite runs in rounds, each in a rotated order, and every
// figure is the median of its rounds: a burst of load then costs one sample, not a whole contender.
const ROUNDS = 3;
const tasks = OPERATIONS.flatMap((op) => contenders.map((c) => ({ name: `${op.label} | ${c.name}`, fn: op.run(c) })));
const samples = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: 300, warmupTime: 100 });
  // Contenders for one operation stay adjacent, so they see the same machine state.
  const shift = round * contenders.length;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[(i + shift) % tasks.length]!;
    bench.add(task.name, task.fn);
  }
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result as { throughput?: { mean: number }; error?: unknown } | undefined;
    if (result?.error !== undefined) console.warn(`warning: ${task.name} failed:`, result.error);
    samples.get(task.name)!.push(result?.throughput?.mean ?? Number.NaN);
  }
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const opsPerSecond = new Map([...samples].map(([name, values]) => [name, median(values)]));

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');
// One row per operation and provider of ours, each against the same peers' figures.
const rows = OPERATIONS.flatMap((op) => {
  const of = (name: string) => opsPerSecond.get(`${op.label} | ${name}`) ?? Number.NaN;
  return [OURS_NOBLE, OURS_NODE].map((name) => {
    const oursOps = of(name);
    return {
      operation: op.label,
      ours: name,
      'ours ops/s': fmt(oursOps),
      'node:crypto ops/s': fmt(of('node:crypto')),
      'otpauth ops/s': fmt(of('otpauth 9')),
      'otplib ops/s': fmt(of('otplib 13')),
      'ours/node:crypto': ratio(oursOps, of('node:crypto')),
      'ours/otpauth': ratio(oursOps, of('otpauth 9')),
      'ours/otplib': ratio(oursOps, of('otplib 13')),
    };
  });
});
console.log(
  `TOTP, SHA-1, 6 digits, 20-byte secret from base32, window ±1; median ops/s of ${ROUNDS} rounds; ${process.version} on ${process.platform}/${process.arch}`,
);
console.table(rows);

// The targets of issue #15, for ours as Node hosts run it (nodeCrypto's HMAC).
const invalidLabel = OPERATIONS[2].label;
const oursInvalid = opsPerSecond.get(`${invalidLabel} | ${OURS_NODE}`) ?? Number.NaN;
const vsNode = oursInvalid / (opsPerSecond.get(`${invalidLabel} | node:crypto`) ?? Number.NaN);
const vsOtpauth = oursInvalid / (opsPerSecond.get(`${invalidLabel} | otpauth 9`) ?? Number.NaN);
console.log(
  `target: invalid-code verify, nodeCrypto, >= 0.8x the node:crypto reference: ${vsNode >= 0.8 ? 'met' : 'NOT met'} (${vsNode.toFixed(2)}x)`,
);
console.log(
  `target: invalid-code verify, nodeCrypto, > 1.3x otpauth 9:                  ${vsOtpauth > 1.3 ? 'met' : 'NOT met'} (${vsOtpauth.toFixed(2)}x)`,
);
