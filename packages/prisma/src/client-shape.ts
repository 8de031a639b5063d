// The part of a host's PrismaClient the adapter uses: six delegates, interactive transactions and raw queries, typed
// structurally.
// Any client generated from a schema that contains the models of prisma/totp.prisma satisfies it (no import of Prisma).

/** A stored organization, as the TotpOrganization model holds it. */
export interface TotpOrganizationRow {
  organizationId: string;
  organizationName: string;
  organizationSlug: string;
  organizationExternalId: string | null;
  mfaPolicy: string;
  mfaMethods: string;
  allowedMfaMethods: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface TotpMemberRow {
  memberId: string;
  organizationId: string;
  emailAddress: string;
  emailAddressLower: string;
  name: string;
  status: string;
  externalId: string | null;
  mfaEnrolled: boolean;
  totpRegistrationId: string;
  defaultMfaMethod: string;
  failedMfaAttempts: number;
  lockCreatedAt: Date | null;
  lockExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TotpRegistrationRow {
  totpRegistrationId: string;
  organizationId: string;
  memberId: string;
  status: string;
  secretKeyId: string;
  secretCiphertext: string;
  algorithm: string;
  digits: number;
  periodSeconds: number;
  expiresAt: Date | null;
  lastAcceptedStep: bigint | null;
  createdAt: Date;
  activatedAt: Date | null;
}

export interface TotpRecoveryCodeRow {
  totpRegistrationId: string;
  keyId: string;
  hash: string;
  position: number;
}

export interface TotpIntermediateSessionRow {
  tokenHash: string;
  organizationId: string;
  memberId: string;
  authenticationFactors: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export interface TotpMemberSessionRow {
  memberSessionId: string;
  tokenHash: string;
  organizationId: string;
  memberId: string;
  startedAt: Date;
  lastAccessedAt: Date;
  expiresAt: Date;
  authenticationFactors: unknown;
  customClaims: unknown;
  revokedAt: Date | null;
}

/**
 * A JSON value as a Prisma `Json` field takes it on input (the structure of Prisma's `InputJsonValue`). Rows come
 * back with JSON fields as `unknown`; the adapter checks their shape when it turns them into records.
 */
export type JsonInput = string | number | boolean | JsonInputObject | JsonInputArray;
export type JsonInputObject = { readonly [Key in string]?: JsonInput | null };
export type JsonInputArray = ReadonlyArray<JsonInput | null>;

/** A row as written: the JSON fields as `JsonInput`. */
export type RowInput<Row, JsonField extends keyof Row> = Omit<Row, JsonField> & { [K in JsonField]: JsonInput };

/** What `createMany`, `updateMany` and `deleteMany` resolve to. */
export interface BatchCount {
  count: number;
}

type Nullable<T> = T | null;
/** A `DateTime?` filter, as far as the adapter uses it. */
type NullableDateFilter = Nullable<Date> | { lt?: Date; lte?: Date; gt?: Date; gte?: Date };

/**
 * Each delegate lists only the calls the adapter makes, with the argument shapes it passes: a generated delegate
 * (whose methods are generic over far richer arguments) is assignable to it.
 */
export interface TotpOrganizationDelegate {
  create(args: { data: RowInput<TotpOrganizationRow, 'allowedMfaMethods'> }): PromiseLike<unknown>;
  findUnique(args: { where: { organizationId: string } | { organizationSlug: string } | { organizationExternalId: string } }): PromiseLike<TotpOrganizationRow | null>;
  findMany(args: {
    where: {
      organizationId: { not: string };
      OR: [{ organizationSlug: { in: string[] } }, { organizationExternalId: { in: string[] } }];
    };
  }): PromiseLike<TotpOrganizationRow[]>;
  deleteMany(args: { where: { organizationId: string } }): PromiseLike<BatchCount>;
}

export interface TotpMemberDelegate {
  create(args: { data: TotpMemberRow }): PromiseLike<unknown>;
  findUnique(args: { where: { memberId: string } }): PromiseLike<TotpMemberRow | null>;
  findFirst(args: {
    where: { organizationId: string; memberId?: string; externalId?: string; emailAddressLower?: string };
  }): PromiseLike<TotpMemberRow | null>;
  updateMany(args: {
    where: {
      memberId?: string;
      organizationId: string;
      defaultMfaMethod?: string;
      OR?: Array<{ lockExpiresAt: NullableDateFilter }>;
    };
    data: {
      failedMfaAttempts?: number | { increment: number };
      lockCreatedAt?: Nullable<Date>;
      lockExpiresAt?: Nullable<Date>;
      mfaEnrolled?: boolean;
      defaultMfaMethod?: string;
      totpRegistrationId?: string;
      updatedAt?: Date;
    };
  }): PromiseLike<BatchCount>;
  deleteMany(args: { where: { organizationId: string; memberId: string } }): PromiseLike<BatchCount>;
}

export interface TotpRegistrationDelegate {
  create(args: { data: TotpRegistrationRow }): PromiseLike<unknown>;
  findUnique(args: { where: { totpRegistrationId: string } }): PromiseLike<TotpRegistrationRow | null>;
  findMany(args: { where: { organizationId: string; memberId: string } }): PromiseLike<TotpRegistrationRow[]>;
  updateMany(args: {
    where: {
      totpRegistrationId: string;
      status: string;
      expiresAt?: { gt: Date };
      OR: Array<{ lastAcceptedStep: Nullable<bigint> | { lt: bigint } }>;
    };
    data: { lastAcceptedStep: bigint; status?: string; expiresAt?: null; activatedAt?: Date };
  }): PromiseLike<BatchCount>;
  /** By member (delete), or pending ones past a date (purge). */
  deleteMany(args: {
    where: { organizationId?: string; memberId?: string; status?: string; expiresAt?: { lte: Date } };
  }): PromiseLike<BatchCount>;
}

export interface TotpRecoveryCodeDelegate {
  createMany(args: { data: TotpRecoveryCodeRow[] }): PromiseLike<BatchCount>;
  findMany(args: { where: { totpRegistrationId: string }; orderBy: { position: 'asc' } }): PromiseLike<TotpRecoveryCodeRow[]>;
  count(args: { where: { totpRegistrationId: string } }): PromiseLike<number>;
  deleteMany(args: {
    where: { totpRegistrationId: string; OR?: Array<{ keyId: string; hash: string }> };
  }): PromiseLike<BatchCount>;
}

export interface TotpIntermediateSessionDelegate {
  create(args: { data: RowInput<TotpIntermediateSessionRow, 'authenticationFactors'> }): PromiseLike<unknown>;
  findUnique(args: { where: { tokenHash: string } }): PromiseLike<TotpIntermediateSessionRow | null>;
  delete(args: { where: { tokenHash: string; expiresAt: { gt: Date } } }): PromiseLike<TotpIntermediateSessionRow>;
  deleteMany(args: { where: { expiresAt: { lte: Date } } }): PromiseLike<BatchCount>;
}

export interface TotpMemberSessionDelegate {
  create(args: { data: RowInput<TotpMemberSessionRow, 'authenticationFactors' | 'customClaims'> }): PromiseLike<unknown>;
  findUnique(args: { where: { memberSessionId: string } | { tokenHash: string } }): PromiseLike<TotpMemberSessionRow | null>;
  update(args: {
    where: { memberSessionId: string };
    data: { lastAccessedAt: Date; expiresAt: Date; authenticationFactors: JsonInput; customClaims?: JsonInput };
  }): PromiseLike<TotpMemberSessionRow>;
  updateMany(args: {
    where:
      | { memberSessionId: string; revokedAt: null; expiresAt?: { gt: Date } }
      | { memberId: string; revokedAt: null };
    data: { revokedAt?: Date; lastAccessedAt?: Date };
  }): PromiseLike<BatchCount>;
  /**
   * `UPDATE … RETURNING`, used only where the database is known to be PostgreSQL or SQLite (Prisma generates it for
   * those, not for every database); optional, so that a client without it still fits.
   */
  updateManyAndReturn?(args: {
    where: { memberSessionId: string; revokedAt: null; expiresAt: { gt: Date } };
    data: { lastAccessedAt: Date };
  }): PromiseLike<TotpMemberSessionRow[]>;
  deleteMany(args: { where: { OR: Array<{ expiresAt?: { lte: Date }; revokedAt?: { lte: Date } }> } }): PromiseLike<BatchCount>;
}

/** The delegates, as a client and an interactive transaction both have them. */
export interface TotpPrismaDelegates {
  totpOrganization: TotpOrganizationDelegate;
  totpMember: TotpMemberDelegate;
  totpRegistration: TotpRegistrationDelegate;
  totpRecoveryCode: TotpRecoveryCodeDelegate;
  totpIntermediateSession: TotpIntermediateSessionDelegate;
  totpMemberSession: TotpMemberSessionDelegate;
  /** A raw write with positional parameters, returning the number of rows it changed (see `$queryRawUnsafe`). */
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** Options of an interactive transaction, as Prisma takes them. */
export interface TotpTransactionOptions {
  /** How long to wait for a connection from the pool, in milliseconds. */
  maxWait?: number;
  /** How long the transaction may run, in milliseconds. */
  timeout?: number;
  /** Prisma's isolation level name (`'ReadCommitted'`, `'Serializable'` …); the database default when absent. */
  isolationLevel?: string;
}

/** The host's PrismaClient, as far as the repository uses it. */
export interface TotpPrismaClient extends TotpPrismaDelegates {
  $transaction<R>(fn: (tx: TotpPrismaDelegates) => Promise<R>, options?: TotpTransactionOptions): PromiseLike<R>;
  /**
   * Raw SQL with positional parameters (`$1` on PostgreSQL, `?` on SQLite), for the statements the query API cannot
   * make one round trip (findMfaContext; on PostgreSQL exchangeIntermediateSession, extendMemberSession and
   * extendMemberSessionWithSpend). Table and column names come from the client's runtime data model
   * (`_runtimeDataModel`, read at run time, not part of this type); values are never interpolated.
   */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}
