// Where the models of prisma/totp.prisma live in the host's database: table and column names (hosts may rename them
// with @@map/@map) and, on PostgreSQL, the schema. Read from the client's runtime data model, the same source Prisma's
// own queries are built from, so raw SQL names exactly what the delegates name.

import type { PrismaProvider } from '../prisma-repository';

/** How a column's value is turned back into what the row types of client-shape.ts hold. */
export type FieldKind = 'string' | 'int' | 'bigint' | 'boolean' | 'datetime' | 'json';

/** The models raw SQL touches, each field with its shipped column name and kind (prisma/totp.prisma). */
export const RAW_MODELS = {
  TotpOrganization: {
    table: 'totp_organizations',
    fields: {
      organizationId: ['organization_id', 'string'],
      organizationName: ['organization_name', 'string'],
      organizationSlug: ['organization_slug', 'string'],
      organizationExternalId: ['organization_external_id', 'string'],
      mfaPolicy: ['mfa_policy', 'string'],
      mfaMethods: ['mfa_methods', 'string'],
      allowedMfaMethods: ['allowed_mfa_methods', 'json'],
      createdAt: ['created_at', 'datetime'],
      updatedAt: ['updated_at', 'datetime'],
    },
  },
  TotpMember: {
    table: 'totp_members',
    fields: {
      memberId: ['member_id', 'string'],
      organizationId: ['organization_id', 'string'],
      emailAddress: ['email_address', 'string'],
      emailAddressLower: ['email_address_lower', 'string'],
      name: ['name', 'string'],
      status: ['status', 'string'],
      externalId: ['external_id', 'string'],
      mfaEnrolled: ['mfa_enrolled', 'boolean'],
      totpRegistrationId: ['totp_registration_id', 'string'],
      defaultMfaMethod: ['default_mfa_method', 'string'],
      failedMfaAttempts: ['failed_mfa_attempts', 'int'],
      lockCreatedAt: ['lock_created_at', 'datetime'],
      lockExpiresAt: ['lock_expires_at', 'datetime'],
      createdAt: ['created_at', 'datetime'],
      updatedAt: ['updated_at', 'datetime'],
    },
  },
  TotpRegistration: {
    table: 'totp_registrations',
    fields: {
      totpRegistrationId: ['totp_registration_id', 'string'],
      organizationId: ['organization_id', 'string'],
      memberId: ['member_id', 'string'],
      status: ['status', 'string'],
      secretKeyId: ['secret_key_id', 'string'],
      secretCiphertext: ['secret_ciphertext', 'string'],
      algorithm: ['algorithm', 'string'],
      digits: ['digits', 'int'],
      periodSeconds: ['period_seconds', 'int'],
      expiresAt: ['expires_at', 'datetime'],
      lastAcceptedStep: ['last_accepted_step', 'bigint'],
      createdAt: ['created_at', 'datetime'],
      activatedAt: ['activated_at', 'datetime'],
    },
  },
  TotpRecoveryCode: {
    table: 'totp_recovery_codes',
    fields: {
      totpRegistrationId: ['totp_registration_id', 'string'],
      keyId: ['key_id', 'string'],
      hash: ['hash', 'string'],
      position: ['position', 'int'],
    },
  },
  TotpIntermediateSession: {
    table: 'totp_intermediate_sessions',
    fields: {
      tokenHash: ['token_hash', 'string'],
      organizationId: ['organization_id', 'string'],
      memberId: ['member_id', 'string'],
      authenticationFactors: ['authentication_factors', 'json'],
      createdAt: ['created_at', 'datetime'],
      expiresAt: ['expires_at', 'datetime'],
    },
  },
  TotpMemberSession: {
    table: 'totp_member_sessions',
    fields: {
      memberSessionId: ['member_session_id', 'string'],
      tokenHash: ['token_hash', 'string'],
      organizationId: ['organization_id', 'string'],
      memberId: ['member_id', 'string'],
      startedAt: ['started_at', 'datetime'],
      lastAccessedAt: ['last_accessed_at', 'datetime'],
      expiresAt: ['expires_at', 'datetime'],
      authenticationFactors: ['authentication_factors', 'json'],
      customClaims: ['custom_claims', 'json'],
      revokedAt: ['revoked_at', 'datetime'],
    },
  },
} as const satisfies Record<string, { table: string; fields: Record<string, readonly [column: string, kind: FieldKind]> }>;

export type RawModel = keyof typeof RAW_MODELS;
export type FieldOf<M extends RawModel> = keyof (typeof RAW_MODELS)[M]['fields'] & string;

