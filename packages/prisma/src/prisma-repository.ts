// The @totp/core repository port over a host app's PrismaClient, on PostgreSQL and SQLite, safe across processes.
// Every atomic method is one conditional statement, or a transaction whose first statement locks the row it is about:
// the member's, or, for the session writes, the member session's or the intermediate session's.
// Some methods are raw SQL (internal/raw-statements.ts) so that an MFA attempt costs few round trips, over the table
// and column names of the host's client (internal/table-names.ts): findMfaContext (one SELECT) and, on PostgreSQL,
// exchangeIntermediateSession (one statement: DELETE + INSERT, with the spend of a time step or recovery code) and the
// session extensions, extendMemberSession and extendMemberSessionWithSpend (one statement: the UPDATE, with the factor
// merged in SQL, after the spend of a time step or recovery code), so a step-up is 2 statements as an authenticate is.

import {
  TotpError,
  lockoutAfterSuccess,
  reserveAttempt,
  type AuthenticationFactor,
  type LockoutState,
  type ReserveAttemptResult,
  type ExchangeResult,
  type ExchangeSpend,
  type ExtendResult,
  type IntermediateSessionRecord,
  type MemberRecord,
  type MemberRegistrations,
  type MemberSessionRecord,
  type MemberSessionUpdate,
  type MfaContext,
  type MfaContextQuery,
  type OrganizationRecord,
  type RecoveryCodeHash,
  type SaveRegistrationResult,
  type TotpRegistrationRecord,
  type TotpRepository,
} from '@totp/core';
import type {
  JsonInput,
  RowInput,
  TotpIntermediateSessionRow,
  TotpMemberRow,
  TotpMemberSessionRow,
  TotpOrganizationRow,
  TotpPrismaClient,
  TotpPrismaDelegates,
  TotpRegistrationRow,
  TotpTransactionOptions,
} from './client-shape';
import {
  buildExchangeStatement,
  buildExtendSessionStatement,
  buildInsertSessionStatement,
  buildMfaContextStatement,
  readPart,
  type ExchangeStatementSpend,
  type MfaContextVariant,
  type RawStatement,
} from './internal/raw-statements';
import { createSerialQueue, type SerialQueue } from './internal/serial-queue';
import { namesForClient } from './internal/table-names';
import { isForeignKeyViolation, isRecordNotFound, isTransientConflict, isUniqueViolation, translateStoreError } from './store-errors';

export type PrismaProvider = 'sqlite' | 'postgresql';

export interface PrismaRepositoryOptions {
  /**
   * The database behind the client. Read from the client when absent (Prisma's `activeProvider`). On SQLite the
   * repository runs its operations one at a time per client (see docs/prisma.md, "SQLite").
   */
  provider?: PrismaProvider;
  /**
   * Options for the repository's interactive transactions. Defaults: `maxWait` 10 000 ms, `timeout` 30 000 ms, the
   * database's own isolation level (PostgreSQL's READ COMMITTED is what the locking is written for).
   */
  transaction?: TotpTransactionOptions;
  /**
   * PostgreSQL: the schema of the tables, for the adapter's raw statements. Default: what the client's queries use,
   * the schema given to the driver adapter (`new PrismaPg(config, { schema })`), else `public`. A model's own
   * `@@schema` wins, as in Prisma.
   */
  schema?: string;
}

const DEFAULT_TRANSACTION_OPTIONS: TotpTransactionOptions = { maxWait: 10_000, timeout: 30_000 };

// SQLite adapters hold one connection per client, and a query sent while an interactive transaction is open runs
// inside it (and is rolled back with it). So on SQLite every repository sharing a client shares one queue.
const sqliteQueues = new WeakMap<object, SerialQueue>();

function detectProvider(prisma: object): PrismaProvider | undefined {
  const active = (prisma as { _activeProvider?: unknown })._activeProvider;
  if (active === 'sqlite' || active === 'postgresql') return active;
  return undefined;
}

// ── Records ⇄ rows ──────────────────────────────────────────────────────────────────────────────────────────

const nullIfEmpty = (value: string): string | null => (value === '' ? null : value);
const copyDate = (value: Date): Date => new Date(value.getTime());
const copyNullableDate = (value: Date | null): Date | null => (value === null ? null : copyDate(value));
// JSON columns come back parsed; a copy keeps the "records go out by value" rule even if a driver caches values.
/** A JSON column's value: a deep copy through JSON, which is exactly what the column can hold. */
const toJson = (value: unknown): JsonInput => JSON.parse(JSON.stringify(value)) as JsonInput;
const copyJson = <T>(value: unknown, fallback: T): T => (value === null || value === undefined ? fallback : structuredClone(value as T));

function organizationRow(o: OrganizationRecord): RowInput<TotpOrganizationRow, 'allowedMfaMethods'> {
  return {
    organizationId: o.organizationId,
    organizationName: o.organizationName,
    organizationSlug: o.organizationSlug,
    organizationExternalId: nullIfEmpty(o.organizationExternalId),
    mfaPolicy: o.mfaPolicy,
    mfaMethods: o.mfaMethods,
    allowedMfaMethods: [...o.allowedMfaMethods],
    createdAt: copyDate(o.createdAt),
    updatedAt: copyDate(o.updatedAt),
  };
}

function organizationRecord(row: TotpOrganizationRow): OrganizationRecord {
  return {
    organizationId: row.organizationId,
    organizationName: row.organizationName,
    organizationSlug: row.organizationSlug,
    organizationExternalId: row.organizationExternalId ?? '',
    mfaPolicy: row.mfaPolicy as OrganizationRecord['mfaPolicy'],
    mfaMethods: row.mfaMethods as OrganizationRecord['mfaMethods'],
    allowedMfaMethods: copyJson<string[]>(row.allowedMfaMethods, []),
    createdAt: copyDate(row.createdAt),
    updatedAt: copyDate(row.updatedAt),
  };
}

function memberRow(m: MemberRecord): TotpMemberRow {
  return {
    memberId: m.memberId,
    organizationId: m.organizationId,
    emailAddress: m.emailAddress,
    emailAddressLower: m.emailAddress.toLowerCase(),
    name: m.name,
    status: m.status,
    externalId: nullIfEmpty(m.externalId),
    mfaEnrolled: m.mfaEnrolled,
    totpRegistrationId: m.totpRegistrationId,
    defaultMfaMethod: m.defaultMfaMethod,
    failedMfaAttempts: m.failedMfaAttempts,
    lockCreatedAt: copyNullableDate(m.lockCreatedAt),
    lockExpiresAt: copyNullableDate(m.lockExpiresAt),
    createdAt: copyDate(m.createdAt),
    updatedAt: copyDate(m.updatedAt),
  };
}

