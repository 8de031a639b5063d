// PostgreSQL: beginMfaAttempt and grantMfaSession as one statement each, so that an authenticate or a recover is two
// round trips. They state core's rules (reserveAttempt, lockoutAfterSuccess, withFactor) in SQL: keep them in step.

import type { MfaAttemptContext, MfaAttemptQuery, MfaGrant } from '@totp/core';
import { memberKey } from './members';
import { TOTP_MODELS, type SqlNames, type TotpModel } from './names';
import { organizationKey } from './organizations';
import { intermediateSessionRecord, memberRecord, memberSessionRecord, organizationRecord, registrationRecord } from './rows';
import { isUniqueViolation } from './store-errors';
import type { MfaAttemptMethods, Store } from './transactions';

type Row = Record<string, unknown>;
const MODELS = {
  O: 'TotpOrganization',
  M: 'TotpMember',
  R: 'TotpRegistration',
  C: 'TotpRecoveryCode',
  I: 'TotpIntermediateSession',
  S: 'TotpMemberSession',
} as const;

/** SQL with `{M}` written for the TotpMember table and `{M.memberId}` for its column (MODELS' letters), named as the host named them. */
function sqlWith(names: SqlNames): (text: string) => string {
  return (text) =>
    text.replace(/\{([A-Z])(?:\.(\w+))?\}/g, (_, letter: keyof typeof MODELS, field?: string) =>
      field === undefined ? names.table(MODELS[letter]) : names.column(MODELS[letter], field as never),
    );
}

/** Every field of `model` as `"<part>.<field>"`, so that one result row carries several records; read back by `readAs`. */
const selectAs = (model: TotpModel, part: string, alias = '') =>
  TOTP_MODELS[model].fields.map((field) => `${alias}{${letterOf(model)}.${field}} AS "${part}.${field}"`).join(', ');
const letterOf = (model: TotpModel) => Object.entries(MODELS).find(([, m]) => m === model)![0];

/** The record `selectAs` put under `part`, as the model's row; null when the part is NULLs (not found). */
function readAs<T, R>(row: Row, model: TotpModel, part: string, toRecord: (row: T) => R): R | null {
  const fields = TOTP_MODELS[model].fields;
  if (row[`${part}.${fields[0]}`] === null || row[`${part}.${fields[0]}`] === undefined) return null;
  return toRecord(Object.fromEntries(fields.map((field) => [field, row[`${part}.${field}`]])) as T);
}

/** Built on first use, once per variant (how the records are named, which target and spend, how many candidates). */
function cached(build: (variant: string) => string): (variant: string) => string {
  const statements = new Map<string, string>();
  return (variant) => statements.get(variant) ?? statements.set(variant, build(variant)).get(variant)!;
}

/**
 * beginMfaAttempt: $1 the organization's key, $2 the member's, $3 the presented session's, $4 at, $5 maxFailedAttempts,
 * $6 lockExpiresAt. Each record is read by one unique index, the member's row locked (`m`): concurrent calls queue there,
 * and each reads the row as the one before it left it (READ COMMITTED re-reads a row it waited for). `e` holds the
 * member when every condition of the reservation holds; `r` is `reserveAttempt` on that row.
 */
