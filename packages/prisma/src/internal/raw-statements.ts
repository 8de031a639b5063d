// The statements Prisma's query API cannot express as one round trip, written as raw SQL over the names the host's
// client resolves (table-names.ts), and the reading of their rows back into the row shapes of client-shape.ts.
//   findMfaContext: organization + member + its registrations + the presented sessions, one SELECT (both databases).
//   exchangeIntermediateSession: DELETE the IST and INSERT the member session (and spend a time step or a recovery
//   code when asked), one statement (PostgreSQL only).
//   extendMemberSession / extendMemberSessionWithSpend: UPDATE the live member session, merging the factor in SQL
//   (and spend a time step or a recovery code first, for the latter), one statement (PostgreSQL only).
// (And the plain session INSERT the SQLite exchange writes its session with.)
// Values always travel as positional parameters; the only literals are the adapter's own constants.

import type { MemberLookup, OrganizationLookup } from '@totp/core';
import {
  RAW_MODELS,
  qualifiedTable,
  quoteIdentifier,
  type FieldKind,
  type RawModel,
  type ResolvedNames,
  type ResolvedTable,
} from './table-names';

export type Dialect = 'postgresql' | 'sqlite';

/** Which statement of the family: how the organization and member are named, and which sessions are asked for. */
export interface MfaContextVariant {
  organizationBy: OrganizationLookup['by'];
  memberBy: MemberLookup['by'];
  intermediateSession: boolean;
  memberSession: boolean;
}

/** A statement and the name of each of its parameters, in order. */
export interface RawStatement<P extends string = string> {
  sql: string;
  params: readonly P[];
}

/** The table aliases of the context statement; each part of a row is read by its alias. */
export const CONTEXT_PARTS = {
  organization: ['o', 'TotpOrganization'],
  member: ['m', 'TotpMember'],
  active: ['a', 'TotpRegistration'],
  pending: ['p', 'TotpRegistration'],
  intermediateSession: ['i', 'TotpIntermediateSession'],
  memberSession: ['s', 'TotpMemberSession'],
} as const satisfies Record<string, readonly [alias: string, model: RawModel]>;

const placeholder = (dialect: Dialect, index: number) => (dialect === 'postgresql' ? `$${index}` : '?');

/** `"o"."organization_id" AS "o.organizationId", …`: every field of the model, under `alias.field`. */
function selectList(alias: string, model: RawModel, table: ResolvedTable): string[] {
  return Object.keys(RAW_MODELS[model].fields).map(
    (field) => `${quoteIdentifier(alias)}.${quoteIdentifier(table.columns[field]!)} AS ${quoteIdentifier(`${alias}.${field}`)}`,
  );
}

const column = (alias: string, table: ResolvedTable, field: string) => `${quoteIdentifier(alias)}.${quoteIdentifier(table.columns[field]!)}`;

/**
 * One SELECT that always returns exactly one row: a one-row derived table LEFT JOINed to the organization (by one
 * unique key), its member (primary key, or the (organization, external ID) unique index), the member's active and
 * pending registrations (the (organization, member, status) unique index) and, when asked for, the intermediate
 * session and member session by token hash (primary key, unique index). A part that is not there comes back as NULLs.
 * On PostgreSQL each part is a `LATERAL (… OFFSET 0)` subquery: the planner plans each one on its own instead of
 * searching join orders over six tables, which takes about a third off the planning time of every call (statements
 * are unnamed, so they are planned every time). SQLite has no LATERAL: plain LEFT JOINs (its planning is cheap).
 */
