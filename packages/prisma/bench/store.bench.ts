// TOTP authenticate and recovery-code recover through the real service over @totp/memory (the ceiling), Prisma on a
// SQLite file and Prisma on PostgreSQL over loopback: latency (median, p99), throughput, database round trips per call.
// authenticate and recover bring an intermediate session token (the exchange); step-up is an authenticate that brings
// the member's session_token instead, adding the factor to a live session (grantMfaSession's extension).
// Measured side by side in one run (architecture.md, "Benchmarks"); it prints ratios and the targets, and never fails.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { createTotpService, type TotpRepository, type TotpService } from '@totp/core';
import { decodeSecret, generateTotp } from '@totp/core/otp';
import { createMemoryRepository } from '@totp/memory';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client/client.ts';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client/client.ts';
import { applyMigrations } from '../src/migrations';
import { preparedStatementNames } from '../src/prepared-statements';
import { createPrismaRepository } from '../src/prisma-repository';
import { instrumentAdapter, type StatementCounter } from '../test/support/instrumented-adapter';

const SEQUENTIAL = Number(process.env.BENCH_ITERATIONS ?? 200);
// Unmeasured requests first, on every store alike: without them the memory store, the ceiling every ratio divides
// by, was measured while V8 was still compiling the path. Its median only settles after a thousand-odd calls (0.2 ms
// after 100, 0.04 ms after 3000, on the 2-core machine this was written on), so every store gets 2000 first.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
const CONCURRENCY = 8; // members, one request each in flight
const BATCHES = Number(process.env.BENCH_BATCHES ?? 25);
const PG_SCRIPT = new URL('../scripts/postgres.sh', import.meta.url).pathname;

interface Store {
  name: string;
  repository: TotpRepository;
  counter?: StatementCounter;
  close(): Promise<void>;
}

// ── The stores ──────────────────────────────────────────────────────────────────────────────────────────────

