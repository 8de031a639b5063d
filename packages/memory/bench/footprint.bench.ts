// `pnpm bench` (in packages/memory): the heap the store keeps per member, as an app's tests or a demo fill it. Each
// member is provisioned the way the HTTP benchmark does it: created, a TOTP migrated (with its ten recovery codes),
// an intermediate session exchanged for a member session by authenticate. Heap measured after a full GC (--expose-gc),
// after a warm-up batch, so compiled code and caches are not counted. Never fails.

import { createTotpService, type TotpService } from '@totp/core';
import { decodeSecret, generateTotp } from '@totp/core/otp';
import { createMemoryRepository } from '../src/index';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 2000);
const WARM_UP = 200;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (the bench script does)');

const now = Date.UTC(2026, 0, 1);
const key = (byte: number) => new Uint8Array(32).fill(byte);
const service: TotpService = createTotpService({
  repository: createMemoryRepository(),
  encryptionKeys: [{ id: 'bench', key: key(1) }],
  recoveryCodePepper: [{ id: 'bench', key: key(2) }],
  sessionSigningKeys: [{ id: 'bench', key: key(3) }],
  clock: () => now,
});
// Every member gets RFC 4226 Appendix D's key through migrate, so one code (for the fixed clock) fits all of them.
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const { organization } = await service.organizations.create({ organization_name: 'Bench', organization_slug: 'bench' });
const secretBytes = decodeSecret(SECRET);

async function provision(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const { member_id } = await service.organizations.members.create({
      organization_id: organization.organization_id,
      email_address: `member-${i}@bench.example`,
    });
    const ids = { organization_id: organization.organization_id, member_id };
    await service.totps.migrate({ ...ids, secret: SECRET });
    const { intermediate_session_token } = await service.sessions.startIntermediate(ids);
    await service.totps.authenticate({ ...ids, code: generateTotp(secretBytes, { nowMs: now }), intermediate_session_token });
  }
}

const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

await provision(0, WARM_UP);
const before = heapAfterGc();
await provision(WARM_UP, MEMBERS);
const after = heapAfterGc();
console.log(`@totp/memory footprint: ${MEMBERS} members, each with an active TOTP, 10 recovery codes and a member session`);
console.log(
  `heap per member: ${((after - before) / MEMBERS / 1024).toFixed(1)} KiB (${((after - before) / 1024 / 1024).toFixed(1)} MiB in all)`,
);

// Creating a member looks its organization's e-mail addresses and external IDs up in indexes, not by scanning every
// member: the last thousand of 20,000 members are created about as fast as the first thousand.
const scaling = createTotpService({
  repository: createMemoryRepository(),
  encryptionKeys: [{ id: 'bench', key: key(1) }],
  recoveryCodePepper: [{ id: 'bench', key: key(2) }],
  sessionSigningKeys: [{ id: 'bench', key: key(3) }],
});
const { organization: big } = await scaling.organizations.create({ organization_name: 'Big', organization_slug: 'big' });
const createBatch = async (from: number) => {
  const started = performance.now();
  for (let i = from; i < from + 1000; i++) {
    await scaling.organizations.members.create({
      organization_id: big.organization_id,
      email_address: `m-${i}@big.example`,
      external_id: `emp-${i}`,
    });
  }
  return performance.now() - started;
};
const firstBatchMs = await createBatch(0);
for (let from = 1000; from < 19_000; from += 1000) await createBatch(from);
const lastBatchMs = await createBatch(19_000);
console.log(
  `member creation, the 20th thousand against the 1st: ${(lastBatchMs / firstBatchMs).toFixed(2)}x the time (1.00x: no slower as the store grows)`,
);