function memberRecord(row: TotpMemberRow): MemberRecord {
  return {
    organizationId: row.organizationId,
    memberId: row.memberId,
    emailAddress: row.emailAddress,
    name: row.name,
    status: row.status as MemberRecord['status'],
    externalId: row.externalId ?? '',
    mfaEnrolled: row.mfaEnrolled,
    totpRegistrationId: row.totpRegistrationId,
    defaultMfaMethod: row.defaultMfaMethod as MemberRecord['defaultMfaMethod'],
    failedMfaAttempts: row.failedMfaAttempts,
    lockCreatedAt: copyNullableDate(row.lockCreatedAt),
    lockExpiresAt: copyNullableDate(row.lockExpiresAt),
    createdAt: copyDate(row.createdAt),
    updatedAt: copyDate(row.updatedAt),
  };
}

function registrationRow(r: TotpRegistrationRecord): TotpRegistrationRow {
  return {
    totpRegistrationId: r.totpRegistrationId,
    organizationId: r.organizationId,
    memberId: r.memberId,
    status: r.status,
    secretKeyId: r.secret.keyId,
    secretCiphertext: r.secret.ciphertext,
    algorithm: r.algorithm,
    digits: r.digits,
    periodSeconds: r.periodSeconds,
    expiresAt: copyNullableDate(r.expiresAt),
    lastAcceptedStep: r.lastAcceptedStep === null ? null : BigInt(r.lastAcceptedStep),
    createdAt: copyDate(r.createdAt),
    activatedAt: copyNullableDate(r.activatedAt),
  };
}

function registrationRecord(row: TotpRegistrationRow): TotpRegistrationRecord {
  return {
    totpRegistrationId: row.totpRegistrationId,
    organizationId: row.organizationId,
    memberId: row.memberId,
    status: row.status as TotpRegistrationRecord['status'],
    secret: { keyId: row.secretKeyId, ciphertext: row.secretCiphertext },
    algorithm: row.algorithm as TotpRegistrationRecord['algorithm'],
    digits: row.digits,
    periodSeconds: row.periodSeconds,
    expiresAt: copyNullableDate(row.expiresAt),
    lastAcceptedStep: row.lastAcceptedStep === null ? null : Number(row.lastAcceptedStep),
    createdAt: copyDate(row.createdAt),
    activatedAt: copyNullableDate(row.activatedAt),
  };
}

function recoveryCodeRows(totpRegistrationId: string, codes: readonly RecoveryCodeHash[]) {
  return codes.map((c, position) => ({ totpRegistrationId, keyId: c.keyId, hash: c.hash, position }));
}

function intermediateSessionRow(s: IntermediateSessionRecord): RowInput<TotpIntermediateSessionRow, 'authenticationFactors'> {
  return {
    tokenHash: s.tokenHash,
    organizationId: s.organizationId,
    memberId: s.memberId,
    authenticationFactors: toJson(s.authenticationFactors),
    createdAt: copyDate(s.createdAt),
    expiresAt: copyDate(s.expiresAt),
  };
}

function intermediateSessionRecord(row: TotpIntermediateSessionRow): IntermediateSessionRecord {
  return {
    tokenHash: row.tokenHash,
    organizationId: row.organizationId,
    memberId: row.memberId,
    authenticationFactors: copyJson<AuthenticationFactor[]>(row.authenticationFactors, []),
    createdAt: copyDate(row.createdAt),
    expiresAt: copyDate(row.expiresAt),
  };
}

function memberSessionRow(
  s: MemberSessionRecord,
): RowInput<TotpMemberSessionRow, 'authenticationFactors' | 'customClaims'> {
  return {
    memberSessionId: s.memberSessionId,
    tokenHash: s.tokenHash,
    organizationId: s.organizationId,
    memberId: s.memberId,
    startedAt: copyDate(s.startedAt),
    lastAccessedAt: copyDate(s.lastAccessedAt),
    expiresAt: copyDate(s.expiresAt),
    authenticationFactors: toJson(s.authenticationFactors),
    customClaims: toJson(s.customClaims),
    revokedAt: copyNullableDate(s.revokedAt),
  };
}

function memberSessionRecord(row: TotpMemberSessionRow): MemberSessionRecord {
  return {
    memberSessionId: row.memberSessionId,
    tokenHash: row.tokenHash,
    organizationId: row.organizationId,
    memberId: row.memberId,
    startedAt: copyDate(row.startedAt),
    lastAccessedAt: copyDate(row.lastAccessedAt),
    expiresAt: copyDate(row.expiresAt),
    authenticationFactors: copyJson<AuthenticationFactor[]>(row.authenticationFactors, []),
    customClaims: copyJson<Record<string, unknown>>(row.customClaims, {}),
    revokedAt: copyNullableDate(row.revokedAt),
  };
}

/** The session's factors with `factor` added, replacing one of the same type and delivery method. */
function withFactor(factors: AuthenticationFactor[], factor: AuthenticationFactor | undefined): AuthenticationFactor[] {
  if (factor === undefined) return factors;
  return [
    ...factors.filter((f) => !(f.type === factor.type && f.delivery_method === factor.delivery_method)),
    structuredClone(factor),
  ];
}

// ── Locking ─────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Takes the member's row lock for the rest of the transaction and says whether the member exists.
 * It is a write that changes nothing (`failed_mfa_attempts + 0`): on PostgreSQL any UPDATE locks the row until
 * commit (SELECT … FOR UPDATE would need raw SQL, and so the table's name); on SQLite a write as the first statement
 * takes the database's write lock at once, so a transaction never has to upgrade a read lock (which can fail with
 * SQLITE_BUSY between processes). Every multi-statement transaction about a member starts here, so they all lock in
 * one order (member, then registrations, then codes) and cannot deadlock one another. The session writes start with
 * their session's row instead (the extensions the member session's, the exchange the IST's), then lock at most a
 * registration or a code, and never wait on a member's row (a new session's foreign key check takes a share lock that
 * the no-op UPDATE above does not conflict with). Nothing of the adapter locks a registration or a code and then a
 * session, so no cycle can close; only a cascading delete of a member or organization, which locks in the order of its
 * foreign keys, can meet one the other way round (PostgreSQL then aborts one of the two: service_unavailable).
 */
async function lockMemberRow(tx: TotpPrismaDelegates, organizationId: string, memberId: string): Promise<boolean> {
  const { count } = await tx.totpMember.updateMany({
    where: { organizationId, memberId },
    data: { failedMfaAttempts: { increment: 0 } },
  });
  return count === 1;
}

