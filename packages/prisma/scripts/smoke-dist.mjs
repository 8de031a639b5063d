// After `build`: the package as published, from dist, in ESM and in CJS, applies its migrations to a real SQLite
// database through a PrismaClient (the SQL travels inside dist, not as files read at run time). Part of `check:package`;
// run with tsx, for the test client generated as TypeScript.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/sqlite/client/client.ts';

const require = createRequire(import.meta.url);
const esm = await import('@totp/prisma');
const cjs = require('@totp/prisma');

for (const [format, pkg] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  assert.equal(typeof pkg.createPrismaRepository, 'function', `${format}: createPrismaRepository`);
  assert.match(pkg.MIGRATIONS.postgresql[0].sql, /CREATE TABLE "totp_members"/, `${format}: PostgreSQL SQL embedded`);
  const db = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: ':memory:' }) });
  const result = await pkg.applyMigrations(db, { provider: 'sqlite' });
  const shipped = pkg.MIGRATIONS.sqlite.map((m) => m.id);
  assert.ok(shipped.length >= 2 && shipped[0] === '0001_init', `${format}: every migration embedded`);
  assert.deepEqual(result, { applied: shipped, alreadyApplied: [] }, `${format}: applyMigrations`);
  const [{ n }] = await db.$queryRawUnsafe("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'totp_%' AND type = 'table'");
  assert.equal(Number(n), 7);
  await db.$disconnect();
}
console.log('@totp/prisma dist: ESM and CJS apply their migrations');
