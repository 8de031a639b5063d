// The reference server: @totp/express over @totp/prisma (SQLite or PostgreSQL), on HTTP or HTTPS.
// startServer applies the migrations, listens, and returns a close() that lets in-flight requests finish.

import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTotpService, type Clock, type TotpService } from '@totp/core';
import { nodeCrypto } from '@totp/core/node';
import { DEFAULT_ERROR_URL_BASE, ERROR_STATUS, createTotpRouter, type TotpRouterLogger } from '@totp/express';
import { applyMigrations, createPrismaRepository, preparedStatementNames, type MigrationTarget, type TotpPrismaClient } from '@totp/prisma';
import express from 'express';
import type { DatabaseConfig, ServerConfig } from './config';

export interface StartOptions {
  config: ServerConfig;
  /** Serve HTTPS with this key and certificate (PEM); HTTP when absent. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** For tests: the service's clock. */
  clock?: Clock;
  logger?: TotpRouterLogger;
  errorUrlBase?: string;
  /** For tests: shorter request and header timeouts than the defaults. */
  timeouts?: { requestMs: number; headersMs: number };
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:3000` (a wildcard host is shown as 127.0.0.1). */
  url: string;
  port: number;
  service: TotpService;
  /** Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes the database. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The generated client is loaded at run time (it is generated at start, so type-checking never depends on it); it is
 * a full PrismaClient, which both the repository (TotpPrismaClient) and the migrations (MigrationTarget) accept.
 */
type GeneratedPrismaClient = { $disconnect(): Promise<void> };

const GENERATED = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated');

/** A PrismaClient generated from @totp/prisma's models (scripts/generate-client.mjs), over the right driver adapter. */
async function openDatabase(database: DatabaseConfig): Promise<GeneratedPrismaClient> {
  const clientFile = join(GENERATED, database.provider, 'client', 'client.ts');
  if (!existsSync(clientFile)) {
    throw new Error(`the Prisma client is not generated: run \`pnpm --filter @totp/server generate\` (missing ${clientFile})`);
  }
  const { PrismaClient } = (await import(pathToFileURL(clientFile).href)) as {
    PrismaClient: new (options: { adapter: unknown }) => GeneratedPrismaClient;
  };
  if (database.provider === 'sqlite') {
    mkdirSync(dirname(database.file), { recursive: true, mode: 0o700 });
    const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
    return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${database.file}` }) });
  }
  const { PrismaPg } = await import('@prisma/adapter-pg');
  // This client runs only @totp/prisma's statements, a fixed few dozen: each is prepared once per connection.
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: database.url }, { statementNameGenerator: preparedStatementNames() }),
  });
}

/**
 * Malformed HTTP (a bad request line, headers over Node's limit) never reaches Express; Node would answer with a
 * bare `400 Bad Request`. Answer in the API's error shape instead, so every response is the documented JSON.
 */
function answerClientErrors(server: Server, environment: string, errorUrlBase: string | undefined): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // Node reports a request or its headers taking longer than allowed as a client error too.
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const errorType = timedOut ? 'request_timeout' : 'bad_request';
    const message = timedOut
      ? 'the request was not received in time'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 'the request headers are too large'
        : 'the request is not valid HTTP/1.1';
    const body = JSON.stringify({
      status_code: ERROR_STATUS[errorType],
      request_id: `request-id-${environment}-${randomUUID()}`,
      error_type: errorType,
      error_message: message,
      error_url: `${errorUrlBase ?? DEFAULT_ERROR_URL_BASE}#${errorType}`,
    });
    const statusLine = timedOut ? '408 Request Timeout' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${statusLine}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** How long a client gets to send a request, and its headers. */
export const DEFAULT_TIMEOUTS = { requestMs: 30_000, headersMs: 10_000 };

const PURGE_INTERVAL_MS = 60 * 60_000;

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const prisma = await openDatabase(config.database);
  try {
    await applyMigrations(prisma as unknown as MigrationTarget, { provider: config.database.provider });
    const environment = config.projectId.startsWith('project-live-') ? 'live' : 'test';
    const service = createTotpService({
      repository: createPrismaRepository(prisma as unknown as TotpPrismaClient, { provider: config.database.provider }),
      environment,
      crypto: nodeCrypto,
      encryptionKeys: config.encryptionKeys,
      recoveryCodePepper: config.recoveryCodePepper,
      sessionSigningKeys: config.sessionSigningKeys,
      projectName: config.projectName,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });

    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(
      createTotpRouter({
        service,
        projectId: config.projectId,
        secret: config.secret,
        scope: 'all',
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.errorUrlBase === undefined ? {} : { errorUrlBase: options.errorUrlBase }),
      }),
    );

    // A client gets 30 s to send a request and 10 s for its headers: enough for any valid request here. Node checks
    // them every connectionsCheckingInterval (30 s by default, so a timeout could come up to twice as late): checked
    // every quarter of a second here, a timeout answers 408 at the time configured.
    const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    const serverOptions = {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      connectionsCheckingInterval: Math.min(250, timeouts.headersMs),
    };
    const server =
      options.tls === undefined ? createHttpServer(serverOptions, app) : createHttpsServer({ ...serverOptions, ...options.tls }, app);
    answerClientErrors(server, environment, options.errorUrlBase);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
    const shownHost = ['0.0.0.0', '::', ''].includes(config.host)
      ? '127.0.0.1'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
    // Housekeeping: expired and revoked sessions and expired pending registrations are deleted hourly, so the
    // tables do not grow forever. Every process may run it; each purge deletes only rows nobody can use.
    const purge = () => {
      service.maintenance.purgeExpired().catch((error: unknown) => (options.logger ?? console).error('purgeExpired failed', error));
    };
    const purgeTimer = setInterval(purge, PURGE_INTERVAL_MS);
    purgeTimer.unref();
    let closing: Promise<void> | undefined;
    return {
      url: `${options.tls === undefined ? 'http' : 'https'}://${shownHost}:${address.port}`,
      port: address.port,
      service,
      close: (graceMs = 10_000) =>
        (closing ??= (async () => {
          clearInterval(purgeTimer);
          await new Promise<void>((resolve) => {
            // Past the grace period, connections still open (a client that never finishes) are cut.
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              resolve();
            });
            server.closeIdleConnections();
          });
          await prisma.$disconnect();
        })()),
    };
  } catch (error) {
    await prisma.$disconnect();
    throw error;
  }
}