/** A member row's lockout fields, as core's lockout rules read them. */
const lockoutOf = (row: TotpMemberRow): LockoutState => ({
  failedAttempts: row.failedMfaAttempts,
  lockCreatedAt: copyNullableDate(row.lockCreatedAt),
  lockExpiresAt: copyNullableDate(row.lockExpiresAt),
});
const lockoutData = (state: LockoutState) => ({
  failedMfaAttempts: state.failedAttempts,
  lockCreatedAt: copyNullableDate(state.lockCreatedAt),
  lockExpiresAt: copyNullableDate(state.lockExpiresAt),
});

/** A step may only move forward: `last_accepted_step IS NULL OR last_accepted_step < $step`. */
const stepIsNew = (step: bigint) => [{ lastAcceptedStep: null }, { lastAcceptedStep: { lt: step } }];

/** The codes matching any of `candidates` (one hash of the code per pepper key). */
const codeMatches = (candidates: readonly RecoveryCodeHash[]) => candidates.map((c) => ({ keyId: c.keyId, hash: c.hash }));

const IST_NOT_FOUND = { status: 'intermediate_session_not_found' } as const satisfies ExchangeResult;
const SESSION_NOT_FOUND = { status: 'session_not_found' } as const satisfies ExtendResult;
const SPEND_REFUSED = { status: 'spend_refused' } as const satisfies ExchangeResult & ExtendResult;

/**
 * Thrown inside a transaction when its spend changes nothing, to roll back what the transaction wrote before it (the
 * IST's DELETE of SQLite's exchange, the session's `last_accessed_at` of an extension).
 */
class SpendRefused extends Error {}

/**
 * Makes `spend` inside `tx`, after the transaction's first statement has locked the IST or session it goes with:
 * the step's conditional UPDATE (recordAcceptedStep's) or the code's DELETE (consumeRecoveryCode's), each the
 * single-use guarantee by itself, as its row lock makes concurrent spenders re-check it. Throws SpendRefused when it
 * changes nothing. Returns the registration's codes left after a recovery code (undefined for a step).
 */
async function makeSpend(tx: TotpPrismaDelegates, spend: ExchangeSpend): Promise<number | undefined> {
  if (spend.kind === 'totp_step') {
    const lastAcceptedStep = BigInt(spend.step);
    const { count } = await tx.totpRegistration.updateMany({
      where: { totpRegistrationId: spend.totpRegistrationId, status: 'active', OR: stepIsNew(lastAcceptedStep) },
      data: { lastAcceptedStep },
    });
    if (count !== 1) throw new SpendRefused();
    return undefined;
  }
  // No candidate, no code can match: refused without asking (Prisma would send an empty OR, which matches nothing).
  if (spend.candidates.length === 0) throw new SpendRefused();
  const { totpRegistrationId } = spend;
  const { count } = await tx.totpRecoveryCode.deleteMany({ where: { totpRegistrationId, OR: codeMatches(spend.candidates) } });
  if (count === 0) throw new SpendRefused();
  return tx.totpRecoveryCode.count({ where: { totpRegistrationId } });
}

/**
 * The statements of one family (the PostgreSQL exchange, the PostgreSQL extension) by what they spend, each built on
 * first use: one without a spend, one for a time step, one per count of recovery code candidates (one per pepper key).
 */
function statementPerSpend(build: (spend: ExchangeStatementSpend) => RawStatement): (spend: ExchangeSpend | undefined) => RawStatement {
  let none: RawStatement | undefined;
  let step: RawStatement | undefined;
  const codes = new Map<number, RawStatement>();
  return (spend) => {
    if (spend === undefined) return (none ??= build({ kind: 'none' }));
    if (spend.kind === 'totp_step') return (step ??= build({ kind: 'totp_step' }));
    const count = spend.candidates.length;
    let statement = codes.get(count);
    if (statement === undefined) {
      statement = build({ kind: 'recovery_code', candidates: count });
      codes.set(count, statement);
    }
    return statement;
  };
}

/** A spend's parameters, after the statement's own, in the order raw-statements.ts's spendParts names them. */
function spendValues(spend: ExchangeSpend | undefined): unknown[] {
  if (spend === undefined) return [];
  if (spend.kind === 'totp_step') return [BigInt(spend.step), spend.totpRegistrationId];
  return [spend.totpRegistrationId, ...spend.candidates.flatMap((c) => [c.keyId, c.hash])];
}

/** A boolean column as drivers give it: true, 1 or 't'. */
const isTrue = (value: unknown) => value === true || value === 1 || value === 't' || value === 1n;

/** The parameters of a findMfaContext statement: an empty external ID is NULL, which matches no row. */
function contextValue(query: MfaContextQuery, param: string): string | null {
  switch (param) {
    case 'organization':
      return query.organization.by === 'externalId' && query.organization.value === '' ? null : query.organization.value;
    case 'member':
      return query.member.by === 'externalId' && query.member.value === '' ? null : query.member.value;
    case 'intermediateSession':
      return query.intermediateSessionTokenHash ?? null;
    case 'memberSession':
      return query.memberSessionTokenHash ?? null;
    default:
      throw new Error(`unknown parameter ${param}`);
  }
}

/**
 * A new member session's columns as raw SQL parameters (EXCHANGE_SESSION_FIELDS order): what the exchange statement
 * takes after the IST's token hash and time, and what the session INSERT takes.
 */
function sessionValues(session: MemberSessionRecord): unknown[] {
  const row = memberSessionRow(session);
  return [
    row.memberSessionId,
    row.tokenHash,
    row.organizationId,
    row.memberId,
    row.startedAt,
    row.lastAccessedAt,
    row.expiresAt,
    // JSON as text: PostgreSQL reads it as the column's JSON type (parameter types are inferred from the columns).
    JSON.stringify(row.authenticationFactors),
    JSON.stringify(row.customClaims),
    row.revokedAt,
  ];
}

// ── The repository ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * The repository port over `prisma`, a PrismaClient generated from a schema that contains the models of
 * `prisma/totp.prisma` (with the tables created by `applyMigrations` or your own migrations).
 */
