// applyMigrations through a PrismaClient on both databases: once, idempotent, racing processes, refused checksums and a
// failure halfway rolled back; and the embedded SQL matches the shipped .sql files.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PrismaClient as PostgresClient } from '../generated/postgresql/client/client.ts';
import { PrismaClient as SqliteClient } from '../generated/sqlite/client/client.ts';
import { renderMigrationModule } from '../scripts/embed-migrations.mjs';
import { PACKAGE_ROOT } from '../test/support/paths';
import { createPostgresStore, createSqliteStore, freshSchemaName, postgresUrl } from '../test/support/stores';
import { MIGRATIONS, applyMigrations, splitStatements } from './migrations';

/** Every migration the package ships, in order. */
const ALL_MIGRATIONS = ['0001_init', '0002_purge_indexes'];

describe('the shipped migrations', () => {
  it('are embedded exactly as the .sql files say (run scripts/embed-migrations.mjs after editing one)', () => {
    const embedded = readFileSync(join(PACKAGE_ROOT, 'src/internal/migration-sql.ts'), 'utf8');
    expect(embedded).toBe(renderMigrationModule());
    for (const provider of ['sqlite', 'postgresql'] as const) {
      for (const m of MIGRATIONS[provider]) {
        expect(m.sql).toBe(readFileSync(join(PACKAGE_ROOT, 'migrations', provider, `${m.id}.sql`), 'utf8'));
        expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
      }
    }
  });

  it('split into statements at line-ending semicolons, without comments', () => {
    expect(splitStatements('-- a\nCREATE TABLE "a" (x TEXT);\n\n-- b\nCREATE INDEX "i" ON "a"(x);\n')).toEqual([
      'CREATE TABLE "a" (x TEXT)',
      'CREATE INDEX "i" ON "a"(x)',
    ]);
    expect(splitStatements(MIGRATIONS.postgresql[0]!.sql).length).toBeGreaterThan(10);
  });
});

/** A PrismaClient over a SQLite file of its own (every one of them one connection). */
const sqliteClient = (file: string) => new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
/** A PrismaClient of its own on the test server, with one connection. */
const postgresClient = () => new PostgresClient({ adapter: new PrismaPg({ connectionString: postgresUrl(), max: 1 }) });

describe('applyMigrations on SQLite', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tempFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'totp-migrate-'));
    dirs.push(dir);
    return join(dir, 'db.sqlite');
  };

  it('applies once through a PrismaClient and is a no-op the second time', async () => {
    const store = await createSqliteStore(); // applied once already
    try {
      expect(await applyMigrations(store.prisma, { provider: 'sqlite' })).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
      const recorded = await store.prisma.$queryRawUnsafe<Array<{ id: string }>>('SELECT "id" FROM "totp_migrations"');
      expect(recorded.map((r) => r.id)).toEqual(ALL_MIGRATIONS);
    } finally {
      await store.close();
    }
  });

  it('applies through one client; a second client (another connection) to the file finds it applied', async () => {
    const file = tempFile();
    const [a, b] = [sqliteClient(file), sqliteClient(file)];
    try {
      expect(await applyMigrations(a, { provider: 'sqlite' })).toEqual({ applied: ALL_MIGRATIONS, alreadyApplied: [] });
      expect(await applyMigrations(b, { provider: 'sqlite' })).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
      const tables = await a.$queryRawUnsafe<unknown[]>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'totp_%'");
      expect(tables).toHaveLength(7);
    } finally {
      await Promise.all([a.$disconnect(), b.$disconnect()]);
    }
  });

  it('refuses a database where an applied migration has another checksum', async () => {
    const prisma = sqliteClient(tempFile());
    try {
      await applyMigrations(prisma, { provider: 'sqlite' });
      await prisma.$executeRawUnsafe('UPDATE "totp_migrations" SET "checksum" = ?', '0'.repeat(64));
      await expect(applyMigrations(prisma, { provider: 'sqlite' })).rejects.toThrow(/0001_init was applied with a different checksum/);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('names the mistake when called wrongly', async () => {
    const prisma = sqliteClient(':memory:');
    await expect(applyMigrations({} as never, { provider: 'sqlite' })).rejects.toThrow(/must be a PrismaClient/);
    await expect(applyMigrations(prisma, { provider: 'mysql' as never })).rejects.toThrow(RangeError);
    await expect(applyMigrations(prisma, { provider: 'sqlite', schema: 'x' })).rejects.toThrow(/PostgreSQL/);
    await prisma.$disconnect();
  });
});

describe('applyMigrations on PostgreSQL', () => {
  it('applies once, and 8 runs racing on separate connections apply it exactly once between them', async () => {
    const schema = freshSchemaName();
    const clients = Array.from({ length: 8 }, postgresClient);
    try {
      const results = await Promise.all(clients.map((prisma) => applyMigrations(prisma, { provider: 'postgresql', schema })));
      expect(results.flatMap((r) => r.applied)).toEqual(ALL_MIGRATIONS);
      expect(results.filter((r) => r.alreadyApplied.length === ALL_MIGRATIONS.length)).toHaveLength(7);
      const [{ n }] = await clients[0]!.$queryRawUnsafe<[{ n: number }]>(
        'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
        schema,
      );
      expect(n).toBe(7);
    } finally {
      await clients[0]!.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(clients.map((c) => c.$disconnect()));
    }
  });

  it('is a no-op the second time through the PrismaClient', async () => {
    const schema = freshSchemaName();
    const store = await createPostgresStore({ schema });
    try {
      expect(await applyMigrations(store.prisma, { provider: 'postgresql', schema })).toEqual({
        applied: [],
        alreadyApplied: ALL_MIGRATIONS,
      });
    } finally {
      await store.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await store.close();
    }
  });

  it('rolls back everything when a statement fails: no table, no record', async () => {
    const schema = freshSchemaName();
    const prisma = postgresClient();
    try {
      // A table in the way makes the migration fail halfway.
      await prisma.$executeRawUnsafe(`CREATE SCHEMA "${schema}"`);
      await prisma.$executeRawUnsafe(`CREATE TABLE "${schema}"."totp_registrations" (x int)`);
      await expect(applyMigrations(prisma, { provider: 'postgresql', schema })).rejects.toThrow(/applyMigrations failed/);
      const rows = await prisma.$queryRawUnsafe<Array<{ table_name: string }>>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        schema,
      );
      expect(rows.map((r) => r.table_name)).toEqual(['totp_registrations']);
    } finally {
      await prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await prisma.$disconnect();
    }
  });
});