export function buildMfaContextStatement(
  names: ResolvedNames,
  dialect: Dialect,
  variant: MfaContextVariant,
): RawStatement<'organization' | 'member' | 'intermediateSession' | 'memberSession'> {
  const t = names.tables;
  const params: Array<'organization' | 'member' | 'intermediateSession' | 'memberSession'> = [];
  const next = (param: (typeof params)[number]) => {
    params.push(param);
    return placeholder(dialect, params.length);
  };
  const organizationKey = { id: 'organizationId', slug: 'organizationSlug', externalId: 'organizationExternalId' }[variant.organizationBy];
  const memberKey = { id: 'memberId', externalId: 'externalId' }[variant.memberBy];

  const select: string[] = [];
  const joins: string[] = [];
  /** Adds a part: its columns to the select list, its table to the FROM clause under `alias`, found by `condition`. */
  const part = (alias: string, model: RawModel, condition: string) => {
    const table = t[model];
    select.push(...selectList(alias, model, table));
    const source = `${qualifiedTable(table)} AS ${quoteIdentifier(alias)}`;
    if (dialect === 'sqlite') {
      joins.push(`LEFT JOIN ${source} ON ${condition}`);
      return;
    }
    const columns = Object.keys(RAW_MODELS[model].fields).map((field) => column(alias, table, field));
    joins.push(`LEFT JOIN LATERAL (SELECT ${columns.join(', ')} FROM ${source} WHERE ${condition} OFFSET 0) AS ${quoteIdentifier(alias)} ON TRUE`);
  };
  const [o, m] = ['o', 'm'] as const;
  part(o, 'TotpOrganization', `${column(o, t.TotpOrganization, organizationKey)} = ${next('organization')}`);
  part(
    m,
    'TotpMember',
    `${column(m, t.TotpMember, 'organizationId')} = ${column(o, t.TotpOrganization, 'organizationId')} AND ${column(m, t.TotpMember, memberKey)} = ${next('member')}`,
  );
  for (const [alias, status] of [
    ['a', 'active'],
    ['p', 'pending'],
  ] as const) {
    const registration = (field: string) => column(alias, t.TotpRegistration, field);
    part(
      alias,
      'TotpRegistration',
      [
        `${registration('organizationId')} = ${column(m, t.TotpMember, 'organizationId')}`,
        `${registration('memberId')} = ${column(m, t.TotpMember, 'memberId')}`,
        `${registration('status')} = '${status}'`,
      ].join(' AND '),
    );
  }
  if (variant.intermediateSession) {
    part('i', 'TotpIntermediateSession', `${column('i', t.TotpIntermediateSession, 'tokenHash')} = ${next('intermediateSession')}`);
  }
  if (variant.memberSession) {
    part('s', 'TotpMemberSession', `${column('s', t.TotpMemberSession, 'tokenHash')} = ${next('memberSession')}`);
  }
  const sql = `SELECT ${select.join(', ')} FROM (SELECT 1 AS "one") AS "q" ${joins.join(' ')}`;
  return { sql, params };
}

/** The parameters of the exchange statement, in order: the IST's key and time, then the new session's columns. */
export const EXCHANGE_SESSION_FIELDS = [
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
] as const satisfies ReadonlyArray<keyof (typeof RAW_MODELS)['TotpMemberSession']['fields']>;

/** What the exchange statement spends with the IST: nothing, a time step, or a recovery code (`candidates` hashes). */
export type ExchangeStatementSpend = { kind: 'none' } | { kind: 'totp_step' } | { kind: 'recovery_code'; candidates: number };

