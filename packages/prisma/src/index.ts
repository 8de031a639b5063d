// @totp/prisma: the @totp/core repository port over a host app's PrismaClient, on PostgreSQL and SQLite.
// Ships the Prisma models (prisma/totp.prisma), SQL migrations for both databases and the function that applies them.

export { createPrismaRepository, type PrismaRepositoryOptions } from './prisma-repository';
export { TOTP_MODELS, type TotpField, type TotpModel, type TotpTableNames } from './names';
export {
  MIGRATIONS,
  applyMigrations,
  type ApplyMigrationsOptions,
  type AppliedMigrations,
  type Migration,
  type MigrationTarget,
} from './migrations';
export { preparedStatementNames, type PreparedStatementNamesOptions } from './prepared-statements';
export type { PrismaProvider, TotpPrismaClient } from './client-shape';