/** One model's place in the database. */
export interface ResolvedTable {
  /** The PostgreSQL schema the table is in; null on SQLite (and unqualified). */
  schema: string | null;
  table: string;
  /** Field name → column name, for every field of RAW_MODELS. */
  columns: Readonly<Record<string, string>>;
}

export interface ResolvedNames {
  /** `client`: read from the client's runtime data model; `default`: the shipped names (the client exposes none). */
  source: 'client' | 'default';
  tables: { readonly [M in RawModel]: ResolvedTable };
}

/** The part of Prisma's runtime data model (`PrismaClient#_runtimeDataModel`) read here. */
export interface RuntimeDataModel {
  models: Record<
    string,
    { dbName?: string | null; schema?: string | null; fields: ReadonlyArray<{ name: string; kind?: string; dbName?: string | null }> }
  >;
}

/** The client's runtime data model, if it exposes one (every generated Prisma 6/7 client does, extended ones too). */
export function runtimeDataModelOf(prisma: object): RuntimeDataModel | undefined {
  const model = (prisma as { _runtimeDataModel?: unknown })._runtimeDataModel;
  if (typeof model !== 'object' || model === null) return undefined;
  const models = (model as { models?: unknown }).models;
  if (typeof models !== 'object' || models === null) return undefined;
  return model as RuntimeDataModel;
}

/**
 * The schema Prisma's own queries use on PostgreSQL when a model names none: what the driver adapter was given
 * (`new PrismaPg(config, { schema })`, read from the client's adapter factory), else `public`, as Prisma does.
 */
export function adapterSchemaOf(prisma: object): string | undefined {
  const config = (prisma as { _engineConfig?: { adapter?: { options?: { schema?: unknown } } } })._engineConfig;
  const schema = config?.adapter?.options?.schema;
  return typeof schema === 'string' && schema !== '' ? schema : undefined;
}

/**
 * Table and column names for raw SQL. From `dataModel` when given (a host's @@map/@map, a model's @@schema), else the
 * names prisma/totp.prisma ships with. `defaultSchema` is the PostgreSQL schema of models that name none (null: SQLite).
 */
export function resolveNames(
  dataModel: RuntimeDataModel | undefined,
  defaultSchema: string | null,
): ResolvedNames {
  const tables = {} as Record<RawModel, ResolvedTable>;
  for (const [modelName, spec] of Object.entries(RAW_MODELS) as Array<[RawModel, (typeof RAW_MODELS)[RawModel]]>) {
    const fieldSpecs = Object.entries(spec.fields) as Array<[string, readonly [string, FieldKind]]>;
    if (dataModel === undefined) {
      tables[modelName] = {
        schema: defaultSchema,
        table: spec.table,
        columns: Object.fromEntries(fieldSpecs.map(([field, [column]]) => [field, column])),
      };
      continue;
    }
    const model = dataModel.models[modelName];
    if (model === undefined) {
      throw new TypeError(
        `createPrismaRepository(prisma): the client has no \`${modelName}\` model; merge prisma/totp.prisma into your schema and regenerate the client`,
      );
    }
    const columns: Record<string, string> = {};
    for (const [field] of fieldSpecs) {
      const found = model.fields.find((f) => f.name === field);
      if (found === undefined) {
        throw new TypeError(
          `createPrismaRepository(prisma): the \`${modelName}\` model has no \`${field}\` field; keep the model and field names of prisma/totp.prisma`,
        );
      }
      // Prisma leaves dbName out (or null) when a field has no @map: the column is named like the field.
      columns[field] = typeof found.dbName === 'string' && found.dbName !== '' ? found.dbName : field;
    }
    tables[modelName] = {
      schema: defaultSchema === null ? null : typeof model.schema === 'string' && model.schema !== '' ? model.schema : defaultSchema,
      table: typeof model.dbName === 'string' && model.dbName !== '' ? model.dbName : modelName,
      columns,
    };
  }
  return { source: dataModel === undefined ? 'default' : 'client', tables };
}

/** Names for a repository over `prisma` on `provider`: the client's data model, the adapter's schema. */
export function namesForClient(prisma: object, provider: PrismaProvider, schema?: string): ResolvedNames {
  const defaultSchema = provider === 'postgresql' ? (schema ?? adapterSchemaOf(prisma) ?? 'public') : null;
  return resolveNames(runtimeDataModelOf(prisma), defaultSchema);
}

/** An SQL identifier, double-quoted (PostgreSQL and SQLite alike), embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new TypeError('an SQL identifier cannot contain NUL');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table as raw SQL writes it: `"schema"."table"` on PostgreSQL, `"table"` on SQLite. */
export function qualifiedTable(table: ResolvedTable): string {
  return table.schema === null ? quoteIdentifier(table.table) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.table)}`;
}