/**
 * PostgreSQL, one statement: `WITH consumed AS (DELETE … WHERE token_hash = $1 AND expires_at > $2 RETURNING …),
 * inserted AS (INSERT INTO member sessions … SELECT $3 … $12 FROM consumed) SELECT … FROM consumed`. The INSERT
 * writes a row only if the DELETE removed one, and both happen or neither (one statement). Of concurrent callers, the
 * first DELETE takes the row lock; the others wait for it, find the row gone (READ COMMITTED re-checks) and write nothing.
 * The parameters' types are inferred from the columns they are compared with or inserted into.
 *
 * With a spend, the exchange also uses up a time step ($13 on registration $14) or a recovery code (registration
 * $13, then each candidate's key ID and hash), all or nothing:
 *   live     SELECT … FOR UPDATE the IST row: locks it first, so the spend is looked at only with a live IST;
 *   spent    UPDATE the registration's step where it is active and the step new, or DELETE the matching code, and
 *            only if `live` found the IST;
 *   consumed DELETE the IST only if `spent` changed a row; inserted, as above, only if `consumed` did.
 * The one row returned says whether the IST was live (`live`), how many codes are left for a recovery code
 * (`remaining`, as of the statement's snapshot, less the one spent) and carries the consumed IST's columns (NULL
 * when nothing was written). Concurrent callers with one IST queue on its row lock and find it gone; with different
 * ISTs and one step or code they queue on that row's lock, re-check it and spend nothing, so their IST is neither
 * deleted nor their session stored. Locks are taken IST first, then registration or code, always.
 */
export function buildExchangeStatement(names: ResolvedNames, spend: ExchangeStatementSpend = { kind: 'none' }): RawStatement {
  const ist = names.tables.TotpIntermediateSession;
  const session = names.tables.TotpMemberSession;
  const returning = Object.keys(RAW_MODELS.TotpIntermediateSession.fields).map(
    (field) => `${quoteIdentifier(ist.columns[field]!)} AS ${quoteIdentifier(`i.${field}`)}`,
  );
  const insertColumns = EXCHANGE_SESSION_FIELDS.map((field) => quoteIdentifier(session.columns[field]!));
  const values = EXCHANGE_SESSION_FIELDS.map((_, index) => `$${index + 3}`);
  const consumed = Object.keys(RAW_MODELS.TotpIntermediateSession.fields).map((field) => quoteIdentifier(`i.${field}`));
  const live = `${quoteIdentifier(ist.columns.tokenHash!)} = $1 AND ${quoteIdentifier(ist.columns.expiresAt!)} > $2`;
  const inserted = `"inserted" AS (INSERT INTO ${qualifiedTable(session)} (${insertColumns.join(', ')}) SELECT ${values.join(', ')} FROM "consumed")`;
  const params = ['tokenHash', 'at', ...EXCHANGE_SESSION_FIELDS];
  if (spend.kind === 'none') {
    const sql =
      `WITH "consumed" AS (DELETE FROM ${qualifiedTable(ist)} WHERE ${live} RETURNING ${returning.join(', ')}), ${inserted} ` +
      `SELECT ${consumed.join(', ')} FROM "consumed"`;
    return { sql, params };
  }
  let next = EXCHANGE_SESSION_FIELDS.length + 3;
  const { spent, remaining } = spendParts(names, spend, (name) => {
    params.push(name);
    return `$${next++}`;
  });
  const sql =
    `WITH "live" AS (SELECT 1 FROM ${qualifiedTable(ist)} WHERE ${live} FOR UPDATE), ` +
    `"spent" AS (${spent}), ` +
    `"consumed" AS (DELETE FROM ${qualifiedTable(ist)} WHERE ${live} AND EXISTS (SELECT 1 FROM "spent") RETURNING ${returning.join(', ')}), ` +
    `${inserted} ` +
    `SELECT EXISTS (SELECT 1 FROM "live") AS "live", ${remaining}${consumed.join(', ')} FROM (SELECT 1 AS "one") AS "q" LEFT JOIN "consumed" ON TRUE`;
  return { sql, params };
}

/**
 * The `spent` part of a statement that spends a proof after its `live` part has locked the row the proof goes with
 * (the exchange's IST, the extension's member session), and, for a recovery code, the `"remaining", ` select item.
 * `param` names the next positional parameter and returns its placeholder. A time step takes `step` then
 * `totpRegistrationId`; a recovery code `totpRegistrationId`, then `keyId<i>` and `hash<i>` per candidate.
 *   totp_step      UPDATE the registration's last_accepted_step where it is active and the step new;
 *   recovery_code  DELETE the registration's code matching one of the candidates (key ID and hash);
 * each only if `live` found its row. `remaining` counts the registration's codes as of the statement's snapshot, less
 * the one `spent` deleted (the DELETE's own effect is not visible to the count: one snapshot for the whole statement).
 */
