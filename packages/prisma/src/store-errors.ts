// How driver and Prisma errors become the port's outcomes (the port's conventions, packages/core domain/repository.ts):
// unreachable or aborted → TotpError('service_unavailable'), anything else → an Error keeping the original as `cause`.

import { TotpError } from '@totp/core';

/**
 * What Prisma 7's driver adapters say when the database cannot be reached or answers too late (the error's
 * `meta.driverAdapterError.cause.kind`, as Prisma's P1001, P1017, P1008, P1011, P2037 carry it): pg's socket errors, and
 * better-sqlite3's SQLITE_BUSY after its busy timeout (`SocketTimeout`).
 */
const UNREACHABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TlsConnectionError',
  'TooManyConnections',
]);

/**
 * The same from node-postgres and its pool, which carry no code (a connection dropped mid-query, `connectionTimeoutMillis`
 * run out), and Prisma's P2028 "Unable to start a transaction in the given time" (no pooled connection within `maxWait`;
 * P2028 also covers misuse of a transaction, which is a bug, not an outage).
 */
const UNREACHABLE_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|unable to start a transaction in the given time/i;

type Inspectable = Partial<Record<'name' | 'originalCode' | 'kind' | 'message' | 'cause', unknown>> & {
  meta?: { driverAdapterError?: unknown };
};

/** The error and everything it wraps (`cause`, Prisma's `meta.driverAdapterError`), depth-first, to a bounded depth. */
function* chain(error: unknown, depth = 0): Generator<Inspectable> {
  if (typeof error !== 'object' || error === null || depth > 6) return;
  const e = error as Inspectable;
  yield e;
  yield* chain(e.cause, depth + 1);
  yield* chain(e.meta?.driverAdapterError, depth + 1);
}

/** True when `error` says the database is down, unreachable, or not answering in time. */
export function isStoreUnreachable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (e.name === 'PrismaClientInitializationError') return true;
    if (typeof e.kind === 'string' && UNREACHABLE_KINDS.has(e.kind)) return true;
    // PostgreSQL's SQLSTATE class 08 (connection exception) and 57P01..57P03 (shutting down, cannot connect now).
    if (typeof e.originalCode === 'string' && /^(08|57P0[1-3])/.test(e.originalCode)) return true;
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/** Whether Prisma's driver adapter reported `kind` for `error` (under Prisma's own code, or a raw statement's P2010). */
function hasKind(error: unknown, kind: string): boolean {
  for (const e of chain(error)) if (e.kind === kind) return true;
  return false;
}

/**
 * True when the database aborted the statement to break a deadlock or a serialization conflict (SQLSTATE 40P01, 40001:
 * the driver adapter's `TransactionWriteConflict`, Prisma's P2034): nothing was written, and the same call may well
 * succeed if made again. The adapter's writes lock in one order (IST or member session, member, registration,
 * codes), but a host's own transactions, or a member deleted while it signs in (the cascade locks in another order), can
 * meet them.
 */
export const isTransientConflict = (error: unknown) => hasKind(error, 'TransactionWriteConflict');
/** A row refused by a unique index (Prisma's P2002). */
export const isUniqueViolation = (error: unknown) => hasKind(error, 'UniqueConstraintViolation');
/** A row refused by a foreign key (Prisma's P2003): what it points at does not exist (any more). */
export const isForeignKeyViolation = (error: unknown) => hasKind(error, 'ForeignKeyConstraintViolation');

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