function beginStatement(variant: string): string {
  const [organizationBy, memberBy, sessionBy, registration] = variant.split('/') as [
    string,
    string,
    string,
    MfaAttemptQuery['registration'],
  ];
  const [x, part] = sessionBy === 'intermediate' ? ['I', 'i'] : ['S', 's'];
  const live = part === 'i' ? `"i.expiresAt" > $4` : `"s.revokedAt" IS NULL AND "s.expiresAt" > $4`;
  const next = '(CASE WHEN {M.lockExpiresAt} IS NULL THEN {M.failedMfaAttempts} ELSE 0 END + 1)';
  const registrationOf = (status: 'active' | 'pending') =>
    `SELECT ${selectAs('TotpRegistration', status[0]!)} FROM {R} WHERE {R.organizationId} = (SELECT "m.organizationId" FROM "m") ` +
    `AND {R.memberId} = (SELECT "m.memberId" FROM "m") AND {R.status} = '${status}'`;
  return (
    `WITH "o" AS (SELECT ${selectAs('TotpOrganization', 'o')} FROM {O} WHERE {O.${organizationBy}} = $1), ` +
    `"m" AS (SELECT ${selectAs('TotpMember', 'm')} FROM {M} WHERE {M.organizationId} = (SELECT "o.organizationId" FROM "o") AND {M.${memberBy}} = $2 FOR NO KEY UPDATE), ` +
    `"a" AS (${registrationOf('active')}), "p" AS (${registrationOf('pending')}), ` +
    `"x" AS (SELECT ${selectAs(MODELS[x as 'I' | 'S'], part!)} FROM {${x}} WHERE {${x}.${sessionBy === 'intermediate' ? 'tokenHash' : sessionBy}} = $3), ` +
    `"e" AS (SELECT "m.memberId" FROM "m" WHERE "m.status" = 'active' ` +
    `AND EXISTS (SELECT 1 FROM "x" WHERE "${part}.organizationId" = "m.organizationId" AND "${part}.memberId" = "m.memberId" AND ${live}) ` +
    `AND (EXISTS (SELECT 1 FROM "a")${registration === 'active' ? '' : ` OR EXISTS (SELECT 1 FROM "p" WHERE "p.expiresAt" > $4)`})), ` +
    `"r" AS (UPDATE {M} SET {M.failedMfaAttempts} = ${next}, {M.lockCreatedAt} = CASE WHEN ${next} >= $5 THEN CAST($4 AS timestamp(3)) END, ` +
    `{M.lockExpiresAt} = CASE WHEN ${next} >= $5 THEN CAST($6 AS timestamp(3)) END ` +
    `WHERE {M.memberId} = (SELECT "m.memberId" FROM "e") AND ({M.lockExpiresAt} IS NULL OR {M.lockExpiresAt} <= $4) RETURNING {M.lockCreatedAt} IS NOT NULL AS "lockStarted") ` +
    `SELECT "o".*, "m".*, "a".*, "p".*, "x".*, EXISTS (SELECT 1 FROM "e") AS "eligible", "r"."lockStarted" FROM (SELECT 1) AS "q" ` +
    `LEFT JOIN "o" ON TRUE LEFT JOIN "m" ON TRUE LEFT JOIN "a" ON TRUE LEFT JOIN "p" ON TRUE LEFT JOIN "x" ON TRUE LEFT JOIN "r" ON TRUE`
  );
}

/**
 * grantMfaSession: $1 the target's key, $2 at, $3 organizationId, $4 memberId, $5 startedLockAt, $6..$8 the member's
 * patch (NULL: as it is), $9 the spend's registration, then the target's values from $10, then the spend's. Locks the
 * live IST or session (`live`), then the member (`owner`), then the registration or the codes, always in that order;
 * writes the session and the member only if `spent` changed a row. All of it one statement: all or nothing.
 */
