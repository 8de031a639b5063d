// The table and column names of prisma/totp.prisma, the one place raw SQL takes them from, and the statements' template.
// The query API follows the client's own @@map/@map; raw SQL cannot see them, so a host that renames passes `tableNames`.

import type { PrismaProvider } from './client-shape';

/**
 * Each model's fields, as raw SQL reads and writes them. As every @@map and @map of prisma/totp.prisma writes them, a
 * model's table is its name in snake_case, plural (`totp_members`), and a field's column its name in snake_case.
 */
export const TOTP_MODELS = {
  TotpOrganization: [
    'organizationId',
    'organizationName',
    'organizationSlug',
    'organizationExternalId',
    'mfaPolicy',
    'mfaMethods',
    'allowedMfaMethods',
    'createdAt',
    'updatedAt',
  ],
  TotpMember: [
    'memberId',
    'organizationId',
    'emailAddress',
    'emailAddressLower',
    'name',
    'status',
    'externalId',
    'mfaEnrolled',
    'totpRegistrationId',
    'defaultMfaMethod',
    'failedMfaAttempts',
    'lockCreatedAt',
    'lockExpiresAt',
    'createdAt',
    'updatedAt',
  ],
  TotpRegistration: [
    'totpRegistrationId',
    'organizationId',
    'memberId',
    'status',
    'secretKeyId',
    'secretCiphertext',
    'algorithm',
    'digits',
    'periodSeconds',
    'expiresAt',
    'lastAcceptedStep',
    'createdAt',
    'activatedAt',
  ],
  TotpRecoveryCode: ['totpRegistrationId', 'keyId', 'hash', 'position'],
  TotpIntermediateSession: ['tokenHash', 'organizationId', 'memberId', 'authenticationFactors', 'createdAt', 'expiresAt'],
  TotpMemberSession: [
    'memberSessionId',
    'tokenHash',
    'organizationId',
    'memberId',
    'startedAt',
    'lastAccessedAt',
    'expiresAt',
    'authenticationFactors',
    'customClaims',
    'revokedAt',
  ],
} as const;

export type TotpModel = keyof typeof TOTP_MODELS;
export type TotpField<M extends TotpModel> = (typeof TOTP_MODELS)[M][number];

/** Table and column names where the host's @@map/@map differ from prisma/totp.prisma; what is not named keeps its default. */
export type TotpTableNames = { [M in TotpModel]?: { table?: string; columns?: { [F in TotpField<M>]?: string } } };

/** An SQL identifier, double-quoted (embedded quotes doubled), so that any name the host chose is taken literally. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export const defaultColumn = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const defaultTable = (model: TotpModel): string => `${defaultColumn(model).slice(1)}s`;

/** Names as raw SQL writes them: quoted, tables qualified by the schema when one is given. */
export function sqlNames(schema: string | undefined, renames: TotpTableNames = {}) {
  const prefix = schema === undefined ? '' : `${quoteIdentifier(schema)}.`;
  return {
    table: (model: TotpModel) => prefix + quoteIdentifier(renames[model]?.table ?? defaultTable(model)),
    column: <M extends TotpModel>(model: M, field: TotpField<M>) => {
      const columns: Partial<Record<string, string>> = renames[model]?.columns ?? {};
      return quoteIdentifier(columns[field] ?? defaultColumn(field));
    },
  };
}
export type SqlNames = ReturnType<typeof sqlNames>;

export type Row = Record<string, unknown>;

const MODELS = {
  O: 'TotpOrganization',
  M: 'TotpMember',
  R: 'TotpRegistration',
  C: 'TotpRecoveryCode',
  I: 'TotpIntermediateSession',
  S: 'TotpMemberSession',
} as const;
const letterOf = (model: TotpModel) => Object.entries(MODELS).find(([, m]) => m === model)![0];

/** Every field of `model` as `"<part>.<field>"`, so that one result row carries several records; read back by `readAs`. */
export const selectAs = (model: TotpModel, part: string, alias = '') =>
  TOTP_MODELS[model].map((field) => `${alias}{${letterOf(model)}.${field}} AS "${part}.${field}"`).join(', ');

/** The record `selectAs` put under `part`, as the model's row; null when the part is NULLs (not found). */
export function readAs<T, R>(row: Row, model: TotpModel, part: string, toRecord: (row: T) => R): R | null {
  const fields = TOTP_MODELS[model];
  if (row[`${part}.${fields[0]}`] === null || row[`${part}.${fields[0]}`] === undefined) return null;
  return toRecord(Object.fromEntries(fields.map((field) => [field, row[`${part}.${field}`]])) as T);
}

/** A statement as the driver takes it, and which of a call's values go to its parameters, in order. */
export interface Statement {
  sql: string;
  args(values: readonly unknown[]): unknown[];
}

/**
 * `text` with `{M}` written for the TotpMember table and `{M.memberId}` for its column (MODELS' letters), named as the
 * host named them, and `$n` for the call's n-th value: as it is on PostgreSQL; SQLite's driver binds `?` in order of
 * appearance, so there each `$n` becomes `?` and the values are picked in that order.
 */
export function compile(names: SqlNames, provider: PrismaProvider, text: string): Statement {
  const sql = text.replace(/\{([A-Z])(?:\.(\w+))?\}/g, (_, letter: keyof typeof MODELS, field?: string) =>
    field === undefined ? names.table(MODELS[letter]) : names.column(MODELS[letter], field as never),
  );
  if (provider === 'postgresql') return { sql, args: (values) => [...values] };
  const order: number[] = [];
  const positional = sql.replace(/\$(\d+)/g, (_, n: string) => (order.push(Number(n) - 1), '?'));
  return { sql: positional, args: (values) => order.map((i) => values[i]) };
}

/** Where the dialects differ in the statements: PostgreSQL must be told the type of a parameter it cannot infer. */
export const dialect = (provider: PrismaProvider) => ({
  timestamp: (n: number) => (provider === 'postgresql' ? `CAST($${n} AS timestamp(3))` : `$${n}`),
  json: (n: number) => (provider === 'postgresql' ? `CAST($${n} AS jsonb)` : `$${n}`),
  greatest: (a: string, b: string) => (provider === 'postgresql' ? `GREATEST(${a}, ${b})` : `max(${a}, ${b})`),
});
