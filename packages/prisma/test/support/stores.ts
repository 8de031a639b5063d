// Fresh stores for one test: a real SQLite file in a temp folder, or a fresh schema on the test PostgreSQL server,
// each with the shipped migrations applied and a repository over a PrismaClient generated from a merged schema.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import type { ContractStore } from '@totp/core/testing';
import type { TotpRepository } from '@totp/core';
import { inject } from 'vitest';
import { PrismaClient as PostgresClient } from '../../generated/postgresql/client/client.ts';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client/client.ts';
import { applyMigrations } from '../../src/migrations';
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

export interface TestStore extends ContractStore {
  repository: TotpRepository;
  prisma: SqliteClient | PostgresClient;
  counter: StatementCounter;
  /** Every row of every table, as the database holds it (BIGINTs as strings, so it serializes). */
  dump(): Promise<Record<string, Array<Record<string, unknown>>>>;
  /** A table's name as raw SQL must write it (schema-qualified on PostgreSQL). */
  qualify(table: string): string;
  /** Rows of one table, straight from the database. */
  rows(table: (typeof TABLES)[number], where?: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export interface StoreOptions {
  hooks?: StatementHooks;
  repository?: PrismaRepositoryOptions;
  /** PostgreSQL: the pool size (pg's default is 10). */
  poolMax?: number;
}

const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));

function storeOver(
  prisma: SqliteClient | PostgresClient,
  counter: StatementCounter,
  qualify: (table: string) => string,
  options: StoreOptions,
  cleanup: () => Promise<void>,
): TestStore {
  const rows = async (table: string, where?: string) => {
    const result = await prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT * FROM ${qualify(table)}${where ? ` WHERE ${where}` : ''}`,
    );
    return result.map(plain);
  };
  return {
    prisma,
    counter,
    qualify,
    repository: createPrismaRepository(prisma, options.repository),
    rows,
    dump: async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await rows(t)] as const))),
    close: async () => {
      await prisma.$disconnect();
      await cleanup();
    },
  };
}

export async function createSqliteStore(options: StoreOptions = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'totp-sqlite-'));
  const { factory, counter } = instrumentAdapter(new PrismaBetterSqlite3({ url: `file:${join(dir, 'totp.db')}` }), options.hooks);
  const prisma = new SqliteClient({ adapter: factory });
  await applyMigrations(prisma, { provider: 'sqlite' });
  counter.reset();
  return storeOver(prisma, counter, (t) => `"${t}"`, options, async () => rmSync(dir, { recursive: true, force: true }));
}

/** The URL of the test PostgreSQL server; throws (failing the test, never skipping it) when there is none. */
export function postgresUrl(): string {
  const { url, error } = inject('postgres');
  if (url === null) throw new Error(error ?? 'no PostgreSQL server for the tests');
  return url;
}

let schemas = 0;
export const freshSchemaName = () => `totp_test_${process.pid}_${++schemas}_${Math.random().toString(36).slice(2, 8)}`;

export async function createPostgresStore(
  options: StoreOptions & { url?: string; schema?: string; pool?: pg.Pool } = {},
): Promise<TestStore> {
  const url = options.url ?? postgresUrl();
  const schema = options.schema ?? freshSchemaName();
  const { factory, counter } = instrumentAdapter(
    new PrismaPg(options.pool ?? { connectionString: url, max: options.poolMax ?? 10 }, { schema }),
    options.hooks,
  );
  const prisma = new PostgresClient({ adapter: factory });
  await applyMigrations(prisma, { provider: 'postgresql', schema });
  counter.reset();
  return storeOver(prisma, counter, (t) => `"${schema}"."${t}"`, options, async () => {
    if (options.schema !== undefined) return; // the caller owns it
    const admin = new PostgresClient({ adapter: new PrismaPg({ connectionString: url, max: 1 }) });
    try {
      await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.$disconnect();
    }
  });
}
