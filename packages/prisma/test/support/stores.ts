// Fresh stores for one test: a real SQLite file in a temp folder, or a fresh schema on the test PostgreSQL server,
// each with the shipped migrations applied and a repository over a PrismaClient generated from a merged schema.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ContractStore } from '@totp/core/testing';
import type { TotpRepository } from '@totp/core';
import { inject } from 'vitest';
import { PrismaClient as PostgresClient } from '../../generated/postgresql/client/client.ts';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client/client.ts';
import { PrismaClient as RenamedPostgresClient } from '../../generated/postgresql-renamed/client/client.ts';
import { PrismaClient as RenamedSqliteClient } from '../../generated/sqlite-renamed/client/client.ts';
import { renameColumn, renameSql, renameTable } from '../../scripts/renamed-schema.mjs';
import { MIGRATIONS } from '../../src/migrations';
import { preparedStatementNames } from '../../src/prepared-statements';
import { applyMigrations } from '../../src/migrations';
import { TOTP_MODELS, defaultColumn, defaultTable, type TotpModel, type TotpTableNames } from '../../src/names';
import { createPrismaRepository, type PrismaRepositoryOptions } from '../../src/prisma-repository';
import { instrumentAdapter, type StatementCounter, type StatementHooks } from './instrumented-adapter';

export const TABLES = [
  'totp_organizations',
  'totp_members',
  'totp_registrations',
  'totp_recovery_codes',
  'totp_intermediate_sessions',
  'totp_member_sessions',
] as const;

/** Where a store's tables are, for another process to open them: a SQLite file's URL, or a server's and a schema. */
export interface StoreLocation {
  provider: 'sqlite' | 'postgresql';
  url: string;
  schema?: string;
}

