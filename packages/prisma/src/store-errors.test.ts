// isStoreUnreachable, isTransientConflict, the constraint checks and translateStoreError on errors shaped as Prisma 7 and
// its driver adapters make them (postgres.outage.test.ts and postgres.deadlock.test.ts provoke the real ones).

import { TotpError } from '@totp/core';
import { describe, expect, it } from 'vitest';
import { isForeignKeyViolation, isStoreUnreachable, isTransientConflict, isUniqueViolation, translateStoreError } from './store-errors';

// Shapes as Prisma 7 and the drivers produce them (seen with @prisma/adapter-pg and @prisma/adapter-better-sqlite3).
const known = (code: string, cause?: object) =>
  Object.assign(new Error(`prisma ${code}`), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: cause && { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });

describe('isStoreUnreachable', () => {
  it.each([
    ['P1001 (cannot reach the server)', known('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 })],
    ['P1017 (the server closed the connection)', known('P1017', { kind: 'ConnectionClosed' })],
    [
      'P2028 no connection for a transaction within maxWait',
      Object.assign(known('P2028'), { message: 'Transaction API error: Unable to start a transaction in the given time.' }),
    ],
    ['pg: timeout exceeded when trying to connect (connectionTimeoutMillis)', new Error('timeout exceeded when trying to connect')],
    ['an adapter error of kind SocketTimeout (SQLite busy)', known('P2010', { kind: 'SocketTimeout' })],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['a socket error, as the pg adapter names it', known('P2010', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['PostgreSQL shutting down (57P01)', known('P2010', { kind: 'postgres', originalCode: '57P01' })],
    ['SQLSTATE class 08', known('P2010', { kind: 'postgres', originalCode: '08006' })],
    ['a cause further down', new Error('outer', { cause: new Error('middle', { cause: { kind: 'ConnectionClosed' } }) })],
    ['PrismaClientInitializationError', Object.assign(new Error('init'), { name: 'PrismaClientInitializationError' })],
  ])('%s: unreachable', (_label, error) => {
    expect(isStoreUnreachable(error)).toBe(true);
  });

  it.each([
    ['P2002 (unique violation)', known('P2002', { kind: 'UniqueConstraintViolation', constraint: { fields: ['x'] } })],
    ['P2025 (record not found)', known('P2025')],
    ['a PostgreSQL error of another class (42P01, no such table)', known('P2010', { kind: 'postgres', originalCode: '42P01' })],
    [
      'P2028 for a transaction used after it ended',
      Object.assign(known('P2028'), { message: 'Transaction API error: Transaction already closed' }),
    ],
    ['a plain bug', new TypeError('x is not a function')],
    ['not an error at all', 'oops'],
    ['null', null],
  ])('%s: not unreachable', (_label, error) => {
    expect(isStoreUnreachable(error)).toBe(false);
  });

  it('stops on a cycle of causes', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    a.cause = a;
    expect(isStoreUnreachable(a)).toBe(false);
  });
});

describe('constraint violations', () => {
  it('are read from the driver error’s kind, under Prisma’s own code (P2002, P2003) or a raw statement’s (P2010)', () => {
    expect(isUniqueViolation(known('P2002', { kind: 'UniqueConstraintViolation' }))).toBe(true);
    expect(isUniqueViolation(known('P2010', { kind: 'UniqueConstraintViolation' }))).toBe(true);
    expect(isForeignKeyViolation(known('P2003', { kind: 'ForeignKeyConstraintViolation' }))).toBe(true);
    expect(isForeignKeyViolation(known('P2010', { kind: 'ForeignKeyConstraintViolation' }))).toBe(true);
    expect(isUniqueViolation(known('P2010', { kind: 'ForeignKeyConstraintViolation' }))).toBe(false);
    expect(isForeignKeyViolation(known('P2025'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});

describe('translateStoreError', () => {
  it('passes TotpErrors through', () => {
    const error = new TotpError('duplicate_member_email', 'taken');
    expect(translateStoreError('insertMember', error)).toBe(error);
  });

  it('makes an unreachable store service_unavailable, keeping the original as cause', () => {
    const original = known('P1001', { kind: 'DatabaseNotReachable' });
    const translated = translateStoreError('findMember', original);
    expect(translated).toBeInstanceOf(TotpError);
    expect((translated as TotpError).error_type).toBe('service_unavailable');
    expect(translated.cause).toBe(original);
    expect(translated.message).not.toContain('127.0.0.1');
  });

  it.each([
    ['P2034 (write conflict or deadlock, in a transaction)', known('P2034', { kind: 'TransactionWriteConflict', originalCode: '40001' })],
    ['a raw statement aborted by a deadlock (40P01)', known('P2010', { kind: 'TransactionWriteConflict', originalCode: '40P01' })],
    ['a serialization failure (40001) of a raw statement', known('P2010', { kind: 'TransactionWriteConflict', originalCode: '40001' })],
  ])('makes %s service_unavailable: nothing was written, the call may be made again', (_label, original) => {
    expect(isTransientConflict(original)).toBe(true);
    const translated = translateStoreError('grantMfaSession', original);
    expect(translated).toBeInstanceOf(TotpError);
    expect((translated as TotpError).error_type).toBe('service_unavailable');
    expect(translated.cause).toBe(original);
  });

  it('wraps anything else, naming the method, never swallowing it', () => {
    const original = known('P2003', { kind: 'ForeignKeyConstraintViolation' });
    const translated = translateStoreError('insertMember', original);
    expect(translated).not.toBeInstanceOf(TotpError);
    expect(translated.message).toBe('@totp/prisma: insertMember failed');
    expect(translated.cause).toBe(original);
  });
});
