import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
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
      const { applyMigrations: apply } = await import('./migrations');
      expect(await apply(store.prisma, { provider: 'sqlite' })).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
      const recorded = await store.prisma.$queryRawUnsafe<Array<{ id: string }>>('SELECT "id" FROM "totp_migrations"');
      expect(recorded.map((r) => r.id)).toEqual(ALL_MIGRATIONS);
    } finally {
      await store.close();
    }
  });

  // Two connections in one thread cannot race (better-sqlite3 blocks the thread while it waits for a lock): the
  // second one must see what the first recorded. BEGIN IMMEDIATE is what makes processes that do race take turns.
  it('applies through a better-sqlite3 Database; a second connection to the file finds it applied', async () => {
    const file = tempFile();
    const a = new Database(file);
    const b = new Database(file);
    try {
      expect(await applyMigrations(a, { provider: 'sqlite' })).toEqual({ applied: ALL_MIGRATIONS, alreadyApplied: [] });
      expect(await applyMigrations(b, { provider: 'sqlite' })).toEqual({ applied: [], alreadyApplied: ALL_MIGRATIONS });
      const tables = a.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'totp_%' ORDER BY name").all();
      expect(tables).toHaveLength(7);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a database where an applied migration has another checksum', async () => {
    const db = new Database(tempFile());
    try {
      await applyMigrations(db, { provider: 'sqlite' });
      db.prepare('UPDATE "totp_migrations" SET "checksum" = ?').run('0'.repeat(64));
      await expect(applyMigrations(db, { provider: 'sqlite' })).rejects.toThrow(/0001_init was applied with a different checksum/);
    } finally {
      db.close();
    }
  });

  it('names the mistake when called wrongly', async () => {
    await expect(applyMigrations({} as never, { provider: 'sqlite' })).rejects.toThrow(TypeError);
    await expect(applyMigrations(new Database(':memory:'), { provider: 'mysql' as never })).rejects.toThrow(RangeError);
    await expect(applyMigrations(new Database(':memory:'), { provider: 'sqlite', schema: 'x' })).rejects.toThrow(/PostgreSQL/);
  });
});

describe('applyMigrations on PostgreSQL', () => {
  it('applies once, and 8 runs racing on separate connections apply it exactly once between them', async () => {
    const schema = freshSchemaName();
    const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: postgresUrl(), max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => applyMigrations(pool, { provider: 'postgresql', schema })));
      expect(results.flatMap((r) => r.applied)).toEqual(ALL_MIGRATIONS);
      expect(results.filter((r) => r.alreadyApplied.length === ALL_MIGRATIONS.length)).toHaveLength(7);
      const { rows } = await pools[0]!.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(rows[0].n).toBe(7);
    } finally {
      await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((p) => p.end()));
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
    const client = new pg.Client({ connectionString: postgresUrl() });
    await client.connect();
    try {
      // A table in the way makes the migration fail halfway.
      await client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}"."totp_registrations" (x int)`);
      await expect(applyMigrations(client, { provider: 'postgresql', schema })).rejects.toThrow(/applyMigrations failed/);
      const { rows } = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(rows.map((r) => r.table_name)).toEqual(['totp_registrations']);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