function memoryStore(): Store {
  return { name: 'memory', repository: createMemoryRepository(), close: async () => undefined };
}

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'totp-bench-sqlite-'));
  const { factory, counter } = instrumentAdapter(new PrismaBetterSqlite3({ url: `file:${join(dir, 'bench.db')}` }));
  const prisma = new SqliteClient({ adapter: factory });
  // What docs/prisma.md recommends for SQLite in production: WAL (readers never block the writer, one fsync per
  // commit) with synchronous=FULL, so that a committed single use survives a power cut.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = FULL');
  await applyMigrations(prisma, { provider: 'sqlite' });
  return {
    name: 'sqlite',
    repository: createPrismaRepository(prisma, { provider: 'sqlite' }),
    counter,
    close: async () => {
      await prisma.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface PostgresStore extends Store {
  where: string;
  /** Median of one `SELECT 1` round trip: with a bare `pg` client, and through the Prisma client (raw query). */
  floor(): Promise<{ pgMs: number; prismaMs: number }>;
}

async function postgresStore(options: { prepared: boolean; url?: string }): Promise<PostgresStore & { url: string; stop(): void }> {
  let url = options.url ?? process.env.TOTP_TEST_POSTGRES_URL;
  let where = options.url !== undefined ? 'shared' : 'TOTP_TEST_POSTGRES_URL';
  let stop = () => undefined as void;
  if (!url) {
    // A throwaway cluster with PostgreSQL's default durability (fsync on): commits cost what they cost in production.
    const dir = mkdtempSync(join(tmpdir(), 'totp-bench-pg-'));
    url = execFileSync('bash', [PG_SCRIPT, 'start', dir], { encoding: 'utf8' }).trim();
    where = 'a throwaway local cluster, fsync on';
    stop = () => {
      execFileSync('bash', [PG_SCRIPT, 'stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const schema = `totp_bench_${process.pid}${options.prepared ? '_prepared' : ''}`;
  const { factory, counter } = instrumentAdapter(
    new PrismaPg(
      { connectionString: url, max: CONCURRENCY + 2 },
      { schema, ...(options.prepared ? { statementNameGenerator: preparedStatementNames() } : {}) },
    ),
  );
  const prisma = new PostgresClient({ adapter: factory });
  await applyMigrations(prisma, { provider: 'postgresql', schema });
  const connectionString = url;
  return {
    name: options.prepared ? 'postgresql (prepared)' : 'postgresql',
    where,
    url: connectionString,
    stop: () => stop(),
    repository: createPrismaRepository(prisma, { provider: 'postgresql', schema }),
    counter,
    floor: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const timed = async (f: () => Promise<unknown>) => {
          const samples: number[] = [];
          for (let i = 0; i < 50 + SEQUENTIAL; i++) {
            const started = performance.now();
            await f();
            if (i >= 50) samples.push(performance.now() - started);
          }
          return quantile(samples, 0.5);
        };
        return { pgMs: await timed(() => client.query('SELECT 1')), prismaMs: await timed(() => prisma.$queryRawUnsafe('SELECT 1')) };
      } finally {
        await client.end();
      }
    },
    close: async () => {
      await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await prisma.$disconnect();
    },
  };
}

// ── The workload ────────────────────────────────────────────────────────────────────────────────────────────

interface Member {
  organizationId: string;
  memberId: string;
  secret: Uint8Array;
  codes: string[];
  /** The member's session, from the activation's authenticate: what a step-up extends. */
  sessionToken: string;
}

interface Measured {
  latenciesMs: number[];
  roundTrips: number[];
  opsPerSecond: number;
}

let prepared = 0;

/** Members with an active TOTP registration, and a service whose clock the bench moves (one new step per request). */
async function prepare(repository: TotpRepository) {
  prepared += 1;
  let nowMs = Date.UTC(2026, 10, 29, 12, 0, 0);
  const service = createTotpService({
    repository,
    encryptionKeys: [{ id: 'bench', key: new Uint8Array(32).fill(1) }],
    recoveryCodePepper: [{ id: 'bench', key: new Uint8Array(32).fill(2) }],
    sessionSigningKeys: [{ id: 'bench', key: new Uint8Array(32).fill(3) }],
    clock: () => nowMs,
  });
  const { organization } = await service.organizations.create({ organization_name: 'Bench', organization_slug: `bench-${prepared}` });
  const members: Member[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const organizationId = organization.organization_id;
    const { member_id: memberId } = await service.organizations.members.create({
      organization_id: organizationId,
      email_address: `bench-${prepared}-${i}@example.com`,
    });
    const created = await service.totps.create({ organization_id: organizationId, member_id: memberId });
    const member: Member = {
      organizationId,
      memberId,
      secret: decodeSecret(created.secret),
      codes: created.recovery_codes,
      sessionToken: '',
    };
    // Activates the registration, and gives the member the session a step-up extends (each step-up extends it by
    // the default hour again; every member has one every 8 requests, 4 minutes of the bench's clock).
    const activated = await authenticate(service, member, nowMs, { intermediate_session_token: await ist(service, member) });
    member.sessionToken = activated.session_token;
    members.push(member);
  }
  return { service, members, advance: () => (nowMs += 30_000), now: () => nowMs };
}

async function ist(service: TotpService, member: Member): Promise<string> {
  const started = await service.sessions.startIntermediate({ organization_id: member.organizationId, member_id: member.memberId });
  return started.intermediate_session_token;
}

/** With an intermediate session token (the exchange), or with the member's session token (a step-up). */
const authenticate = (
  service: TotpService,
  member: Member,
  nowMs: number,
  token: { intermediate_session_token: string } | { session_token: string },
) =>
  service.totps.authenticate({
    organization_id: member.organizationId,
    member_id: member.memberId,
    code: generateTotp(member.secret, { nowMs }),
    ...token,
  });

async function recoveryCode(service: TotpService, member: Member): Promise<string> {
  if (member.codes.length === 0) {
    const rotated = await service.recoveryCodes.rotate({ organization_id: member.organizationId, member_id: member.memberId });
    member.codes = rotated.recovery_codes;
  }
  return member.codes.pop()!;
}

const recover = (service: TotpService, member: Member, code: string, token: string) =>
  service.recoveryCodes.recover({
    organization_id: member.organizationId,
    member_id: member.memberId,
    recovery_code: code,
    intermediate_session_token: token,
  });

const OPERATIONS = ['authenticate', 'recover', 'step-up'] as const;
type Operation = (typeof OPERATIONS)[number];

async function measure(store: Store, operation: Operation): Promise<Measured> {
  const { service, members, advance, now } = await prepare(store.repository);
  const call = async (member: Member): Promise<() => Promise<unknown>> => {
    if (operation === 'step-up') return () => authenticate(service, member, now(), { session_token: member.sessionToken });
    const token = await ist(service, member);
    if (operation === 'authenticate') return () => authenticate(service, member, now(), { intermediate_session_token: token });
    const code = await recoveryCode(service, member);
    return () => recover(service, member, code, token);
  };

  for (let i = 0; i < WARMUP; i++) {
    advance();
    await (
      await call(members[i % members.length]!)
    )();
  }

  // Latency: one request at a time; the setup of each (a fresh IST, a new step or code) is not timed.
  const latenciesMs: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    advance();
    const request = await call(members[i % members.length]!);
    store.counter?.reset();
    const started = performance.now();
    await request();
    latenciesMs.push(performance.now() - started);
    if (store.counter) roundTrips.push(store.counter.roundTrips);
    if (process.env.BENCH_TRACE && i === SEQUENTIAL - 1 && store.counter) {
      const lines = store.counter.statements.map(
        (x) => `  ${x.durationMs === undefined ? '' : `${x.durationMs.toFixed(3)} ms  `}${x.sql.slice(0, 140)}`,
      );
      console.log(`${operation} on ${store.name} (${(latenciesMs.at(-1) ?? 0).toFixed(3)} ms in all):\n${lines.join('\n')}`);
    }
  }

  // Throughput: one request per member in flight at once, batch after batch.
  let timedMs = 0;
  for (let b = 0; b < BATCHES; b++) {
    advance();
    const requests = await Promise.all(members.map(call));
    const started = performance.now();
    await Promise.all(requests.map((request) => request()));
    timedMs += performance.now() - started;
  }
  return { latenciesMs, roundTrips, opsPerSecond: (BATCHES * members.length * 1000) / timedMs };
}

// ── Report ──────────────────────────────────────────────────────────────────────────────────────────────────

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 2)} ms`;

async function main() {
  const pg = await postgresStore({ prepared: false }).catch((error: unknown) => {
    console.error(`PostgreSQL left out (set TOTP_TEST_POSTGRES_URL, or install initdb): ${String(error)}`);
    return undefined;
  });
  const pgPrepared = pg === undefined ? undefined : await postgresStore({ prepared: true, url: pg.url });
  const stores: Store[] = [memoryStore(), await sqliteStore(), ...(pg && pgPrepared ? [pg, pgPrepared] : [])];
  console.log(
    `@totp/prisma store bench: ${SEQUENTIAL} sequential requests (after ${WARMUP} unmeasured) and ${BATCHES}×${CONCURRENCY} concurrent ones per row`,
  );
  console.log(
    `PostgreSQL: ${pg?.where ?? 'none'}; SQLite: a file in ${tmpdir()} (WAL, synchronous=FULL); the real service over each store.\n`,
  );

  const results = new Map<string, Measured>();
  let floor: { pgMs: number; prismaMs: number } | undefined;
  try {
    for (const operation of OPERATIONS) {
      for (const store of stores) results.set(`${operation}/${store.name}`, await measure(store, operation));
    }
    floor = await pg?.floor();
  } finally {
    // Always: the PostgreSQL cluster this bench started must not outlive it.
    for (const store of stores) await store.close().catch((error: unknown) => console.error(`closing ${store.name}:`, error));
    pg?.stop();
  }

  const header = ['operation', 'store', 'median', 'p99', 'ops/s (8 in flight)', 'median ÷ memory', 'round trips'];
  const rows: string[][] = [];
  for (const operation of OPERATIONS) {
    const ceiling = quantile(results.get(`${operation}/memory`)!.latenciesMs, 0.5);
    for (const store of stores) {
      const m = results.get(`${operation}/${store.name}`)!;
      const median = quantile(m.latenciesMs, 0.5);
      const trips = m.roundTrips.length === 0 ? '–' : `${quantile(m.roundTrips, 0.5)} (max ${Math.max(...m.roundTrips)})`;
      rows.push([
        operation,
        store.name,
        ms(median),
        ms(quantile(m.latenciesMs, 0.99)),
        m.opsPerSecond.toFixed(0),
        `${(median / ceiling).toFixed(1)}×`,
        trips,
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));

  const pgAuth = results.get('authenticate/postgresql');
  if (pgAuth === undefined) return;
  const trips = quantile(pgAuth.roundTrips, 0.5);
  const memoryMedian = quantile(results.get('authenticate/memory')!.latenciesMs, 0.5);
  console.log('\nTargets (issue #15), on PostgreSQL:');
  for (const operation of OPERATIONS) {
    const most = Math.max(...results.get(`${operation}/postgresql`)!.roundTrips);
    console.log(`  ${operation}: 2 database round trips, at most ${most} → ${most === 2 ? 'met' : 'not met'}`);
  }
  console.log('Round trips count every statement sent (BEGIN and COMMIT included); the memory store makes none.');
  if (floor !== undefined) {
    console.log(
      `\nFloor on this machine: one round trip (SELECT 1) takes ${ms(floor.pgMs)} with a bare pg client and ` +
        `${ms(floor.prismaMs)} through Prisma; ${trips} Prisma round trips alone are ` +
        `${((trips * floor.prismaMs) / memoryMedian).toFixed(1)}× the memory median, before any work in the database.`,
    );
  }
}

main().catch((error: unknown) => {
  // A bench never fails the build: it says what went wrong and exits 0.
  console.error('store bench could not run:', error);
});