function grantStatement(variant: string): string {
  const [target, spend, candidates] = variant.split('/') as [MfaGrant['target']['kind'], string, string];
  const at = target === 'exchange' ? 20 : 13;
  const stepIsNew = `({R.lastAcceptedStep} IS NULL OR {R.lastAcceptedStep} < $${at})`;
  const matches = Array.from({ length: Number(candidates) }, (_, i) => `({C.keyId} = $${at + 2 * i} AND {C.hash} = $${at + 2 * i + 1})`);
  const spent = {
    totp_step: `UPDATE {R} SET {R.lastAcceptedStep} = $${at} WHERE {R.totpRegistrationId} = $9 AND {R.status} = 'active' AND ${stepIsNew}`,
    activation:
      `UPDATE {R} SET {R.lastAcceptedStep} = $${at}, {R.status} = 'active', {R.expiresAt} = NULL, {R.activatedAt} = $2 ` +
      `WHERE {R.totpRegistrationId} = $9 AND {R.status} = 'pending' AND {R.expiresAt} > $2 AND ${stepIsNew}`,
    // After `codes` has locked them all (counted whole, so that it runs first), the one that matches.
    recovery_code: `DELETE FROM {C} WHERE {C.totpRegistrationId} = $9 AND (${matches.join(' OR ') || 'FALSE'}) AND (SELECT count(*) FROM "codes") > 0`,
  }[spend];
  // withFactor: the stored factors in their order, but those whose `type` and `delivery_method` both equal the new
  // factor's (as JSON values, as `===` compares them: an object or array equals nothing), then the new factor.
  const differs = (key: string) =>
    `("e"."f" -> '${key}' IS DISTINCT FROM CAST($11 AS jsonb) -> '${key}' OR COALESCE(jsonb_typeof("e"."f" -> '${key}'), '') IN ('object', 'array'))`;
  const kept =
    `SELECT jsonb_agg("e"."f" ORDER BY "e"."n") FROM jsonb_array_elements("t".{S.authenticationFactors}) WITH ORDINALITY AS "e"("f", "n") ` +
    `WHERE jsonb_typeof("e"."f") = 'null' OR ${differs('type')} OR ${differs('delivery_method')}`;
  const session =
    target === 'exchange'
      ? `"consumed" AS (DELETE FROM {I} WHERE {I.tokenHash} = $1 AND EXISTS (SELECT 1 FROM "spent") RETURNING 1), ` +
        `"session" AS (INSERT INTO {S} (${TOTP_MODELS.TotpMemberSession.fields.map((f) => `{S.${f}}`).join(', ')}) ` +
        `SELECT $10, $11, $12, $13, $14, $15, $16, CAST($17 AS jsonb), CAST($18 AS jsonb), $19 FROM "consumed" RETURNING ${selectAs('TotpMemberSession', 's')})`
      : `"session" AS (UPDATE {S} AS "t" SET {S.lastAccessedAt} = $2, {S.expiresAt} = GREATEST("t".{S.expiresAt}, $10), ` +
        `{S.authenticationFactors} = COALESCE((${kept}), '[]'::jsonb) || jsonb_build_array(CAST($11 AS jsonb)), ` +
        `{S.customClaims} = COALESCE(CAST($12 AS jsonb), "t".{S.customClaims}) ` +
        `WHERE {S.memberSessionId} = $1 AND EXISTS (SELECT 1 FROM "spent") RETURNING ${selectAs('TotpMemberSession', 's', '"t".')})`;
  // lockoutAfterSuccess: the count and the lock stay only while a lock is in force that this attempt did not start.
  const keep = `{M.lockExpiresAt} > $2 AND (CAST($5 AS timestamp(3)) IS NULL OR {M.lockCreatedAt} IS NULL OR {M.lockCreatedAt} <> $5)`;
  return (
    (target === 'exchange'
      ? `WITH "live" AS (SELECT 1 FROM {I} WHERE {I.tokenHash} = $1 AND {I.expiresAt} > $2 FOR UPDATE), `
      : `WITH "live" AS (SELECT 1 FROM {S} WHERE {S.memberSessionId} = $1 AND {S.revokedAt} IS NULL AND {S.expiresAt} > $2 FOR UPDATE), `) +
    // NO KEY UPDATE, as an UPDATE takes: it queues grants and reservations, not the foreign key checks of new sessions.
    `"owner" AS (SELECT 1 FROM {M} WHERE {M.organizationId} = $3 AND {M.memberId} = $4 AND EXISTS (SELECT 1 FROM "live") FOR NO KEY UPDATE), ` +
    (spend === 'recovery_code'
      ? `"codes" AS (SELECT 1 FROM {C} WHERE {C.totpRegistrationId} = $9 AND EXISTS (SELECT 1 FROM "owner") FOR UPDATE), `
      : '') +
    `"spent" AS (${spent} AND EXISTS (SELECT 1 FROM "owner") RETURNING 1), ${session}, ` +
    `"member" AS (UPDATE {M} SET {M.failedMfaAttempts} = CASE WHEN ${keep} THEN {M.failedMfaAttempts} ELSE 0 END, ` +
    `{M.lockCreatedAt} = CASE WHEN ${keep} THEN {M.lockCreatedAt} END, {M.lockExpiresAt} = CASE WHEN ${keep} THEN {M.lockExpiresAt} END, ` +
    `{M.mfaEnrolled} = COALESCE($6, {M.mfaEnrolled}), {M.defaultMfaMethod} = COALESCE($7, {M.defaultMfaMethod}), ` +
    `{M.totpRegistrationId} = ${spend === 'activation' ? '$9' : '{M.totpRegistrationId}'}, {M.updatedAt} = COALESCE(CAST($8 AS timestamp(3)), {M.updatedAt}) ` +
    `WHERE {M.organizationId} = $3 AND {M.memberId} = $4 AND EXISTS (SELECT 1 FROM "spent") RETURNING ${selectAs('TotpMember', 'n')}) ` +
    `SELECT EXISTS (SELECT 1 FROM "live") AS "live", ` +
    (spend === 'recovery_code' ? `(SELECT count(*) FROM "codes") - (SELECT count(*) FROM "spent") AS "remaining", ` : '') +
    `"session".*, "member".* FROM (SELECT 1) AS "q" LEFT JOIN "session" ON TRUE LEFT JOIN "member" ON TRUE`
  );
}

