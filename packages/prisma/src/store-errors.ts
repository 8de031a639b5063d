// How driver and Prisma errors become the port's outcomes (the port's conventions, packages/core domain/repository.ts):
// unreachable or aborted → TotpError('service_unavailable'), anything else → an Error keeping the original as `cause`.

import { TotpError } from '@totp/core';

/** Prisma error codes that mean the database could not be reached or stopped answering. */
const UNREACHABLE_PRISMA_CODES = new Set([
  'P1001', // can't reach database server
  'P1002', // database server reached but timed out
  'P1008', // operations timed out (also SQLite's SQLITE_BUSY after the busy timeout)
  'P1017', // server has closed the connection
  'P2024', // timed out fetching a connection from the pool
]);

/** Driver adapter error kinds (Prisma 7 `meta.driverAdapterError.cause.kind`) with the same meaning. */
const UNREACHABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);

// P2028 "Unable to start a transaction in the given time" (no pooled connection within `maxWait`) is matched by its
// message below: P2028 also covers misuse of a transaction, which is a bug, not an outage.

/** Node socket errors, and PostgreSQL SQLSTATEs for a server that is shutting down or refusing connections. */
const UNREACHABLE_DRIVER_CODES = new Set([
  ...[
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'SQLITE_BUSY',
    'SQLITE_CANTOPEN',
  ],
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const UNREACHABLE_MESSAGES =
  /unable to start a transaction in the given time|connection terminated|connection timeout|can't reach database server|server closed the connection|terminating connection due to administrator command|the database system is (starting up|shutting down)|client has encountered a connection error|timeout exceeded when trying to connect/i;

type Inspectable = {
  name?: unknown;
  code?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
};

/** The error and everything it wraps (`cause`, Prisma's `meta.driverAdapterError`), breadth-first, bounded. */
function* chain(error: unknown): Generator<Inspectable> {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 12; seen++) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null) continue;
    const e = current as Inspectable;
    yield e;
    queue.push(e.cause, e.meta?.driverAdapterError);
  }
}

/** True when `error` says the database is down, unreachable, or not answering in time. */
export function isStoreUnreachable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e.name === 'PrismaClientInitializationError') return true;
    for (const code of [e.code, e.originalCode]) {
      if (typeof code !== 'string') continue;
      if (UNREACHABLE_PRISMA_CODES.has(code) || UNREACHABLE_DRIVER_CODES.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/.test(code)) return true; // SQLSTATE class 08: connection exception
      if (code.startsWith('SQLITE_BUSY')) return true;
    }
    if (typeof e.kind === 'string' && UNREACHABLE_ADAPTER_KINDS.has(e.kind)) return true;
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/**
 * True when the database aborted the statement to break a deadlock or a serialization conflict (SQLSTATE 40P01,
 * 40001; Prisma's P2034, the driver adapter's `TransactionWriteConflict`): nothing was written, and the same call may
 * well succeed if made again. The adapter's writes lock in one order (IST or member session, member, registration,
 * codes), but a host's own transactions, or a member deleted while it signs in (the cascade locks in another order), can
 * meet them.
 */
export function isTransientConflict(error: unknown): boolean {
  for (const e of chain(error)) {
    for (const code of [e.code, e.originalCode]) {
      if (code === 'P2034' || code === '40P01' || code === '40001') return true;
    }
    if (e.kind === 'TransactionWriteConflict') return true;
  }
  return false;
}

/** Whether `error` is Prisma's `code`, or a raw statement's failure (P2010) whose driver error is of `kind`. */
function isPrismaError(error: unknown, code: string, kind: string): boolean {
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | null;
  return (
    typeof e === 'object' && e !== null && (e.code === code || (e.code === 'P2010' && e.meta?.driverAdapterError?.cause?.kind === kind))
  );
}

export const isUniqueViolation = (error: unknown): boolean => isPrismaError(error, 'P2002', 'UniqueConstraintViolation');
/** A row refused by a foreign key: what it points at does not exist (any more). */
export const isForeignKeyViolation = (error: unknown): boolean => isPrismaError(error, 'P2003', 'ForeignKeyConstraintViolation');

/**
 * The error a repository method throws for `error`: TotpErrors pass through, an unreachable store and a statement
 * aborted by a deadlock or serialization conflict become `service_unavailable` (a 503: nothing was written, try
 * again), anything else an Error naming the method, with the original as `cause`.
 */
export function translateStoreError(method: string, error: unknown): Error {
  if (error instanceof TotpError) return error;
  if (isStoreUnreachable(error)) return new TotpError('service_unavailable', 'the store cannot be reached', { cause: error });
  if (isTransientConflict(error))
    return new TotpError('service_unavailable', 'the store aborted the operation on a concurrent write; try again', { cause: error });
  return new Error(`@totp/prisma: ${method} failed`, { cause: error });
}
