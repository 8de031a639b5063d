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
export { isStoreUnreachable, translateStoreError } from './store-errors';
export { preparedStatementNames, type NamedStatementQuery, type PreparedStatementNamesOptions } from './prepared-statements';
export type {
  BatchCount,
  PrismaProvider,
  TotpDelegate,
  TotpPrismaClient,
  TotpPrismaDelegates,
  TotpTransactionOptions,
} from './client-shape';
export type {
  TotpIntermediateSessionRow,
  TotpMemberRow,
  TotpMemberSessionRow,
  TotpOrganizationRow,
  TotpRecoveryCodeRow,
  TotpRegistrationRow,
} from './client-shape';