export interface TestStore extends ContractStore {
  repository: TotpRepository;
  location: StoreLocation;
  prisma: SqliteClient | PostgresClient | RenamedSqliteClient | RenamedPostgresClient;
  counter: StatementCounter;
  /** Every row of every table, as the database holds it (BIGINTs as strings, so it serializes). */
  dump(): Promise<Record<string, Array<Record<string, unknown>>>>;
  /** A table's name as raw SQL must write it (schema-qualified on PostgreSQL; renamed for a renamed store). */
  qualify(table: string): string;
  /** Rows of one table, straight from the database. */
  rows(table: (typeof TABLES)[number], where?: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface StoreOptions {
  hooks?: StatementHooks;
  /** Options for createPrismaRepository besides what the store sets (provider, schema). */
  repository?: Partial<PrismaRepositoryOptions>;
  /** PostgreSQL: the pool size (pg's default is 10). */
  poolMax?: number;
  /** PostgreSQL: name statements with preparedStatementNames(), so each is prepared once per connection. */
  preparedStatements?: boolean;
}

const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

function storeOver(
  location: StoreLocation,
  prisma: TestStore['prisma'],
  counter: StatementCounter,
  qualify: (table: string) => string,
  repositoryOptions: PrismaRepositoryOptions,
  cleanup: () => Promise<void>,
): TestStore {
  const rows = async (table: string, where?: string) => {
    const result = await (prisma as SqliteClient).$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT * FROM ${qualify(table)}${where ? ` WHERE ${where}` : ''}`,
    );
    return result.map(plain);
  };
  return {
    location,
    prisma,
    counter,
    qualify,
    repository: createPrismaRepository(prisma as SqliteClient, repositoryOptions),
    rows,
    dump: async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await rows(t)] as const))),
    close: async () => {
      await prisma.$disconnect();
      await cleanup();
    },
  };
}

/** A SQLite store on a fresh file, or on the file of `url` (another store's: a second connection, as another process has). */
export async function createSqliteStore(options: StoreOptions & { url?: string } = {}): Promise<TestStore> {
  const dir = options.url === undefined ? mkdtempSync(join(tmpdir(), 'totp-sqlite-')) : undefined;
  const url = options.url ?? `file:${join(dir!, 'totp.db')}`;
  const { factory, counter } = instrumentAdapter(new PrismaBetterSqlite3({ url }), options.hooks);
  const prisma = new SqliteClient({ adapter: factory });
  await applyMigrations(prisma, { provider: 'sqlite' });
  counter.reset();
  const repository: PrismaRepositoryOptions = { provider: 'sqlite', ...options.repository };
  return storeOver(
    { provider: 'sqlite', url },
    prisma,
    counter,
    (t) => `"${t}"`,
    repository,
    async () => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  );
}

/** The URL of the test PostgreSQL server; throws (failing the test, never skipping it) when there is none. */
export function postgresUrl(): string {
  const { url, error } = inject('postgres');
  if (url === null) throw new Error(error ?? 'no PostgreSQL server for the tests');
  return url;
}

/**
 * The PgBouncer in front of the test server: its URL, or why its tests skip (no PgBouncer installed here). In CI
 * (CI=true) .ci/run starts one, and without it the tests run and fail instead, saying why.
 */
export function pgbouncer(): { url: () => string; skip: string | null } {
  const { url, error } = inject('pgbouncer');
  const skip = url === null && !process.env.CI ? `skipped, no PgBouncer: ${error ?? 'none'}` : null;
  return {
    skip,
    url: () => {
      if (url === null) throw new Error(`no PgBouncer for the tests (TOTP_TEST_PGBOUNCER_URL, or pgbouncer installed): ${error}`);
      return url;
    },
  };
}

let schemas = 0;
export const freshSchemaName = () => `totp_test_${process.pid}_${++schemas}_${Math.random().toString(36).slice(2, 8)}`;

export async function createPostgresStore(
  options: StoreOptions & { url?: string; schema?: string; pool?: pg.Pool } = {},
): Promise<TestStore> {
  const url = options.url ?? postgresUrl();
  const schema = options.schema ?? freshSchemaName();
  const { factory, counter } = instrumentAdapter(
    new PrismaPg(options.pool ?? { connectionString: url, max: options.poolMax ?? 10 }, {
      schema,
      ...(options.preparedStatements === true ? { statementNameGenerator: preparedStatementNames() } : {}),
    }),
    options.hooks,
  );
  const prisma = new PostgresClient({ adapter: factory });
  await applyMigrations(prisma, { provider: 'postgresql', schema });
  counter.reset();
  const repository: PrismaRepositoryOptions = { provider: 'postgresql', schema, ...options.repository };
  return storeOver(
    { provider: 'postgresql', url, schema },
    prisma,
    counter,
    (t) => `"${schema}"."${t}"`,
    repository,
    async () => {
      if (options.schema !== undefined) return; // the caller owns it
      const admin = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) });
      try {
        await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.$disconnect();
      }
    },
  );
}

// ── A host that renamed every table and column (scripts/renamed-schema.mjs) ──────────────────────────────────

const MODELS = readFileSync(new URL('../../prisma/totp.prisma', import.meta.url), 'utf8');
/** The shipped migrations, renamed the way the renamed clients' schema is. */
const renamedMigrations = (provider: 'sqlite' | 'postgresql') => MIGRATIONS[provider].map((m) => renameSql(m.sql, MODELS));
/** `rows('totp_members')` and friends keep the shipped names; the store reads the renamed tables. */
const renamedQualify = (qualify: (table: string) => string) => (table: string) =>
  (TABLES as readonly string[]).includes(table) ? qualify(renameTable(table)) : qualify(table);

/** What a host that renamed everything passes as `tableNames`, for the raw statements. */
export const RENAMED_TABLE_NAMES = Object.fromEntries(
  Object.entries(TOTP_MODELS).map(([model, fields]) => [
    model,
    {
      table: renameTable(defaultTable(model as TotpModel)),
      columns: Object.fromEntries(fields.map((f) => [f, defaultColumn(f) === f ? f : renameColumn(defaultColumn(f))])),
    },
  ]),
) as TotpTableNames;

/** A SQLite store over the renamed client, its tables created by the renamed migrations. */
export async function createRenamedSqliteStore(options: StoreOptions = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'totp-sqlite-renamed-'));
  const file = join(dir, 'totp.db');
  const db = new Database(file);
  try {
    for (const sql of renamedMigrations('sqlite')) db.exec(sql);
  } finally {
    db.close();
  }
  const { factory, counter } = instrumentAdapter(new PrismaBetterSqlite3({ url: `file:${file}` }), options.hooks);
  const prisma = new RenamedSqliteClient({ adapter: factory });
  const repository: PrismaRepositoryOptions = { provider: 'sqlite', tableNames: RENAMED_TABLE_NAMES, ...options.repository };
  return storeOver(
    { provider: 'sqlite', url: `file:${file}` },
    prisma,
    counter,
    renamedQualify((t) => `"${t}"`),
    repository,
    async () => rmSync(dir, { recursive: true, force: true }),
  );
}

/** A PostgreSQL store over the renamed client, in a fresh schema, its tables created by the renamed migrations. */
export async function createRenamedPostgresStore(options: StoreOptions = {}): Promise<TestStore> {
  const url = postgresUrl();
  const schema = freshSchemaName();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
    for (const sql of renamedMigrations('postgresql')) await client.query(sql);
  } finally {
    await client.end();
  }
  const { factory, counter } = instrumentAdapter(
    new PrismaPg({ connectionString: url, max: options.poolMax ?? 10 }, { schema }),
    options.hooks,
  );
  const prisma = new RenamedPostgresClient({ adapter: factory });
  const repository: PrismaRepositoryOptions = { provider: 'postgresql', schema, tableNames: RENAMED_TABLE_NAMES, ...options.repository };
  return storeOver(
    { provider: 'postgresql', url, schema },
    prisma,
    counter,
    renamedQualify((t) => `"${schema}"."${t}"`),
    repository,
    async () => {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  );
}

/**
 * A PostgreSQL store and two plain connections to its database beside it: `other`, to hold row locks in a transaction
 * of its own, and one that watches a statement of the store wait for them: `untilWaiting(table, what)` resolves once
 * a statement that names the store's `table` (schema-qualified, so never another test file's) waits for a row lock,
 * and throws after about 4 s. `close` ends all three.
 */
export async function postgresStoreWithLockClients(): Promise<{
  store: TestStore;
  other: pg.Client;
  untilWaiting(table: string, what: string): Promise<void>;
  close(): Promise<void>;
}> {
  const store = await createPostgresStore();
  const other = new pg.Client({ connectionString: postgresUrl() });
  const watcher = new pg.Client({ connectionString: postgresUrl() });
  await Promise.all([other.connect(), watcher.connect()]);
  return {
    store,
    other,
    async untilWaiting(table, what) {
      const needle = store.qualify(table);
      for (let i = 0; i < 400; i++) {
        const { rows } = await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0 AND pid <> pg_backend_pid()",
          [needle],
        );
        if ((rows[0] as { n: number }).n > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`${what} never waited for a row lock`);
    },
    async close() {
      await Promise.all([other.end(), watcher.end()]);
      await store.close();
    },
  };
}
