// The table and column names of prisma/totp.prisma, the one place the PostgreSQL statements take them from.
// The query API follows the client's own @@map/@map; raw SQL cannot see them, so a host that renames passes `tableNames`.

/** Each model's table and the fields raw SQL reads or writes. A field's column is its name in snake_case, as every @map writes it. */
export const TOTP_MODELS = {
  TotpOrganization: {
    table: 'totp_organizations',
    fields: [
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
  },
  TotpMember: {
    table: 'totp_members',
    fields: [
      ...[
        'memberId',
        'organizationId',
        'emailAddress',
        'emailAddressLower',
        'name',
        'status',
        'externalId',
        'mfaEnrolled',
        'totpRegistrationId',
      ],
      ...['defaultMfaMethod', 'failedMfaAttempts', 'lockCreatedAt', 'lockExpiresAt', 'createdAt', 'updatedAt'],
    ],
  },
  TotpRegistration: {
    table: 'totp_registrations',
    fields: [
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
  },
  TotpRecoveryCode: { table: 'totp_recovery_codes', fields: ['totpRegistrationId', 'keyId', 'hash', 'position'] },
  TotpIntermediateSession: {
    table: 'totp_intermediate_sessions',
    fields: ['tokenHash', 'organizationId', 'memberId', 'authenticationFactors', 'createdAt', 'expiresAt'],
  },
  TotpMemberSession: {
    table: 'totp_member_sessions',
    fields: [
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
  },
} as const;

export type TotpModel = keyof typeof TOTP_MODELS;
export type TotpField<M extends TotpModel> = (typeof TOTP_MODELS)[M]['fields'][number];

/** Table and column names where the host's @@map/@map differ from prisma/totp.prisma; what is not named keeps its default. */
export type TotpTableNames = { [M in TotpModel]?: { table?: string; columns?: { [F in TotpField<M>]?: string } } };

/** Names as raw SQL writes them: quoted, tables qualified by the schema when one is given. */
export interface SqlNames {
  table(model: TotpModel): string;
  column<M extends TotpModel>(model: M, field: TotpField<M>): string;
}

/** An SQL identifier, double-quoted (embedded quotes doubled), so that any name the host chose is taken literally. */
export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export const defaultColumn = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function sqlNames(schema: string | undefined, renames: TotpTableNames = {}): SqlNames {
  const prefix = schema === undefined ? '' : `${quoteIdentifier(schema)}.`;
  return {
    table: (model) => prefix + quoteIdentifier(renames[model]?.table ?? TOTP_MODELS[model].table),
    column: (model, field) => {
      const columns: Partial<Record<string, string>> = renames[model]?.columns ?? {};
      return quoteIdentifier(columns[field] ?? defaultColumn(field));
    },
  };
}
