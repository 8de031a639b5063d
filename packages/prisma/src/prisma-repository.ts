// createPrismaRepository: the @totp/core repository port (packages/core domain/repository.ts) over a host's PrismaClient,
// on SQLite or PostgreSQL, safe across processes. One file per group of methods; docs/prisma.md says how each holds.

import type { TotpRepository } from '@totp/core';
import type { PrismaProvider, TotpPrismaClient, TotpPrismaDelegates } from './client-shape';
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
   * PostgreSQL: the schema of the tables, for the raw statements; give the same as `new PrismaPg(config, { schema })`.
   * Default: none named, so the connection's `search_path` (normally `public`) decides, as for `applyMigrations`.
   */
  schema?: string;
  /** The table and column names your @@map/@map give the models, where they differ from prisma/totp.prisma (raw SQL). */
  tableNames?: TotpTableNames;
}

/** Each model's delegate on the client: `totpMember` for TotpMember. */
const DELEGATES = Object.keys(TOTP_MODELS).map((model) => `t${model.slice(1)}` as keyof TotpPrismaDelegates);

function checkOptions({ provider, schema, tableNames }: Partial<PrismaRepositoryOptions> = {}): PrismaProvider {
  if (provider !== 'sqlite' && provider !== 'postgresql')
    throw new RangeError('createPrismaRepository: `provider` must be "sqlite" or "postgresql"');
  if (schema !== undefined && (provider !== 'postgresql' || typeof schema !== 'string' || schema === ''))
    throw new RangeError('createPrismaRepository: `schema` is for PostgreSQL, and must be a non-empty string');
  const badName = (name: unknown) => name !== undefined && (typeof name !== 'string' || name === '' || name.includes('\u0000'));
  for (const [model, renamed] of Object.entries(tableNames ?? {})) {
    if (!(model in TOTP_MODELS) || [renamed?.table, ...Object.values(renamed?.columns ?? {})].some(badName)) {
      throw new RangeError(`createPrismaRepository: \`tableNames.${model}\` must name a model of prisma/totp.prisma, with non-empty names`);
    }
  }
  return provider;
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
  const store = createStore(prisma, checkOptions(options), sqlNames(options.schema, options.tableNames));
  const methods: TotpRepository = {
    ...organizationMethods(store),
    ...memberMethods(store),
    ...mfaAttemptMethods(store),
    ...registrationMethods(store),
    ...sessionMethods(store),
  };
  // Every call goes through `run`: queued on SQLite, its errors translated and named after the method.
  const run = ([name, method]: [string, (...args: unknown[]) => Promise<unknown>]) => [
    name,
    (...args: unknown[]) => store.run(name, () => method(...args)),
  ];
  return Object.fromEntries(Object.entries(methods).map(run)) as unknown as TotpRepository;
}