export function postgresMfaAttemptMethods({ prisma, names }: Store): MfaAttemptMethods {
  const sql = sqlWith(names);
  const begin = cached((variant) => sql(beginStatement(variant)));
  const grant = cached((variant) => sql(grantStatement(variant)));
  return {
    async beginMfaAttempt(query) {
      // An identifier that can match nothing (an empty one) is NULL, which equals nothing.
      const [organizationBy, organizationKeyValue] = Object.entries(
        organizationKey(query.organization) ?? { organizationExternalId: null },
      )[0]!;
      const [memberBy, memberKeyValue] = Object.entries(memberKey(query.member) ?? { memberId: null })[0]!;
      const { session, registration, reservation } = query;
      const sessionBy =
        session === undefined || session.kind === 'intermediate'
          ? 'intermediate'
          : 'tokenHash' in session
            ? 'tokenHash'
            : 'memberSessionId';
      const sessionKey = session === undefined ? null : 'tokenHash' in session ? session.tokenHash : session.memberSessionId;
      const values = [
        organizationKeyValue,
        memberKeyValue,
        sessionKey,
        reservation.at,
        reservation.maxFailedAttempts,
        reservation.lockExpiresAt,
      ];
      const [row = {}] = await prisma.$queryRawUnsafe<Row[]>(
        begin(`${organizationBy}/${memberBy}/${sessionBy}/${registration}`),
        ...values,
      );
      const lockStarted = row.lockStarted as boolean | null;
      const context: MfaAttemptContext = {
        organization: readAs(row, 'TotpOrganization', 'o', organizationRecord),
        member: readAs(row, 'TotpMember', 'm', memberRecord),
        registrations: {
          active: readAs(row, 'TotpRegistration', 'a', registrationRecord),
          pending: readAs(row, 'TotpRegistration', 'p', registrationRecord),
        },
        intermediateSession: readAs(row, 'TotpIntermediateSession', 'i', intermediateSessionRecord),
        memberSession: readAs(row, 'TotpMemberSession', 's', memberSessionRecord),
        reservation: row.eligible !== true ? null : lockStarted === null ? { status: 'locked' } : { status: 'reserved', lockStarted },
      };
      return context;
    },

    async grantMfaSession({ at, spend, target, member: { organizationId, memberId, startedLockAt, patch } }) {
      const updatedAt = patch?.updatedAt ?? (spend.kind === 'activation' ? at : null);
      const values: unknown[] = [
        target.kind === 'exchange' ? target.intermediateSessionTokenHash : target.memberSessionId,
        at,
        organizationId,
        memberId,
        startedLockAt,
      ];
      values.push(patch?.mfaEnrolled ?? null, patch?.defaultMfaMethod ?? null, updatedAt, spend.totpRegistrationId);
      if (target.kind === 'exchange') {
        const s = target.session;
        values.push(s.memberSessionId, s.tokenHash, s.organizationId, s.memberId, s.startedAt, s.lastAccessedAt, s.expiresAt);
        values.push(JSON.stringify(s.authenticationFactors), JSON.stringify(s.customClaims), s.revokedAt);
      } else {
        values.push(
          target.expiresAt,
          JSON.stringify(target.factor),
          target.customClaims === undefined ? null : JSON.stringify(target.customClaims),
        );
      }
      values.push(...(spend.kind === 'recovery_code' ? spend.candidates.flatMap((k) => [k.keyId, k.hash]) : [BigInt(spend.step)]));
      const candidates = spend.kind === 'recovery_code' ? spend.candidates.length : 0;
      let row: Row;
      try {
        [row = {}] = await prisma.$queryRawUnsafe<Row[]>(grant(`${target.kind}/${spend.kind}/${candidates}`), ...values);
      } catch (error) {
        // An activation whose member already has an active registration: the unique index refuses it, a failed condition.
        if (spend.kind === 'activation' && isUniqueViolation(error)) return { status: 'spend_refused' };
        throw error;
      }
      if (row.live !== true) return { status: 'session_not_found' };
      const session = readAs(row, 'TotpMemberSession', 's', memberSessionRecord);
      const member = readAs(row, 'TotpMember', 'n', memberRecord);
      if (session === null || member === null) return { status: 'spend_refused' };
      return { status: 'granted', session, member, recoveryCodesRemaining: spend.kind === 'recovery_code' ? Number(row.remaining) : null };
    },
  };
}
