// createPrismaRepository: the @totp/core repository port (packages/core domain/repository.ts) over a host's PrismaClient,
// on SQLite or PostgreSQL, safe across processes. One file per group of methods; docs/prisma.md says how each holds.

import type { TotpRepository } from '@totp/core';
import type { PrismaProvider, TotpPrismaClient, TotpTransactionOptions } from './client-shape';
import { memberMethods } from './members';
import { mfaAttemptMethods } from './mfa-attempts';
import { TOTP_MODELS, sqlNames, type TotpTableNames } from './names';
import { organizationMethods } from './organizations';
import { registrationMethods } from './registrations';
import { sessionMethods } from './sessions';
import { createStore } from './transactions';

export interface PrismaRepositoryOptions {
  /** The database behind the client. On SQLite the repository runs its calls one at a time per client (docs/prisma.md). */
  provider: PrismaProvider;
  /**
   * PostgreSQL: the schema of the tables, for the two raw statements; give the same as `new PrismaPg(config, { schema })`.
   * Default: none named, so the connection's `search_path` (normally `public`) decides, as for `applyMigrations`.
   */
  schema?: string;
  /** PostgreSQL: the table and column names your @@map/@map give the models, where they differ from prisma/totp.prisma. */
  tableNames?: TotpTableNames;
  /** For the repository's interactive transactions. Defaults: `maxWait` 10 000 ms, `timeout` 30 000 ms, the database's isolation level. */
  transaction?: TotpTransactionOptions;
}

const DEFAULT_TRANSACTION_OPTIONS: TotpTransactionOptions = { maxWait: 10_000, timeout: 30_000 };
const DELEGATES = [
  'totpOrganization',
  'totpMember',
  'totpRegistration',
  'totpRecoveryCode',
  'totpIntermediateSession',
  'totpMemberSession',
] as const;

function checkOptions({ provider, schema, tableNames }: Partial<PrismaRepositoryOptions> = {}): void {
  if (provider !== 'sqlite' && provider !== 'postgresql')
    throw new RangeError('createPrismaRepository: `provider` must be "sqlite" or "postgresql"');
  if (provider === 'sqlite' && (schema ?? tableNames) !== undefined) {
    throw new RangeError(
      'createPrismaRepository: `schema` and `tableNames` are for PostgreSQL (on SQLite every query goes through the client)',
    );
  }
  if (schema !== undefined && (typeof schema !== 'string' || schema === ''))
    throw new RangeError('createPrismaRepository: `schema` must be a non-empty string');
  const badName = (name: unknown) => name !== undefined && (typeof name !== 'string' || name === '' || name.includes('\u0000'));
  for (const [model, renamed] of Object.entries(tableNames ?? {})) {
    if (!(model in TOTP_MODELS) || [renamed?.table, ...Object.values(renamed?.columns ?? {})].some(badName)) {
      throw new RangeError(`createPrismaRepository: \`tableNames.${model}\` must name a model of prisma/totp.prisma, with non-empty names`);
    }
  }
}

/**
 * The repository port over `prisma`, a PrismaClient generated from a schema that contains the models of
 * `prisma/totp.prisma` (the tables created by `applyMigrations` or your own migrations).
 */
export function createPrismaRepository(prisma: TotpPrismaClient, options: PrismaRepositoryOptions): TotpRepository {
  if (typeof prisma !== 'object' || prisma === null || typeof prisma.$transaction !== 'function') {
    throw new TypeError('createPrismaRepository(prisma): prisma must be a PrismaClient');
  }
  const missing = DELEGATES.find((delegate) => typeof prisma[delegate] !== 'object' || prisma[delegate] === null);
  if (missing !== undefined) {
    throw new TypeError(
      `createPrismaRepository(prisma): the client has no \`${missing}\` model; merge prisma/totp.prisma into your schema and regenerate the client`,
    );
  }
  checkOptions(options);
  const store = createStore(prisma, options.provider, sqlNames(options.schema, options.tableNames), {
    ...DEFAULT_TRANSACTION_OPTIONS,
    ...options.transaction,
  });
  const methods: TotpRepository = {
    ...organizationMethods(store),
    ...memberMethods(store),
    ...mfaAttemptMethods(store),
    ...registrationMethods(store),
    ...sessionMethods(store),
  };
  // Every call goes through `run`: queued on SQLite, its errors translated and named after the method.
  const run =
    (name: string, method: (...args: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]) =>
      store.run(name, () => method(...args));
  return Object.fromEntries(Object.entries(methods).map(([name, method]) => [name, run(name, method)])) as unknown as TotpRepository;
}
