// Applies the shipped SQL migrations (migrations/<provider>/*.sql) idempotently through the host's PrismaClient, recording
// them in `totp_migrations`. One transaction per run; processes that start together apply them once.

import { createHash } from 'node:crypto';
import type { PrismaProvider, TotpPrismaClient, TotpPrismaDelegates } from './client-shape';
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

/** Your PrismaClient, the one the repository uses: the migrations run as raw SQL in one of its interactive transactions. */
export type MigrationTarget = Pick<TotpPrismaClient, '$transaction' | '$executeRawUnsafe' | '$queryRawUnsafe'>;

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

/** The statements of a migration file: its comment lines dropped, split at the semicolons that end a line. */
export function splitStatements(sql: string): string[] {
  const statements = sql.replace(/^\s*--.*$/gm, '').split(/;[ \t]*$/m);
  return statements.map((statement) => statement.trim()).filter((statement) => statement.length > 0);
}

/**
 * Creates or updates the @totp/prisma tables: applies, in order and in one transaction, every shipped migration not
 * yet recorded in the `totp_migrations` table. Safe to call at every start, from any number of processes at once.
 * Throws when an applied migration's checksum differs from the shipped one (someone edited it).
 */
export async function applyMigrations(target: MigrationTarget, options: ApplyMigrationsOptions): Promise<AppliedMigrations> {
  if (typeof target?.$transaction !== 'function' || typeof target.$executeRawUnsafe !== 'function') {
    throw new TypeError('applyMigrations(prisma, options): prisma must be a PrismaClient');
  }
  const provider = options?.provider;
  if (provider !== 'sqlite' && provider !== 'postgresql')
    throw new RangeError('applyMigrations: options.provider must be "sqlite" or "postgresql"');
  const { schema } = options;
  if (schema !== undefined && (provider !== 'postgresql' || typeof schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema))) {
    throw new RangeError('applyMigrations: options.schema is for PostgreSQL and must be a plain identifier (letters, digits, _ and $)');
  }

  try {
    const run = async (db: TotpPrismaDelegates) => {
      if (provider === 'postgresql') {
        // Serializes concurrent runs on this schema until commit; DDL in PostgreSQL is transactional, so a run
        // that waited sees the tables and the records of the run before it.
        await db.$executeRawUnsafe(
          `SELECT pg_advisory_xact_lock(hashtext('@totp/prisma migrations ' || current_database() || ' ' || $1))`,
          schema ?? '',
        );
        if (schema !== undefined) {
          await db.$executeRawUnsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
          await db.$executeRawUnsafe(`SET LOCAL search_path TO ${quoteIdentifier(schema)}`);
        }
      }
      await db.$executeRawUnsafe(
        'CREATE TABLE IF NOT EXISTS "totp_migrations" ("id" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)',
      );
      // Prisma's BEGIN is deferred: a write that matches nothing takes SQLite's write lock before the read.
      if (provider === 'sqlite') await db.$executeRawUnsafe('UPDATE "totp_migrations" SET "id" = "id" WHERE 0 = 1');
      const rows = await db.$queryRawUnsafe<Array<{ id: string; checksum: string }>>('SELECT "id", "checksum" FROM "totp_migrations"');
      const recorded = new Map(rows.map((r) => [r.id, r.checksum]));
      const result: AppliedMigrations = { applied: [], alreadyApplied: [] };
      for (const migration of MIGRATIONS[provider]) {
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
        for (const statement of splitStatements(migration.sql)) await db.$executeRawUnsafe(statement);
        await db.$executeRawUnsafe(
          `INSERT INTO "totp_migrations" ("id", "checksum", "applied_at") VALUES (${provider === 'postgresql' ? '$1, $2, $3' : '?, ?, ?'})`,
          migration.id,
          migration.checksum,
          new Date().toISOString(),
        );
        result.applied.push(migration.id);
      }
      return result;
    };
    // DDL on a busy database can wait for locks: far longer than Prisma's 5-second default.
    return await target.$transaction(run, { maxWait: 60_000, timeout: 300_000 });
  } catch (error) {
    // Our own refusals (a changed checksum) pass through; driver errors are translated like the repository's.
    if (error instanceof Error && error.message.startsWith('applyMigrations:')) throw error;
    throw translateStoreError('applyMigrations', error);
  }
}
