// Applies the shipped SQL migrations (migrations/<provider>/*.sql) idempotently, recording them in `totp_migrations`.
// One transaction per run; on PostgreSQL an advisory lock makes processes that start together apply them once.

import { createHash } from 'node:crypto';
import type { PrismaProvider } from './prisma-repository';
import { MIGRATION_SQL } from './internal/migration-sql';
import { translateStoreError } from './store-errors';

export interface Migration {
  /** e.g. `0001_init`; migrations apply in this order. */
  id: string;
  sql: string;
  /** SHA-256 (hex) of `sql`, recorded when applied; a different checksum for an applied ID is refused. */
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

export interface AppliedMigrations {
  /** Migrations applied by this call. */
  applied: string[];
  /** Migrations that were already there. */
  alreadyApplied: string[];
}

/** What a migration run needs from a connection inside its transaction. */
interface Executor {
  execute(sql: string, params?: unknown[]): Promise<void>;
  rows(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/** The statements of a migration file: split at the semicolons that end a line, comments dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;[ \t]*$/m)
    .map((chunk) =>
      chunk
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement.length > 0);
}

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

function isPrismaClient(target: MigrationTarget): target is PrismaRawClient {
  return typeof (target as PrismaRawClient).$executeRawUnsafe === 'function';
}
function isSqliteDatabase(target: MigrationTarget): target is SqliteDatabase {
  return typeof (target as SqliteDatabase).exec === 'function' && typeof (target as SqliteDatabase).prepare === 'function';
}
function isPgQueryable(target: MigrationTarget): target is PgQueryable {
  return typeof (target as PgQueryable).query === 'function';
}

/** Runs `fn` in one transaction on `target`. */
async function inTransaction<T>(
  target: MigrationTarget,
  provider: PrismaProvider,
  fn: (executor: Executor) => Promise<T>,
): Promise<T> {
  if (isPrismaClient(target)) {
    return target.$transaction(
      (tx) =>
        fn({
          execute: async (sql, params = []) => {
            await tx.$executeRawUnsafe(sql, ...params);
          },
          rows: async (sql, params = []) => (await tx.$queryRawUnsafe<Array<Record<string, unknown>>>(sql, ...params)) ?? [],
        }),
      // DDL on a busy database can wait for locks: far longer than Prisma's 5-second default.
      { maxWait: 60_000, timeout: 300_000 },
    );
  }
  if (provider === 'sqlite' && isSqliteDatabase(target)) {
    const executor: Executor = {
      execute: async (sql, params = []) => {
        target.prepare(sql).run(...params);
      },
      rows: async (sql, params = []) => target.prepare(sql).all(...params) as Array<Record<string, unknown>>,
    };
    // IMMEDIATE: the write lock from the start, so two processes never both read "not applied".
    target.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(executor);
      target.exec('COMMIT');
      return result;
    } catch (error) {
      target.exec('ROLLBACK');
      throw error;
    }
  }
  if (provider === 'postgresql' && isPgQueryable(target)) {
    // A Pool hands out a different connection per query: take one for the whole transaction.
    const pool = target as PgQueryable & { connect?: () => Promise<PgQueryable & { release(error?: unknown): void }>; totalCount?: number };
    const client = typeof pool.connect === 'function' && typeof pool.totalCount === 'number' ? await pool.connect() : undefined;
    const connection: PgQueryable = client ?? target;
    const executor: Executor = {
      execute: async (sql, params) => {
        await connection.query(sql, params);
      },
      rows: async (sql, params) => (await connection.query(sql, params)).rows as Array<Record<string, unknown>>,
    };
    let failure: unknown;
    try {
      await connection.query('BEGIN');
      const result = await fn(executor);
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      failure = error;
      await connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client?.release(failure);
    }
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
  if (typeof target !== 'object' || target === null) {
    throw new TypeError('applyMigrations(target, options): target must be a PrismaClient or a database driver');
  }
  const provider = options?.provider;
  if (provider !== 'sqlite' && provider !== 'postgresql') {
    throw new RangeError('applyMigrations: options.provider must be "sqlite" or "postgresql"');
  }
  const { schema } = options;
  if (schema !== undefined && (provider !== 'postgresql' || typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema))) {
    throw new RangeError('applyMigrations: options.schema is for PostgreSQL and must be a plain identifier (letters, digits, _ and $)');
  }
  const migrations = MIGRATIONS[provider];
  const placeholder = (n: number) => (provider === 'postgresql' ? `$${n}` : '?');

  try {
    return await inTransaction(target, provider, async (db) => {
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
      if (provider === 'sqlite') {
        // A write that matches nothing still takes SQLite's write lock, before the read below (see above).
        await db.execute('UPDATE "totp_migrations" SET "id" = "id" WHERE 0 = 1');
      }
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
        await db.execute(
          `INSERT INTO "totp_migrations" ("id", "checksum", "applied_at") VALUES (${placeholder(1)}, ${placeholder(2)}, ${placeholder(3)})`,
          [migration.id, migration.checksum, new Date().toISOString()],
        );
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