function spendParts(
  names: ResolvedNames,
  spend: Exclude<ExchangeStatementSpend, { kind: 'none' }>,
  param: (name: string) => string,
): { spent: string; remaining: string } {
  if (spend.kind === 'totp_step') {
    const registration = names.tables.TotpRegistration;
    const step = quoteIdentifier(registration.columns.lastAcceptedStep!);
    const [stepParam, registrationParam] = [param('step'), param('totpRegistrationId')];
    const stepIsNew =
      `${quoteIdentifier(registration.columns.totpRegistrationId!)} = ${registrationParam} AND ` +
      `${quoteIdentifier(registration.columns.status!)} = 'active' AND (${step} IS NULL OR ${step} < ${stepParam})`;
    return {
      spent: `UPDATE ${qualifiedTable(registration)} SET ${step} = ${stepParam} WHERE ${stepIsNew} AND EXISTS (SELECT 1 FROM "live") RETURNING 1`,
      remaining: '',
    };
  }
  const codes = names.tables.TotpRecoveryCode;
  const ofRegistration = `${quoteIdentifier(codes.columns.totpRegistrationId!)} = ${param('totpRegistrationId')}`;
  const matches = Array.from(
    { length: spend.candidates },
    (_, i) => `(${quoteIdentifier(codes.columns.keyId!)} = ${param(`keyId${i}`)} AND ${quoteIdentifier(codes.columns.hash!)} = ${param(`hash${i}`)})`,
  );
  return {
    spent: `DELETE FROM ${qualifiedTable(codes)} WHERE ${ofRegistration} AND (${matches.join(' OR ')}) AND EXISTS (SELECT 1 FROM "live") RETURNING 1`,
    remaining: `CAST((SELECT count(*) FROM ${qualifiedTable(codes)} WHERE ${ofRegistration}) - (SELECT count(*) FROM "spent") AS INTEGER) AS "remaining", `,
  };
}

/** The parameters every extension statement starts with, in order (the spend's follow, as spendParts names them). */
export const EXTEND_SESSION_PARAMS = ['memberSessionId', 'at', 'expiresAt', 'factor', 'customClaims'] as const;

