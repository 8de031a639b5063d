// Applies the shipped SQL migrations (migrations/<provider>/*.sql) idempotently, recording them in `totp_migrations`.
// One transaction per run; on PostgreSQL an advisory lock makes processes that start together apply them once.

import { createHash } from 'node:crypto';
import type { PrismaProvider } from './client-shape';
import { MIGRATION_SQL } from './internal/migration-sql';
import { quoteIdentifier } from './names';
import { translateStoreError } from './store-errors';

/** A shipped migration: `id` (`0001_init` …, applied in order), its SQL, and the SHA-256 (hex) recorded when applied. */
export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

const checksumOf = (sql: string) => createHash('sha256').update(sql, 'utf8').digest('hex');

/** The migrations this version ships, per provider. */
export const MIGRATIONS: Readonly<Record<PrismaProvider, readonly Migration[]>> = {
  sqlite: MIGRATION_SQL.sqlite.map(([id, sql]) => ({ id, sql, checksum: checksumOf(sql) })),
  postgresql: MIGRATION_SQL.postgresql.map(([id, sql]) => ({ id, sql, checksum: checksumOf(sql) })),
};

/** A PrismaClient (any generated one): the migrations run through `$executeRawUnsafe` in an interactive transaction. */
export interface PrismaRawClient {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $transaction<R>(
    fn: (tx: Pick<PrismaRawClient, '$executeRawUnsafe' | '$queryRawUnsafe'>) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): PromiseLike<R>;
}

