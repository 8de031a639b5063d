// One server of the HTTP benchmark, run in its own process so the load generator does not share its event loop.
// `echo`: a bare Express 5 JSON echo, the reference; `memory`: the router over @totp/memory (with node:crypto, as the
// reference server runs); `sqlite`: the reference server itself (startServer) on a fresh SQLite file.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import express, { type Express } from 'express';
import { createTotpService, type TotpService } from '@totp/core';
import { nodeCrypto } from '@totp/core/node';
import { createTotpRouter } from '@totp/express';
import { createMemoryRepository } from '@totp/memory';
import { loadConfig } from '../src/config';
import { startServer } from '../src/server';
import { BENCH_AUTH_PROJECT_ID, BENCH_SECRET, BENCH_TOTP_SECRET, benchClock, benchCode, type ServerReady } from './shared';

const mode = process.argv[2] ?? 'echo';
// Enough members that none runs out of fresh time steps at the store's throughput (each gets ~3 new steps a second).
const memberCount = Number(process.env.BENCH_MEMBERS ?? (mode === 'sqlite' ? 300 : 3000));
const clock = benchClock();

function echoApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  return app;
}

const key = (byte: number) => new Uint8Array(32).fill(byte);

async function memoryService(): Promise<TotpService> {
  return createTotpService({
    repository: createMemoryRepository(),
    crypto: nodeCrypto,
    encryptionKeys: [{ id: 'bench', key: key(1) }],
    recoveryCodePepper: [{ id: 'bench', key: key(2) }],
    sessionSigningKeys: [{ id: 'bench', key: key(3) }],
    clock,
  });
}

/** Members that share one TOTP secret (each has its own registration, so replay protection is per member). */
const provisionMembers = (service: TotpService) => provisionMembersOf(service, memberCount);

async function provisionMembersOf(service: TotpService, count: number): Promise<ServerReady['members']> {
  const { organization } = await service.organizations.create({ organization_name: 'Bench', organization_slug: 'bench' });
  const members: ServerReady['members'] = [];
  for (let i = 0; i < count; i++) {
    const { member_id } = await service.organizations.members.create({
      organization_id: organization.organization_id,
      email_address: `member-${i}@bench.example`,
    });
    const ids = { organization_id: organization.organization_id, member_id };
    await service.totps.migrate({ ...ids, secret: BENCH_TOTP_SECRET });
    const { intermediate_session_token } = await service.sessions.startIntermediate(ids);
    const authenticated = await service.totps.authenticate({
      ...ids,
      code: benchCode(Math.floor(clock() / 30_000)),
      intermediate_session_token,
      session_duration_minutes: 527_040,
    });
    members.push({ ...ids, session_token: authenticated.session_token });
  }
  return members;
}

let app: Express | undefined;
let members: ServerReady['members'] = [];
let sqlitePort: number | undefined;
if (mode === 'echo') {
  app = echoApp();
} else if (mode === 'sqlite') {
  const config = loadConfig(
    { PORT: '0', TOTP_PROJECT_ID: BENCH_AUTH_PROJECT_ID, TOTP_SECRET: BENCH_SECRET },
    mkdtempSync(join(tmpdir(), 'totp-bench-')),
  );
  const running = await startServer({ config, clock });
  members = await provisionMembers(running.service);
  sqlitePort = running.port;
  process.on('disconnect', () => void running.close().finally(() => process.exit(0)));
} else {
  if (mode !== 'memory') throw new Error(`unknown mode ${mode}`);
  const service = await memoryService();
  members = await provisionMembers(service);
  app = express();
  app.disable('x-powered-by');
  app.use(createTotpRouter({ service, projectId: BENCH_AUTH_PROJECT_ID, secret: BENCH_SECRET, scope: 'all' }));
}

// BENCH_PROFILE_DIR=…: a CPU profile of the serving phase only (setup excluded), written when the run ends.
const profileDir = process.env.BENCH_PROFILE_DIR;
let stopProfile: () => Promise<void> = async () => {};
if (profileDir !== undefined && mode !== 'echo' && mode !== 'sqlite') {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  stopProfile = async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(`${profileDir}/${mode}-${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}

// The parent asks for this process's CPU time (and its event loop's busy time) around each run, per request.
process.on('message', (message) => {
  // Process CPU counts every thread (V8's GC helpers too); the event loop's busy time is the main thread's alone.
  if (message === 'cpu') process.send?.({ cpuMicros: process.cpuUsage(), loopBusyMs: performance.eventLoopUtilization().active });
});

if (app !== undefined) {
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const ready: ServerReady = { port: address.port, members };
    process.send?.(ready);
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close(() => {
      void stopProfile().finally(() => process.exit(0));
    });
  });
} else if (sqlitePort !== undefined) {
  process.send?.({ port: sqlitePort, members } satisfies ServerReady);
}