/**
 * PostgreSQL, one statement: extendMemberSession's, or extendMemberSessionWithSpend's with a time step or a recovery
 * code (`candidates` hashes). Parameters: EXTEND_SESSION_PARAMS, then the spend's (see spendParts). `factor` and
 * `customClaims` are `JSON.stringify` text or NULL (no factor to add; claims unchanged), cast to jsonb; `at` and
 * `expiresAt` take their types from the columns they meet.
 *
 * The session's write, `extended`, is one `UPDATE … AS "s" SET last_accessed_at = $2,
 * expires_at = GREATEST(s.expires_at, $3), authentication_factors = <merged>, custom_claims = COALESCE($5, s.…)
 * RETURNING` every column (under `s.<field>`, for readPart). <merged> is withFactor's merge in SQL: the elements of
 * the stored array, in their order (WITH ORDINALITY … ORDER BY), but those whose `type` and `delivery_method` are both
 * equal to the factor's as JSON values (so 1 and "1" differ, and a key that is missing matches only a missing key),
 * then the factor; '[]' rather than NULL when none is kept; the array unchanged when $4 is NULL. JavaScript's `===`
 * never holds between two objects, so an object or array `type` or `delivery_method` never matches; a JSON null
 * element, on which withFactor would throw, is kept.
 *
 * Without a spend the statement is that UPDATE alone, `WHERE member_session_id = $1 AND revoked_at IS NULL AND
 * expires_at > $2`, and returns the session's row or none. The UPDATE takes the row lock; a concurrent extension of
 * the same session waits for it and then, under READ COMMITTED, re-checks the WHERE on the newest version of the row
 * and computes the SET from that version (PostgreSQL's EvalPlanQual), so it merges its factor into the factors the
 * other wrote, and none is lost.
 *
 * With a spend (lock order: session, then registration or code, as the exchange's IST then registration or code):
 *   live      SELECT 1 … FOR UPDATE the live session: locks it first, so the spend is looked at only with a live
 *             session, and concurrent calls on one session run one after the other from here on (a waiting one
 *             re-checks liveness on the row the other left);
 *   spent     the step's UPDATE or the code's DELETE (spendParts), only if `live` found the session: concurrent
 *             spenders of one step or code, on any sessions, queue on that row's lock and re-check it; one changes it;
 *   extended  the UPDATE above, by primary key alone (`live` holds the row's lock, so it is still live), only if
 *             `spent` changed a row. Its scan may find the row's version of the statement's snapshot, older than the
 *             one `live` locked after waiting; the UPDATE then follows to the newest version and computes the SET
 *             from it, as above, so the factors another call wrote meanwhile are kept.
 * The one row returned says whether the session was live (`live`), how many codes are left for a recovery code
 * (`remaining`, as of the statement's snapshot, less the one spent: codes spent by others after the snapshot was
 * taken still count) and carries the session as `extended` left it (NULLs when nothing was written). A call whose
 * session is not live writes nothing and spends nothing; one whose spend changes no row writes nothing either, not even
 * `last_accessed_at` (the only UPDATE of the session is `extended`).
 */
export function buildExtendSessionStatement(names: ResolvedNames, spend: ExchangeStatementSpend = { kind: 'none' }): RawStatement {
  const session = names.tables.TotpMemberSession;
  const name = (field: string) => quoteIdentifier(session.columns[field]!);
  const s = (field: string) => `"s".${name(field)}`;
  const fields = Object.keys(RAW_MODELS.TotpMemberSession.fields);
  const returning = fields.map((field) => `${s(field)} AS ${quoteIdentifier(`s.${field}`)}`);
  const table = qualifiedTable(session);

  // The factor merge: JavaScript's `element.type === factor.type && element.delivery_method === factor.delivery_method`
  // on JSON values. `->` gives NULL for a key that is not there (and on an element that is not an object), which IS
  // NOT DISTINCT FROM only another missing key, as undefined === undefined.
  const element = '"e"."f"';
  const differs = (key: string) =>
    `(${element} -> '${key}' IS DISTINCT FROM $4::jsonb -> '${key}' OR COALESCE(jsonb_typeof(${element} -> '${key}'), '') IN ('object', 'array'))`;
  const kept =
    `SELECT jsonb_agg(${element} ORDER BY "e"."n") FROM jsonb_array_elements(${s('authenticationFactors')}) WITH ORDINALITY AS "e"("f", "n") ` +
    `WHERE jsonb_typeof(${element}) = 'null' OR ${differs('type')} OR ${differs('delivery_method')}`;
  const set = [
    `${name('lastAccessedAt')} = $2`,
    `${name('expiresAt')} = GREATEST(${s('expiresAt')}, $3)`,
    `${name('authenticationFactors')} = CASE WHEN $4::jsonb IS NULL THEN ${s('authenticationFactors')} ` +
      `ELSE COALESCE((${kept}), '[]'::jsonb) || jsonb_build_array($4::jsonb) END`,
    `${name('customClaims')} = COALESCE($5::jsonb, ${s('customClaims')})`,
  ].join(', ');
  const live = `${name('memberSessionId')} = $1 AND ${name('revokedAt')} IS NULL AND ${name('expiresAt')} > $2`;
  const update = (where: string) => `UPDATE ${table} AS "s" SET ${set} WHERE ${where} RETURNING ${returning.join(', ')}`;
  const params: string[] = [...EXTEND_SESSION_PARAMS];
  if (spend.kind === 'none') {
    return { sql: update(`${s('memberSessionId')} = $1 AND ${s('revokedAt')} IS NULL AND ${s('expiresAt')} > $2`), params };
  }
  let next = EXTEND_SESSION_PARAMS.length + 1;
  const { spent, remaining } = spendParts(names, spend, (param) => {
    params.push(param);
    return `$${next++}`;
  });
  const extended = fields.map((field) => quoteIdentifier(`s.${field}`));
  const sql =
    `WITH "live" AS (SELECT 1 FROM ${table} WHERE ${live} FOR UPDATE), ` +
    `"spent" AS (${spent}), ` +
    `"extended" AS (${update(`${s('memberSessionId')} = $1 AND EXISTS (SELECT 1 FROM "spent")`)}) ` +
    `SELECT EXISTS (SELECT 1 FROM "live") AS "live", ${remaining}${extended.join(', ')} FROM (SELECT 1 AS "one") AS "q" LEFT JOIN "extended" ON TRUE`;
  return { sql, params };
}

