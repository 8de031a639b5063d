// Generates the Prisma clients the tests and the bench use (SQLite and PostgreSQL) from prisma/totp.prisma, and the
// same two for a host that renamed our tables and columns (`*-renamed`, used by the raw SQL tests).
// Runs at `pnpm install` (the `prepare` script) and offline: see the PRISMA_SCHEMA_ENGINE_BINARY note below.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientSchema, generatePrismaClient } from './prisma-client.mjs';
import { renameSchema } from './renamed-schema.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const models = readFileSync(join(root, 'prisma', 'totp.prisma'), 'utf8');

// The test schemas are what a host's merged schema looks like: our models next to a model of the host's own, so the
// tests prove that the adapter accepts a client generated from a bigger schema.
const hostModel = `
/// Stands for the host app's own models in a merged schema.
model HostUser {
  id    String @id
  email String @unique
  @@map("host_users")
}
`;

// Also a host that renamed every table and column with @@map/@map (scripts/renamed-schema.mjs): `<provider>-renamed`.
for (const [provider, variant] of [
  ['sqlite', 'sqlite'],
  ['postgresql', 'postgresql'],
  ['sqlite', 'sqlite-renamed'],
  ['postgresql', 'postgresql-renamed'],
]) {
  const dir = join(root, 'generated', variant);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const body = `${hostModel}\n${variant.endsWith('-renamed') ? renameSchema(models) : models}`;
  writeFileSync(join(dir, 'schema.prisma'), clientSchema(provider, body, 'scripts/generate-clients.mjs from prisma/totp.prisma'));
  generatePrismaClient(join(dir, 'schema.prisma'), root);
}