/** A `pg` Client (connected) or Pool. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** A `better-sqlite3` Database. */
export interface SqliteDatabase {
  exec(source: string): unknown;
  prepare(source: string): { all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
}

export type MigrationTarget = PrismaRawClient | PgQueryable | SqliteDatabase;

export interface ApplyMigrationsOptions {
  provider: PrismaProvider;
  /**
   * PostgreSQL only: the schema to create the tables in (created if missing). Default: the connection's
   * `search_path` (normally `public`). Pass the same schema as PrismaPg's `{ schema }` option.
   */
  schema?: string;
}

/** The IDs of the migrations this call applied, and of those that were already there. */
export interface AppliedMigrations {
  applied: string[];
  alreadyApplied: string[];
}

/** A connection inside the run's transaction: `execute` a statement, or read its `rows`. */
interface Executor {
  execute(sql: string, params?: unknown[]): Promise<unknown>;
  rows(sql: string, params?: unknown[]): Promise<Rows>;
}

/** The statements of a migration file: split at the semicolons that end a line, comments dropped. */
export function splitStatements(sql: string): string[] {
  const uncommented = (chunk: string) =>
    chunk
      .split('\n')
      .filter((line) => !/^\s*--/.test(line))
      .join('\n')
      .trim();
  return sql
    .split(/;[ \t]*$/m)
    .map(uncommented)
    .filter((statement) => statement.length > 0);
}

type Rows = Array<Record<string, unknown>>;

/** `fn` in one transaction over `executor`: `begin`, `fn`, COMMIT, or ROLLBACK when anything throws; then `end`. */
async function inTransaction<T>(
  begin: string,
  executor: Executor,
  fn: (executor: Executor) => Promise<T>,
  end?: (failure: unknown) => void,
): Promise<T> {
  let failure: unknown;
  try {
    await executor.execute(begin);
    const result = await fn(executor);
    await executor.execute('COMMIT');
    return result;
  } catch (error) {
    failure = error;
    await executor.execute('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    end?.(failure);
  }
}

/** `fn` in one transaction on `target`, whichever kind of connection it is. */
async function transactionOn<T>(target: MigrationTarget, provider: PrismaProvider, fn: (executor: Executor) => Promise<T>): Promise<T> {
  if (typeof (target as PrismaRawClient).$executeRawUnsafe === 'function') {
    const run = (tx: Pick<PrismaRawClient, '$executeRawUnsafe' | '$queryRawUnsafe'>) =>
      fn({
        execute: async (sql, params = []) => tx.$executeRawUnsafe(sql, ...params),
        rows: async (sql, params = []) => (await tx.$queryRawUnsafe<Rows>(sql, ...params)) ?? [],
      });
    // DDL on a busy database can wait for locks: far longer than Prisma's 5-second default.
    return (target as PrismaRawClient).$transaction(run, { maxWait: 60_000, timeout: 300_000 });
  }
  const db = target as SqliteDatabase;
  if (provider === 'sqlite' && typeof db.exec === 'function' && typeof db.prepare === 'function') {
    // IMMEDIATE: the write lock from the start, so two processes never both read "not applied".
    const executor: Executor = {
      execute: async (sql, params = []) => db.prepare(sql).run(...params),
      rows: async (sql, params = []) => db.prepare(sql).all(...params) as Rows,
    };
    return inTransaction('BEGIN IMMEDIATE', executor, fn);
  }
  // A pg Pool hands out a different connection per query: take one for the whole transaction.
  const pool = target as PgQueryable & { connect?: () => Promise<PgQueryable & { release(error?: unknown): void }>; totalCount?: number };
  if (provider === 'postgresql' && typeof pool.query === 'function') {
    const client = typeof pool.connect === 'function' && typeof pool.totalCount === 'number' ? await pool.connect() : undefined;
    const connection: PgQueryable = client ?? pool;
    const executor: Executor = {
      execute: (sql, params) => connection.query(sql, params),
      rows: async (sql, params) => (await connection.query(sql, params)).rows as Rows,
    };
    return inTransaction('BEGIN', executor, fn, (failure) => client?.release(failure));
  }
  throw new TypeError(
    `applyMigrations: the target must be a PrismaClient, ${provider === 'sqlite' ? 'or a better-sqlite3 Database' : 'or a pg Client or Pool'}`,
  );
}

/**
 * Creates or updates the @totp/prisma tables: applies, in order and in one transaction, every shipped migration not
 * yet recorded in the `totp_migrations` table. Safe to call at every start, from any number of processes at once.
 * Throws when an applied migration's checksum differs from the shipped one (someone edited it).
 */
export async function applyMigrations(target: MigrationTarget, options: ApplyMigrationsOptions): Promise<AppliedMigrations> {
  if (typeof target !== 'object' || target === null)
    throw new TypeError('applyMigrations(target, options): target must be a PrismaClient or a database driver');
  const provider = options?.provider;
  if (provider !== 'sqlite' && provider !== 'postgresql')
    throw new RangeError('applyMigrations: options.provider must be "sqlite" or "postgresql"');
  const { schema } = options;
  if (schema !== undefined && (provider !== 'postgresql' || typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema))) {
    throw new RangeError('applyMigrations: options.schema is for PostgreSQL and must be a plain identifier (letters, digits, _ and $)');
  }
  const migrations = MIGRATIONS[provider];
  const placeholder = (n: number) => (provider === 'postgresql' ? `$${n}` : '?');

  try {
    return await transactionOn(target, provider, async (db) => {
      if (provider === 'postgresql') {
        // Serializes concurrent runs on this schema until commit; DDL in PostgreSQL is transactional, so a run
        // that waited sees the tables and the records of the run before it.
        await db.execute(`SELECT pg_advisory_xact_lock(hashtext('@totp/prisma migrations ' || current_database() || ' ' || $1))`, [
          schema ?? '',
        ]);
        if (schema !== undefined) {
          await db.execute(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
          await db.execute(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
        }
      }
      await db.execute(
        'CREATE TABLE IF NOT EXISTS "totp_migrations" ("id" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)',
      );
      // Through Prisma (its BEGIN is deferred), a write that matches nothing takes SQLite's write lock before the read.
      if (provider === 'sqlite') await db.execute('UPDATE "totp_migrations" SET "id" = "id" WHERE 0 = 1');
      const recorded = new Map(
        (await db.rows('SELECT "id", "checksum" FROM "totp_migrations"')).map((r) => [String(r.id), String(r.checksum)]),
      );
      const result: AppliedMigrations = { applied: [], alreadyApplied: [] };
      for (const migration of migrations) {
        const checksum = recorded.get(migration.id);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            throw new Error(
              `applyMigrations: migration ${migration.id} was applied with a different checksum (${checksum}); it must never change once shipped`,
            );
          }
          result.alreadyApplied.push(migration.id);
          continue;
        }
        for (const statement of splitStatements(migration.sql)) await db.execute(statement);
        const values = [1, 2, 3].map(placeholder).join(', ');
        await db.execute(`INSERT INTO "totp_migrations" ("id", "checksum", "applied_at") VALUES (${values})`, [
          migration.id,
          migration.checksum,
          new Date().toISOString(),
        ]);
        result.applied.push(migration.id);
      }
      return result;
    });
  } catch (error) {
    // Our own refusals (a changed checksum) pass through; driver errors are translated like the repository's.
    if (error instanceof TypeError || (error instanceof Error && error.message.startsWith('applyMigrations:'))) throw error;
    throw translateStoreError('applyMigrations', error);
  }
}