/**
 * `INSERT INTO member sessions (…) VALUES (…)` with the session's columns as parameters, in EXCHANGE_SESSION_FIELDS
 * order. The SQLite exchange writes its session with it (inside its transaction) so that the JSON columns hold exactly
 * `JSON.stringify` of the record, as the PostgreSQL statement does: Prisma's Json input drops an own `__proto__` key.
 */
export function buildInsertSessionStatement(names: ResolvedNames, dialect: Dialect): RawStatement {
  const session = names.tables.TotpMemberSession;
  const columns = EXCHANGE_SESSION_FIELDS.map((field) => quoteIdentifier(session.columns[field]!));
  const values = EXCHANGE_SESSION_FIELDS.map((_, index) => placeholder(dialect, index + 1));
  return {
    sql: `INSERT INTO ${qualifiedTable(session)} (${columns.join(', ')}) VALUES (${values.join(', ')})`,
    params: EXCHANGE_SESSION_FIELDS,
  };
}

// ── Reading rows ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * A DateTime column's value as a Date. Through Prisma's raw queries it normally already is one; a string is what a
 * driver gives for a column type it does not map (ISO-8601 text on SQLite, `YYYY-MM-DD HH:MM:SS.mmm` on PostgreSQL),
 * read as UTC when it names no offset, as Prisma writes it; a number is epoch milliseconds (SQLite's unixepoch-ms).
 */
function toDate(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string') {
    let text = value.trim().replace(' ', 'T');
    if (!/(Z|[+-]\d\d(:?\d\d)?)$/i.test(text)) text += 'Z';
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TypeError(`@totp/prisma: not a timestamp: ${String(value)}`);
}

function coerce(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'int':
      return typeof value === 'number' ? value : Number(value);
    case 'bigint':
      return typeof value === 'bigint' ? value : BigInt(value as number | string);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return value === '1' || value === 't' || value === 'true';
      return Number(value) !== 0;
    case 'datetime':
      return toDate(value);
    case 'json':
      // Our JSON columns hold arrays and objects only: a string is JSON text the driver did not parse.
      return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  }
}

/**
 * The part of `row` under `alias` as the model's row (the shape the delegates return), or null when its primary key
 * column is NULL (the LEFT JOIN found nothing).
 */
export function readPart<Row>(row: Record<string, unknown>, alias: string, model: RawModel): Row | null {
  const fields = RAW_MODELS[model].fields as Record<string, readonly [string, FieldKind]>;
  const [key] = Object.keys(fields);
  if (row[`${alias}.${key}`] === null || row[`${alias}.${key}`] === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const [field, [, kind]] of Object.entries(fields)) out[field] = coerce(kind, row[`${alias}.${field}`]);
  return out as Row;
}
