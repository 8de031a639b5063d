// Generates the Prisma clients the reference server uses, from @totp/prisma's models (prisma/totp.prisma): one for
// SQLite and one for PostgreSQL. `pnpm start` runs it first; it does nothing when the models have not changed.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prismaPackage = dirname(require.resolve('@totp/prisma/package.json'));
const models = readFileSync(join(prismaPackage, 'prisma', 'totp.prisma'), 'utf8');
// How to run `prisma generate` offline lives in one place, beside the models (a workspace package: its scripts are here).
const { clientSchema, generatePrismaClient } = await import(pathToFileURL(join(prismaPackage, 'scripts', 'prisma-client.mjs')).href);
const prismaVersion = JSON.parse(readFileSync(require.resolve('prisma/package.json'), 'utf8')).version;

for (const provider of ['sqlite', 'postgresql']) {
  const dir = join(root, 'generated', provider);
  const schema = clientSchema(provider, models, "scripts/generate-client.mjs from @totp/prisma's prisma/totp.prisma");
  const stamp = createHash('sha256').update(`${prismaVersion}\n${schema}`).digest('hex');
  const stampFile = join(dir, 'stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(join(dir, 'client', 'client.ts'))) continue;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'schema.prisma'), schema);
  generatePrismaClient(join(dir, 'schema.prisma'), root);
  writeFileSync(stampFile, stamp);
}
