// The part of a host's PrismaClient the adapter uses, typed structurally: the rows of prisma/totp.prisma's models, their
// delegates and interactive transactions. Any client generated from a schema containing those models is assignable to it.

import type {
  IntermediateSessionRecord,
  MemberRecord,
  MemberSessionRecord,
  OrganizationRecord,
  RecoveryCodeHash,
  TotpRegistrationRecord,
} from '@totp/core';

export type PrismaProvider = 'sqlite' | 'postgresql';

// Each row is its record (packages/core domain/model.ts) as the model stores it: unions as plain strings, JSON as read,
// NULL for an empty external ID, the lower-cased e-mail beside the e-mail, the secret in two columns, the step as BIGINT.
export type TotpOrganizationRow = Omit<OrganizationRecord, 'organizationExternalId' | 'mfaPolicy' | 'mfaMethods' | 'allowedMfaMethods'> & {
  organizationExternalId: string | null;
  mfaPolicy: string;
  mfaMethods: string;
  allowedMfaMethods: unknown;
};
export type TotpMemberRow = Omit<MemberRecord, 'status' | 'externalId' | 'defaultMfaMethod'> & {
  emailAddressLower: string;
  status: string;
  externalId: string | null;
  defaultMfaMethod: string;
};
export type TotpRegistrationRow = Omit<TotpRegistrationRecord, 'status' | 'secret' | 'algorithm' | 'lastAcceptedStep'> & {
  status: string;
  secretKeyId: string;
  secretCiphertext: string;
  algorithm: string;
  lastAcceptedStep: bigint | null;
};
/** A recovery code keeps its place in the set as issued, so that codes list in the order they were shown. */
export type TotpRecoveryCodeRow = RecoveryCodeHash & { totpRegistrationId: string; position: number };
export type TotpIntermediateSessionRow = Omit<IntermediateSessionRecord, 'authenticationFactors'> & { authenticationFactors: unknown };
export type TotpMemberSessionRow = Omit<MemberSessionRecord, 'authenticationFactors' | 'customClaims'> & {
  authenticationFactors: unknown;
  customClaims: unknown;
};

/** A JSON value as a Prisma `Json` field takes it: one with `toJSON()` (rows.ts), one of `InputJsonValue`'s forms. */
export type JsonInput = { toJSON(): unknown };

/** A row as `create` takes it: its JSON fields as `JsonInput`. */
export type RowInput<Row, JsonField extends keyof Row = never> = Omit<Row, JsonField> & { [K in JsonField]: JsonInput };

/** What `createMany`, `updateMany` and `deleteMany` resolve to. */
export type BatchCount = { count: number };

/** `where` and `data` arguments, checked by Prisma when the call is made (the tests make every call the adapter makes). */
export type QueryArgs = Record<string, unknown>;

/** A model's delegate, as far as the adapter calls it. */
export interface TotpDelegate<Row, Input = Row> {
  create(args: { data: Input }): PromiseLike<Row>;
  createMany(args: { data: Input[] }): PromiseLike<BatchCount>;
  findUnique(args: { where: QueryArgs }): PromiseLike<Row | null>;
  findFirst(args: { where: QueryArgs }): PromiseLike<Row | null>;
  findMany(args: { where: QueryArgs }): PromiseLike<Row[]>;
  count(args: { where: QueryArgs }): PromiseLike<number>;
  updateMany(args: { where: QueryArgs; data: QueryArgs }): PromiseLike<BatchCount>;
  /** `UPDATE … RETURNING`: Prisma has it for PostgreSQL and SQLite. */
  updateManyAndReturn(args: { where: QueryArgs; data: QueryArgs }): PromiseLike<Row[]>;
  deleteMany(args: { where: QueryArgs }): PromiseLike<BatchCount>;
}

/** The delegates and raw SQL, as a client and an interactive transaction both have them. */
export interface TotpPrismaDelegates {
  totpOrganization: TotpDelegate<TotpOrganizationRow, RowInput<TotpOrganizationRow, 'allowedMfaMethods'>>;
  totpMember: TotpDelegate<TotpMemberRow>;
  totpRegistration: TotpDelegate<TotpRegistrationRow>;
  totpRecoveryCode: TotpDelegate<TotpRecoveryCodeRow>;
  totpIntermediateSession: TotpDelegate<TotpIntermediateSessionRow, RowInput<TotpIntermediateSessionRow, 'authenticationFactors'>>;
  totpMemberSession: TotpDelegate<TotpMemberSessionRow, RowInput<TotpMemberSessionRow, 'authenticationFactors' | 'customClaims'>>;
  /** Raw SQL with `$n` (PostgreSQL) or `?` (SQLite) parameters: the statements of mfa-attempts.ts and sessions.ts. */
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** The host's PrismaClient, as far as the repository uses it. */
export interface TotpPrismaClient extends TotpPrismaDelegates {
  /** `maxWait` (for a pooled connection) and `timeout` in ms; `isolationLevel` as Prisma names it (`'Serializable'` …). */
  $transaction<R>(
    fn: (tx: TotpPrismaDelegates) => Promise<R>,
    options?: { maxWait?: number; timeout?: number; isolationLevel?: string },
  ): PromiseLike<R>;
}