export function createPrismaRepository(prisma: TotpPrismaClient, options: PrismaRepositoryOptions = {}): TotpRepository {
  if (typeof prisma !== 'object' || prisma === null || typeof prisma.$transaction !== 'function') {
    throw new TypeError('createPrismaRepository(prisma): prisma must be a PrismaClient');
  }
  for (const delegate of [
    'totpOrganization',
    'totpMember',
    'totpRegistration',
    'totpRecoveryCode',
    'totpIntermediateSession',
    'totpMemberSession',
  ] as const) {
    if (typeof prisma[delegate] !== 'object' || prisma[delegate] === null) {
      throw new TypeError(
        `createPrismaRepository(prisma): the client has no \`${delegate}\` model; merge prisma/totp.prisma into your schema and regenerate the client`,
      );
    }
  }
  const provider = options.provider ?? detectProvider(prisma);
  if (provider !== undefined && provider !== 'sqlite' && provider !== 'postgresql') {
    throw new RangeError('createPrismaRepository: `provider` must be "sqlite" or "postgresql"');
  }
  const transactionOptions = { ...DEFAULT_TRANSACTION_OPTIONS, ...options.transaction };
  if (options.schema !== undefined && (typeof options.schema !== 'string' || options.schema === '')) {
    throw new RangeError('createPrismaRepository: `schema` must be a non-empty string');
  }

  // Raw SQL only where its dialect is known; any other client keeps to the query API (more round trips, same results).
  // The names are resolved once, here, from the client's runtime data model; each statement is built once, when first used.
  const raw =
    (provider === 'postgresql' || provider === 'sqlite') && typeof prisma.$queryRawUnsafe === 'function'
      ? { dialect: provider, names: namesForClient(prisma, provider, options.schema) }
      : undefined;
  const contextStatements = new Map<string, RawStatement>();
  const contextStatement = (variant: MfaContextVariant): RawStatement => {
    const key = `${variant.organizationBy}/${variant.memberBy}/${variant.intermediateSession}/${variant.memberSession}`;
    let statement = contextStatements.get(key);
    if (statement === undefined) {
      statement = buildMfaContextStatement(raw!.names, raw!.dialect, variant);
      contextStatements.set(key, statement);
    }
    return statement;
  };
  const exchangeStatement = statementPerSpend((spend) => buildExchangeStatement(raw!.names, spend));
  const extendStatement = statementPerSpend((spend) => buildExtendSessionStatement(raw!.names, spend));
  let insertSessionStatement: RawStatement | undefined;

  // Unknown provider: queue too. It costs throughput, never correctness.
  let queue: SerialQueue | undefined;
  if (provider !== 'postgresql') {
    queue = sqliteQueues.get(prisma);
    if (queue === undefined) {
      queue = createSerialQueue();
      sqliteQueues.set(prisma, queue);
    }
  }

  /** Runs one repository operation: queued on SQLite, with its errors translated. */
  const run = <T>(method: string, body: () => Promise<T>): Promise<T> => {
    const guarded = async () => {
      try {
        return await body();
      } catch (error) {
        throw translateStoreError(method, error);
      }
    };
    return queue === undefined ? guarded() : queue.run(guarded);
  };
  const transaction = <T>(fn: (tx: TotpPrismaDelegates) => Promise<T>): Promise<T> =>
    Promise.resolve(prisma.$transaction(fn, transactionOptions));

  /**
   * A SERIALIZABLE transaction, made again (a few times) when the database aborts it for a concurrent one: for rules
   * that span rows no index can enforce, checked by a read and kept by the write that follows it.
   */
  const serializable = async <T>(fn: (tx: TotpPrismaDelegates) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await prisma.$transaction(fn, { ...transactionOptions, isolationLevel: 'Serializable' });
      } catch (error) {
        if (attempt >= 5 || !isTransientConflict(error)) throw error;
      }
    }
  };

  /**
   * The error for an organization whose slug or external ID another organization already uses, as either: an
   * identifier must name one organization only, so that a slug can never shadow another organization's external ID.
   */
  async function identifierConflict(tx: TotpPrismaDelegates, organization: OrganizationRecord): Promise<TotpError | null> {
    const { organizationId, organizationSlug: slug, organizationExternalId: externalId } = organization;
    const identifiers = externalId === '' ? [slug] : [slug, externalId];
    const others = await tx.totpOrganization.findMany({
      where: {
        organizationId: { not: organizationId },
        OR: [{ organizationSlug: { in: identifiers } }, { organizationExternalId: { in: identifiers } }],
      },
    });
    const uses = (identifier: string) => others.some((o) => o.organizationSlug === identifier || o.organizationExternalId === identifier);
    if (uses(slug)) {
      return new TotpError('duplicate_organization_slug', 'another organization uses this organization_slug as its slug or external ID');
    }
    if (externalId !== '' && uses(externalId)) {
      return new TotpError(
        'duplicate_organization_external_id',
        'another organization uses this organization_external_id as its slug or external ID',
      );
    }
    return null;
  }

  /** Which unique rule a refused organization insert broke, checked in the order the memory store checks them. */
  async function organizationConflict(organization: OrganizationRecord, cause: unknown): Promise<Error> {
    const bySlug = await prisma.totpOrganization.findUnique({ where: { organizationSlug: organization.organizationSlug } });
    if (bySlug !== null) {
      return new TotpError('duplicate_organization_slug', 'an organization with this organization_slug exists', { cause });
    }
    const externalId = organization.organizationExternalId;
    if (externalId !== '') {
      const byExternalId = await prisma.totpOrganization.findUnique({ where: { organizationExternalId: externalId } });
      if (byExternalId !== null) {
        return new TotpError('duplicate_organization_external_id', 'an organization with this organization_external_id exists', {
          cause,
        });
      }
    }
    return new Error('@totp/prisma: insertOrganization: an organization with this ID exists', { cause });
  }

  async function memberConflict(member: MemberRecord, cause: unknown): Promise<Error> {
    const { organizationId } = member;
    const byEmail = await prisma.totpMember.findFirst({
      where: { organizationId, emailAddressLower: member.emailAddress.toLowerCase() },
    });
    if (byEmail !== null) {
      return new TotpError('duplicate_member_email', 'a member of this organization has this email_address', { cause });
    }
    if (member.externalId !== '') {
      const byExternalId = await prisma.totpMember.findFirst({ where: { organizationId, externalId: member.externalId } });
      if (byExternalId !== null) {
        return new TotpError('duplicate_member_external_id', 'a member of this organization has this external_id', { cause });
      }
    }
    return new Error('@totp/prisma: insertMember: a member with this ID exists', { cause });
  }

  /**
   * extendMemberSession's and extendMemberSessionWithSpend's one statement on PostgreSQL (buildExtendSessionStatement):
   * the session's UPDATE with the factor merged in SQL and, with `spend`, the spend first, after the session's row lock.
   * The session comes back from the UPDATE's RETURNING, read as the finders read it. Without a spend, not live is
   * `session_not_found`; with one, the statement also says whether the session was live, to tell `spend_refused`.
   */
  async function extendInOneStatement(memberSessionId: string, update: MemberSessionUpdate, spend?: ExchangeSpend): Promise<ExtendResult> {
    const values: unknown[] = [
      memberSessionId,
      copyDate(update.at),
      copyDate(update.expiresAt),
      // JSON as text, cast to jsonb in the statement: exactly JSON.stringify of the value, an own `__proto__` key included.
      update.factor === undefined ? null : JSON.stringify(update.factor),
      update.customClaims === undefined ? null : JSON.stringify(update.customClaims),
      ...spendValues(spend),
    ];
    const rows = await prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(extendStatement(spend).sql, ...values);
    const row = rows[0];
    const extended = row === undefined ? null : readPart<TotpMemberSessionRow>(row, 's', 'TotpMemberSession');
    if (extended === null) return spend !== undefined && isTrue(row?.live) ? SPEND_REFUSED : SESSION_NOT_FOUND;
    const session = memberSessionRecord(extended);
    return spend?.kind === 'recovery_code'
      ? { status: 'extended', session, recoveryCodesRemaining: Number(row!.remaining) }
      : { status: 'extended', session };
  }

  /**
   * SQLite (and unknown databases): extendMemberSession's transaction, and extendMemberSessionWithSpend's with `spend`
   * (see makeSpend). The first statement is a conditional UPDATE of the live session: it checks liveness and takes the
   * row lock (on SQLite the write lock), so concurrent extensions of one session run one after the other and each
   * reads the factors the previous one wrote. Where the dialect is known it is `UPDATE … RETURNING`
   * (updateManyAndReturn, which Prisma has for PostgreSQL and SQLite only), so the row it locked is read in the same
   * round trip. Null when the session is not live: nothing was written, and the spend was not attempted.
   */
  async function extendSession(
    memberSessionId: string,
    update: MemberSessionUpdate,
    spend?: ExchangeSpend,
  ): Promise<{ session: MemberSessionRecord; recoveryCodesRemaining: number | undefined } | null> {
    return transaction(async (tx) => {
      const at = copyDate(update.at);
      const where = { memberSessionId, revokedAt: null, expiresAt: { gt: at } };
      let row: TotpMemberSessionRow | null | undefined;
      if (raw !== undefined && tx.totpMemberSession.updateManyAndReturn !== undefined) {
        [row] = await tx.totpMemberSession.updateManyAndReturn({ where, data: { lastAccessedAt: at } });
      } else {
        const { count } = await tx.totpMemberSession.updateMany({ where, data: { lastAccessedAt: at } });
        row = count === 1 ? await tx.totpMemberSession.findUnique({ where: { memberSessionId } }) : null;
      }
      if (row === undefined || row === null) return null;
      const recoveryCodesRemaining = spend === undefined ? undefined : await makeSpend(tx, spend);
      const current = memberSessionRecord(row);
      const data: { lastAccessedAt: Date; expiresAt: Date; authenticationFactors: JsonInput; customClaims?: JsonInput } = {
        lastAccessedAt: at,
        expiresAt: update.expiresAt > current.expiresAt ? copyDate(update.expiresAt) : current.expiresAt,
        authenticationFactors: toJson(withFactor(current.authenticationFactors, update.factor)),
      };
      if (update.customClaims !== undefined) data.customClaims = toJson(update.customClaims);
      const updated = await tx.totpMemberSession.update({ where: { memberSessionId }, data });
      return { session: memberSessionRecord(updated), recoveryCodesRemaining };
    });
  }

  // The single finders, unqueued: for use inside an operation that already runs in the queue.
  async function registrationsOf(organizationId: string, memberId: string): Promise<MemberRegistrations> {
    const rows = await prisma.totpRegistration.findMany({ where: { organizationId, memberId } });
    const active = rows.find((r) => r.status === 'active');
    const pending = rows.find((r) => r.status === 'pending');
    return {
      active: active === undefined ? null : registrationRecord(active),
      pending: pending === undefined ? null : registrationRecord(pending),
    };
  }

  /** findMfaContext through the query API, one statement per part: for clients whose SQL dialect is unknown. */
  async function mfaContextByQueries(query: MfaContextQuery): Promise<MfaContext> {
    const { by, value } = query.organization;
    const organizationRow =
      by === 'externalId' && value === ''
        ? null
        : await prisma.totpOrganization.findUnique({
            where: by === 'id' ? { organizationId: value } : by === 'slug' ? { organizationSlug: value } : { organizationExternalId: value },
          });
    let memberRow: TotpMemberRow | null = null;
    if (organizationRow !== null && !(query.member.by === 'externalId' && query.member.value === '')) {
      const { organizationId } = organizationRow;
      memberRow = await prisma.totpMember.findFirst({
        where: query.member.by === 'id' ? { organizationId, memberId: query.member.value } : { organizationId, externalId: query.member.value },
      });
    }
    const ist =
      query.intermediateSessionTokenHash === undefined
        ? null
        : await prisma.totpIntermediateSession.findUnique({ where: { tokenHash: query.intermediateSessionTokenHash } });
    const session =
      query.memberSessionTokenHash === undefined
        ? null
        : await prisma.totpMemberSession.findUnique({ where: { tokenHash: query.memberSessionTokenHash } });
    return {
      organization: organizationRow === null ? null : organizationRecord(organizationRow),
      member: memberRow === null ? null : memberRecord(memberRow),
      registrations: memberRow === null ? { active: null, pending: null } : await registrationsOf(memberRow.organizationId, memberRow.memberId),
      intermediateSession: ist === null ? null : intermediateSessionRecord(ist),
      memberSession: session === null ? null : memberSessionRecord(session),
    };
  }

  return {
    // ── Organizations and members ──

    insertOrganization: (organization) =>
      run('insertOrganization', async () => {
        try {
          // Serializable: two organizations created at once, one with slug X and one with external ID X, cannot both
          // pass the check (the database aborts one, which is made again and then sees the other).
          await serializable(async (tx) => {
            const conflict = await identifierConflict(tx, organization);
            if (conflict !== null) throw conflict;
            await tx.totpOrganization.create({ data: organizationRow(organization) });
          });
        } catch (error) {
          // The unique indexes decide (so concurrent inserts have exactly one winner); lookups only name the rule.
          if (isUniqueViolation(error)) throw await organizationConflict(organization, error);
          throw error;
        }
      }),

    findOrganizationById: (organizationId) =>
      run('findOrganizationById', async () => {
        const row = await prisma.totpOrganization.findUnique({ where: { organizationId } });
        return row === null ? null : organizationRecord(row);
      }),

    findOrganizationBySlug: (organizationSlug) =>
      run('findOrganizationBySlug', async () => {
        const row = await prisma.totpOrganization.findUnique({ where: { organizationSlug } });
        return row === null ? null : organizationRecord(row);
      }),

    findOrganizationByExternalId: (organizationExternalId) =>
      run('findOrganizationByExternalId', async () => {
        if (organizationExternalId === '') return null;
        const row = await prisma.totpOrganization.findUnique({ where: { organizationExternalId } });
        return row === null ? null : organizationRecord(row);
      }),

    insertMember: (member) =>
      run('insertMember', async () => {
        try {
          await prisma.totpMember.create({ data: memberRow(member) });
        } catch (error) {
          if (isUniqueViolation(error)) throw await memberConflict(member, error);
          // The organization is gone (deleted before or while this ran): its foreign key refused the row.
          if (isForeignKeyViolation(error)) throw new TotpError('organization_not_found', 'the organization does not exist', { cause: error });
          throw error;
        }
      }),

    findMemberById: (organizationId, memberId) =>
      run('findMemberById', async () => {
        const row = await prisma.totpMember.findFirst({ where: { organizationId, memberId } });
        return row === null ? null : memberRecord(row);
      }),

    findMemberByExternalId: (organizationId, externalId) =>
      run('findMemberByExternalId', async () => {
        if (externalId === '') return null;
        const row = await prisma.totpMember.findFirst({ where: { organizationId, externalId } });
        return row === null ? null : memberRecord(row);
      }),

    findMemberByEmail: (organizationId, emailAddress) =>
      run('findMemberByEmail', async () => {
        const row = await prisma.totpMember.findFirst({
          where: { organizationId, emailAddressLower: emailAddress.toLowerCase() },
        });
        return row === null ? null : memberRecord(row);
      }),

    // One statement: the schema's ON DELETE CASCADE foreign keys remove registrations, codes and sessions with it.
    deleteMember: (organizationId, memberId) =>
      run('deleteMember', async () => {
        const { count } = await prisma.totpMember.deleteMany({ where: { organizationId, memberId } });
        return count === 1;
      }),

    deleteOrganization: (organizationId) =>
      run('deleteOrganization', async () => {
        const { count } = await prisma.totpOrganization.deleteMany({ where: { organizationId } });
        return count === 1;
      }),

    updateMemberMfa: (organizationId, memberId, patch) =>
      run('updateMemberMfa', async () => {
        const data: { mfaEnrolled?: boolean; defaultMfaMethod?: string; updatedAt: Date } = {
          updatedAt: copyDate(patch.updatedAt),
        };
        if (patch.mfaEnrolled !== undefined) data.mfaEnrolled = patch.mfaEnrolled;
        if (patch.defaultMfaMethod !== undefined) data.defaultMfaMethod = patch.defaultMfaMethod;
        const { count } = await prisma.totpMember.updateMany({ where: { organizationId, memberId }, data });
        return count === 1;
      }),

    // ── Lockout state ──

    // One transaction, member row lock first: concurrent reservations for one member run one after the other, each
    // applying core's rule to what the previous one wrote.
    reserveMfaAttempt: (organizationId, memberId, reservation) =>
      run('reserveMfaAttempt', () =>
        transaction(async (tx): Promise<ReserveAttemptResult | null> => {
          if (!(await lockMemberRow(tx, organizationId, memberId))) return null;
          const row = await tx.totpMember.findUnique({ where: { memberId } });
          if (row === null) return null;
          const result = reserveAttempt(lockoutOf(row), reservation);
          if (!result.reserved) return { status: 'locked' };
          await tx.totpMember.updateMany({ where: { organizationId, memberId }, data: lockoutData(result.state) });
          return { status: 'reserved', lockStarted: result.lockStarted };
        }),
      ),

    clearMfaAttempts: (organizationId, memberId, at, startedLockAt) =>
      run('clearMfaAttempts', () =>
        transaction(async (tx): Promise<LockoutState | null> => {
          if (!(await lockMemberRow(tx, organizationId, memberId))) return null;
          const row = await tx.totpMember.findUnique({ where: { memberId } });
          if (row === null) return null;
          const state = lockoutAfterSuccess(lockoutOf(row), at, startedLockAt);
          await tx.totpMember.updateMany({ where: { organizationId, memberId }, data: lockoutData(state) });
          return state;
        }),
      ),

    // One SELECT (internal/raw-statements.ts): the organization by its one unique key, its member, the member's active
    // and pending registrations and the asked-for sessions, LEFT JOINed onto a one-row table, so it always returns
    // one row; a part that is not there is NULLs. Each part is mapped by the same function as the single finder's.
    findMfaContext: (query) =>
      run('findMfaContext', async (): Promise<MfaContext> => {
        if (raw === undefined) return mfaContextByQueries(query);
        const statement = contextStatement({
          organizationBy: query.organization.by,
          memberBy: query.member.by,
          intermediateSession: query.intermediateSessionTokenHash !== undefined,
          memberSession: query.memberSessionTokenHash !== undefined,
        });
        const rows = await prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
          statement.sql,
          ...statement.params.map((param) => contextValue(query, param)),
        );
        const row = rows[0] ?? {};
        const organization = readPart<TotpOrganizationRow>(row, 'o', 'TotpOrganization');
        const member = organization === null ? null : readPart<TotpMemberRow>(row, 'm', 'TotpMember');
        const active = member === null ? null : readPart<TotpRegistrationRow>(row, 'a', 'TotpRegistration');
        const pending = member === null ? null : readPart<TotpRegistrationRow>(row, 'p', 'TotpRegistration');
        const ist = query.intermediateSessionTokenHash === undefined ? null : readPart<TotpIntermediateSessionRow>(row, 'i', 'TotpIntermediateSession');
        const session = query.memberSessionTokenHash === undefined ? null : readPart<TotpMemberSessionRow>(row, 's', 'TotpMemberSession');
        return {
          organization: organization === null ? null : organizationRecord(organization),
          member: member === null ? null : memberRecord(member),
          registrations: {
            active: active === null ? null : registrationRecord(active),
            pending: pending === null ? null : registrationRecord(pending),
          },
          intermediateSession: ist === null ? null : intermediateSessionRecord(ist),
          memberSession: session === null ? null : memberSessionRecord(session),
        };
      }),

    // ── TOTP registrations and recovery codes ──

    findRegistrations: (organizationId, memberId) => run('findRegistrations', () => registrationsOf(organizationId, memberId)),

    // Member lock first: concurrent saves for one member run one after the other, each seeing the last one's rows.
    // The unique index on (organization, member, status) makes two pending or two active rows impossible anyway.
    saveRegistration: (registration, recoveryCodes) =>
      run('saveRegistration', () =>
        transaction(async (tx): Promise<SaveRegistrationResult> => {
          const { organizationId, memberId, totpRegistrationId } = registration;
          if (!(await lockMemberRow(tx, organizationId, memberId))) return 'member_not_found';
          const existing = await tx.totpRegistration.findMany({ where: { organizationId, memberId } });
          if (existing.some((r) => r.status === 'active')) return 'active_totp_exists';
          // Deleting the pending registration deletes its codes too (ON DELETE CASCADE).
          if (existing.length > 0) await tx.totpRegistration.deleteMany({ where: { organizationId, memberId } });
          await tx.totpRegistration.create({ data: registrationRow(registration) });
          if (recoveryCodes.length > 0) {
            await tx.totpRecoveryCode.createMany({ data: recoveryCodeRows(totpRegistrationId, recoveryCodes) });
          }
          if (registration.status === 'active') {
            await tx.totpMember.updateMany({ where: { organizationId, memberId }, data: { totpRegistrationId } });
          }
          return 'saved';
        }),
      ),

    recordAcceptedStep: (totpRegistrationId, step, activate) =>
      run('recordAcceptedStep', async () => {
        const lastAcceptedStep = BigInt(step);
        if (activate === undefined) {
          // The hot path: one conditional UPDATE. Of concurrent calls with one step, the first to lock the row sets
          // it; the others re-check `last_accepted_step < $step` on the updated row and change nothing.
          const { count } = await prisma.totpRegistration.updateMany({
            where: { totpRegistrationId, status: 'active', OR: stepIsNew(lastAcceptedStep) },
            data: { lastAcceptedStep },
          });
          return count === 1;
        }
        // Activation touches the registration and the member: a transaction, member lock first. The member is read
        // before it (a registration never changes owner), so the transaction still starts with its lock.
        const owner = await prisma.totpRegistration.findUnique({ where: { totpRegistrationId } });
        if (owner === null) return false;
        const at = copyDate(activate.at);
        try {
          return await transaction(async (tx) => {
            const { organizationId, memberId } = owner;
            if (!(await lockMemberRow(tx, organizationId, memberId))) return false;
            const { count } = await tx.totpRegistration.updateMany({
              where: { totpRegistrationId, status: 'pending', expiresAt: { gt: at }, OR: stepIsNew(lastAcceptedStep) },
              data: { lastAcceptedStep, status: 'active', expiresAt: null, activatedAt: at },
            });
            if (count !== 1) return false;
            await tx.totpMember.updateMany({ where: { organizationId, memberId }, data: { totpRegistrationId, updatedAt: at } });
            return true;
          });
        } catch (error) {
          // Another active registration holds the (organization, member, status) index: a failed condition.
          if (isUniqueViolation(error)) return false;
          throw error;
        }
      }),

    deleteRegistrations: (organizationId, memberId, updatedAt) =>
      run('deleteRegistrations', () =>
        transaction(async (tx) => {
          await lockMemberRow(tx, organizationId, memberId);
          const { count } = await tx.totpRegistration.deleteMany({ where: { organizationId, memberId } });
          if (count > 0) {
            await tx.totpMember.updateMany({
              where: { organizationId, memberId, defaultMfaMethod: 'totp' },
              data: { defaultMfaMethod: '' },
            });
            await tx.totpMember.updateMany({
              where: { organizationId, memberId },
              data: { totpRegistrationId: '', updatedAt: copyDate(updatedAt) },
            });
          }
          return count;
        }),
      ),

    listRecoveryCodeHashes: (totpRegistrationId) =>
      run('listRecoveryCodeHashes', async () => {
        const rows = await prisma.totpRecoveryCode.findMany({ where: { totpRegistrationId }, orderBy: { position: 'asc' } });
        return rows.map((r) => ({ keyId: r.keyId, hash: r.hash }));
      }),

    // One DELETE: of concurrent calls with one code, the first deletes the row and the others find nothing to delete.
    // The candidates are one code hashed under each pepper key; a set is hashed under one key, so at most one matches.
    consumeRecoveryCode: (totpRegistrationId, candidates) =>
      run('consumeRecoveryCode', async () => {
        if (candidates.length === 0) return null;
        const { count } = await prisma.totpRecoveryCode.deleteMany({ where: { totpRegistrationId, OR: codeMatches(candidates) } });
        if (count === 0) return null;
        return prisma.totpRecoveryCode.count({ where: { totpRegistrationId } });
      }),

    replaceRecoveryCodes: (totpRegistrationId, recoveryCodes) =>
      run('replaceRecoveryCodes', async () => {
        const owner = await prisma.totpRegistration.findUnique({ where: { totpRegistrationId } });
        if (owner === null) return false;
        return transaction(async (tx) => {
          if (!(await lockMemberRow(tx, owner.organizationId, owner.memberId))) return false;
          // Deleted while we waited for the lock?
          if ((await tx.totpRegistration.findUnique({ where: { totpRegistrationId } })) === null) return false;
          await tx.totpRecoveryCode.deleteMany({ where: { totpRegistrationId } });
          if (recoveryCodes.length > 0) {
            await tx.totpRecoveryCode.createMany({ data: recoveryCodeRows(totpRegistrationId, recoveryCodes) });
          }
          return true;
        });
      }),

    // ── Sessions ──

    insertIntermediateSession: (session) =>
      run('insertIntermediateSession', async () => {
        try {
          await prisma.totpIntermediateSession.create({ data: intermediateSessionRow(session) });
        } catch (error) {
          if (isForeignKeyViolation(error)) throw new TotpError('member_not_found', 'the member does not exist', { cause: error });
          throw error;
        }
      }),

    findIntermediateSession: (tokenHash) =>
      run('findIntermediateSession', async () => {
        const row = await prisma.totpIntermediateSession.findUnique({ where: { tokenHash } });
        return row === null ? null : intermediateSessionRecord(row);
      }),

    // Only the caller whose `DELETE … WHERE token_hash = $1 AND expires_at > $2` removed the row gets it back, and only
    // that caller's session is stored (and its time step or recovery code spent, when it has one). PostgreSQL: one
    // statement (the DELETE, the INSERT and the spend's UPDATE or DELETE in one WITH; raw-statements.ts), no
    // transaction. SQLite (and unknown databases): a transaction whose first statement is that DELETE (… RETURNING),
    // so it takes the write lock at once; then the spend, rolled back with everything if it changes nothing; then the
    // INSERT (raw on SQLite, like PostgreSQL's: Prisma's Json input drops `__proto__`).
    exchangeIntermediateSession: (tokenHash, at, session, spend) =>
      run('exchangeIntermediateSession', async (): Promise<ExchangeResult> => {
        if (spend?.kind === 'recovery_code' && spend.candidates.length === 0) {
          // No code can match: refused, as consumeRecoveryCode answers null, once the IST is known to be live.
          const live = await prisma.totpIntermediateSession.findUnique({ where: { tokenHash } });
          return live !== null && live.expiresAt > at ? SPEND_REFUSED : IST_NOT_FOUND;
        }
        if (raw?.dialect === 'postgresql') {
          const values = [tokenHash, copyDate(at), ...sessionValues(session), ...spendValues(spend)];
          const rows = await prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(exchangeStatement(spend).sql, ...values);
          const row = rows[0];
          const consumed = row === undefined ? null : readPart<TotpIntermediateSessionRow>(row, 'i', 'TotpIntermediateSession');
          if (consumed === null) return spend !== undefined && isTrue(row?.live) ? SPEND_REFUSED : IST_NOT_FOUND;
          const exchanged = { status: 'exchanged', consumed: intermediateSessionRecord(consumed) } as const;
          return spend?.kind === 'recovery_code' ? { ...exchanged, recoveryCodesRemaining: Number(row!.remaining) } : exchanged;
        }
        try {
          return await transaction(async (tx) => {
            let consumed: TotpIntermediateSessionRow;
            try {
              consumed = await tx.totpIntermediateSession.delete({ where: { tokenHash, expiresAt: { gt: copyDate(at) } } });
            } catch (error) {
              // Prisma's "no row to delete", raised after the DELETE found nothing: the transaction has written nothing.
              if (isRecordNotFound(error)) return IST_NOT_FOUND;
              throw error;
            }
            // A refused spend throws SpendRefused, which rolls the DELETE back.
            const recoveryCodesRemaining = spend === undefined ? undefined : await makeSpend(tx, spend);
            if (raw === undefined) {
              await tx.totpMemberSession.create({ data: memberSessionRow(session) });
            } else {
              // Raw, so the JSON columns are exactly JSON.stringify of the record (an own `__proto__` key included).
              insertSessionStatement ??= buildInsertSessionStatement(raw.names, raw.dialect);
              await tx.$executeRawUnsafe(insertSessionStatement.sql, ...sessionValues(session));
            }
            const exchanged = { status: 'exchanged', consumed: intermediateSessionRecord(consumed) } as const;
            return recoveryCodesRemaining === undefined ? exchanged : { ...exchanged, recoveryCodesRemaining };
          });
        } catch (error) {
          if (error instanceof SpendRefused) return SPEND_REFUSED;
          throw error;
        }
      }),

    insertMemberSession: (session) =>
      run('insertMemberSession', async () => {
        await prisma.totpMemberSession.create({ data: memberSessionRow(session) });
      }),

    findMemberSessionByTokenHash: (tokenHash) =>
      run('findMemberSessionByTokenHash', async () => {
        const row = await prisma.totpMemberSession.findUnique({ where: { tokenHash } });
        return row === null ? null : memberSessionRecord(row);
      }),

    findMemberSessionById: (memberSessionId) =>
      run('findMemberSessionById', async () => {
        const row = await prisma.totpMemberSession.findUnique({ where: { memberSessionId } });
        return row === null ? null : memberSessionRecord(row);
      }),

    // PostgreSQL: one UPDATE … RETURNING, the factor merged in SQL (raw-statements.ts); a concurrent extension of the
    // session waits for its row lock and merges into what this one wrote. Elsewhere: a transaction (extendSession).
    extendMemberSession: (memberSessionId, update) =>
      run('extendMemberSession', async () => {
        if (raw?.dialect === 'postgresql') {
          const result = await extendInOneStatement(memberSessionId, update);
          return result.status === 'extended' ? result.session : null;
        }
        return (await extendSession(memberSessionId, update))?.session ?? null;
      }),

    // The session is checked (and locked) first, so with no live session nothing is spent; then the spend; then the
    // session's write, only if the spend changed a row. Concurrent calls spending one step or code, on any sessions,
    // queue on that registration's or code's row lock and re-check it: one spends, the others write nothing.
    // PostgreSQL: one statement (`live … FOR UPDATE`, `spent`, `extended`; raw-statements.ts), no transaction.
    // SQLite (and unknown databases): the extension's transaction with the spend between the session's lock and its
    // write; a refused spend rolls back the session's `last_accessed_at`, the one thing written before it.
    extendMemberSessionWithSpend: (memberSessionId, update, spend) =>
      run('extendMemberSessionWithSpend', async (): Promise<ExtendResult> => {
        if (raw?.dialect === 'postgresql') {
          if (spend.kind === 'recovery_code' && spend.candidates.length === 0) {
            // No code can match: refused, as consumeRecoveryCode answers null, once the session is known to be live
            // (one read, nothing locked or written; the transaction elsewhere refuses in makeSpend, before any spend).
            const live = await prisma.totpMemberSession.findUnique({ where: { memberSessionId } });
            return live !== null && live.revokedAt === null && live.expiresAt > update.at ? SPEND_REFUSED : SESSION_NOT_FOUND;
          }
          return extendInOneStatement(memberSessionId, update, spend);
        }
        try {
          const extended = await extendSession(memberSessionId, update, spend);
          if (extended === null) return SESSION_NOT_FOUND;
          const { session, recoveryCodesRemaining } = extended;
          return recoveryCodesRemaining === undefined
            ? { status: 'extended', session }
            : { status: 'extended', session, recoveryCodesRemaining };
        } catch (error) {
          if (error instanceof SpendRefused) return SPEND_REFUSED;
          throw error;
        }
      }),

    revokeMemberSession: (memberSessionId, at) =>
      run('revokeMemberSession', async () => {
        const { count } = await prisma.totpMemberSession.updateMany({
          where: { memberSessionId, revokedAt: null },
          data: { revokedAt: copyDate(at) },
        });
        if (count === 1) return true;
        return (await prisma.totpMemberSession.findUnique({ where: { memberSessionId } })) !== null;
      }),

    revokeMemberSessions: (memberId, at) =>
      run('revokeMemberSessions', async () => {
        const { count } = await prisma.totpMemberSession.updateMany({
          where: { memberId, revokedAt: null },
          data: { revokedAt: copyDate(at) },
        });
        return count;
      }),

    // ── Housekeeping ──

    purgeExpired: (before) =>
      run('purgeExpired', async () => {
        // Three independent statements: each deletes only rows nothing can use any more, so no transaction is needed,
        // and a pending registration's recovery codes go with it through the foreign key's ON DELETE CASCADE.
        const at = copyDate(before);
        const intermediate = await prisma.totpIntermediateSession.deleteMany({ where: { expiresAt: { lte: at } } });
        const sessions = await prisma.totpMemberSession.deleteMany({
          where: { OR: [{ expiresAt: { lte: at } }, { revokedAt: { lte: at } }] },
        });
        const pending = await prisma.totpRegistration.deleteMany({ where: { status: 'pending', expiresAt: { lte: at } } });
        return {
          intermediateSessions: intermediate.count,
          memberSessions: sessions.count,
          pendingRegistrations: pending.count,
        };
      }),
  };
}
