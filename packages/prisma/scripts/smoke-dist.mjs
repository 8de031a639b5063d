// After `build`: the package as published, from dist, in ESM and in CJS, applies its migrations to a real SQLite
// database (the SQL travels inside dist, not as files read at run time). Part of `check:package`.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const esm = await import('@totp/prisma');
const cjs = require('@totp/prisma');

for (const [format, pkg] of [
  ['esm', esm],
  ['cjs', cjs],
]) {
  assert.equal(typeof pkg.createPrismaRepository, 'function', `${format}: createPrismaRepository`);
  assert.match(pkg.MIGRATIONS.postgresql[0].sql, /CREATE TABLE "totp_members"/, `${format}: PostgreSQL SQL embedded`);
  const db = new Database(':memory:');
  const result = await pkg.applyMigrations(db, { provider: 'sqlite' });
  const shipped = pkg.MIGRATIONS.sqlite.map((m) => m.id);
  assert.ok(shipped.length >= 2 && shipped[0] === '0001_init', `${format}: every migration embedded`);
  assert.deepEqual(result, { applied: shipped, alreadyApplied: [] }, `${format}: applyMigrations`);
  assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'totp_%' AND type = 'table'").get().n, 7);
  db.close();
}
console.log('@totp/prisma dist: ESM and CJS apply their migrations');
