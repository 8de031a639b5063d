// The port's MFA attempt methods (packages/core domain/repository.ts), beginMfaAttempt and grantMfaSession, in raw SQL:
// one statement each on PostgreSQL; on SQLite, which has no writes inside a WITH, the fewest statements the spend allows.

import {
  TotpError,
  reserveAttempt,
  withFactor,
  type AuthenticationFactor,
  type MfaAttemptContext,
  type MfaGrant,
  type MfaGrantResult,
  type TotpRepository,
} from '@totp/core';
import type { PrismaProvider } from './client-shape';
import { memberKey } from './members';
import { organizationKey } from './organizations';
import { intermediateSessionRecord, memberRecord, memberSessionRecord, organizationRecord, registrationRecord } from './rows';
import { extendSessionSql, extensionValues } from './sessions';
import { TOTP_MODELS, dialect, readAs, selectAs, type Row, type Statement } from './names';
import { isUniqueViolation } from './store-errors';
import type { Store } from './transactions';

/**
 * beginMfaAttempt: $1 the organization's key, $2 the member's, $3 the presented session's, $4 at, $5 maxFailedAttempts,
 * $6 lockExpiresAt. Each record is read by one unique index; `e` holds the member when every condition of the reservation
 * holds. On PostgreSQL the member's row is locked (`m`): concurrent calls queue there, and each reads the row as the one
 * before it left it (READ COMMITTED re-reads a row it waited for); `r` is `reserveAttempt` on that row. On SQLite, the
 * read, and then a compare-and-set: core's `reserveAttempt` state ($7..$9), written only if every condition still holds
 * and the member's lockout fields are still those it was computed from ($10..$12), so that every reservation follows
 * from the one before it, whichever process made it.
 */
function beginSql(variant: string, postgres: boolean): string[] {
  const [organizationBy, memberBy, sessionBy, registration] = variant.split('/');
  const [x, part] = sessionBy === 'intermediate' ? ['I', 'i'] : ['S', 's'];
  const live = part === 'i' ? `"i.expiresAt" > $4` : `"s.revokedAt" IS NULL AND "s.expiresAt" > $4`;
  const next = '(CASE WHEN {M.lockExpiresAt} IS NULL THEN {M.failedMfaAttempts} ELSE 0 END + 1)';
  const registrationOf = (status: 'active' | 'pending') =>
    `SELECT ${selectAs('TotpRegistration', status[0]!)} FROM {R} WHERE {R.organizationId} = (SELECT "m.organizationId" FROM "m") ` +
    `AND {R.memberId} = (SELECT "m.memberId" FROM "m") AND {R.status} = '${status}'`;
  const parts = ['o', 'm', 'a', 'p', 'x', ...(postgres ? ['r'] : [])];
  const reads =
    `WITH "o" AS (SELECT ${selectAs('TotpOrganization', 'o')} FROM {O} WHERE {O.${organizationBy}} = $1), ` +
    `"m" AS (SELECT ${selectAs('TotpMember', 'm')} FROM {M} WHERE {M.organizationId} = (SELECT "o.organizationId" FROM "o") ` +
    `AND {M.${memberBy}} = $2${postgres ? ' FOR NO KEY UPDATE' : ''}), ` +
    `"a" AS (${registrationOf('active')}), "p" AS (${registrationOf('pending')}), ` +
    `"x" AS (SELECT ${selectAs(x === 'I' ? 'TotpIntermediateSession' : 'TotpMemberSession', part!)} FROM {${x}} ` +
    `WHERE {${x}.${sessionBy === 'intermediate' ? 'tokenHash' : sessionBy}} = $3), ` +
    `"e" AS (SELECT "m.memberId" FROM "m" WHERE "m.status" = 'active' ` +
    `AND EXISTS (SELECT 1 FROM "x" WHERE "${part}.organizationId" = "m.organizationId" ` +
    `AND "${part}.memberId" = "m.memberId" AND ${live}) ` +
    `AND (EXISTS (SELECT 1 FROM "a")${registration === 'active' ? '' : ` OR EXISTS (SELECT 1 FROM "p" WHERE "p.expiresAt" > $4)`}))`;
  const read =
    reads +
    (postgres
      ? `, "r" AS (UPDATE {M} SET {M.failedMfaAttempts} = ${next}, ` +
        `{M.lockCreatedAt} = CASE WHEN ${next} >= $5 THEN CAST($4 AS timestamp(3)) END, ` +
        `{M.lockExpiresAt} = CASE WHEN ${next} >= $5 THEN CAST($6 AS timestamp(3)) END ` +
        `WHERE {M.memberId} = (SELECT "m.memberId" FROM "e") AND ({M.lockExpiresAt} IS NULL OR {M.lockExpiresAt} <= $4) ` +
        `RETURNING {M.lockCreatedAt} IS NOT NULL AS "lockStarted")`
      : '') +
    ` SELECT ${parts.map((p) => `"${p}".*`).join(', ')}, EXISTS (SELECT 1 FROM "e") AS "eligible" FROM (SELECT 1) AS "q" ` +
    parts.map((p) => `LEFT JOIN "${p}" ON TRUE`).join(' ');
  const reserve =
    `${reads} UPDATE {M} SET {M.failedMfaAttempts} = $7, {M.lockCreatedAt} = $8, {M.lockExpiresAt} = $9 ` +
    `WHERE {M.memberId} = (SELECT "m.memberId" FROM "e") ` +
    `AND {M.failedMfaAttempts} = $10 AND {M.lockCreatedAt} IS $11 AND {M.lockExpiresAt} IS $12`;
  return postgres ? [read] : [read, reserve];
}

/**
 * grantMfaSession's statements: $1 the target's key, $2 at, $3 organizationId, $4 memberId, $5 startedLockAt, $6..$8 the
 * member's patch (NULL: as it is), $9 the spend's registration, then the target's values from $10, then the spend's.
 * `spent` is the spend, a conditional write that is the single-use check itself; `member` is `lockoutAfterSuccess` (the
 * count and the lock stay only while a lock is in force that this attempt did not start), the activation and the patch.
 */
function grantParts(variant: string, provider: PrismaProvider) {
  const [target, spend, candidates] = variant.split('/') as [MfaGrant['target']['kind'], MfaGrant['spend']['kind'], string];
  const d = dialect(provider);
  const at = target === 'exchange' ? 20 : 13;
  const stepIsNew = `({R.lastAcceptedStep} IS NULL OR {R.lastAcceptedStep} < $${at})`;
  const matches = Array.from({ length: Number(candidates) }, (_, i) => `({C.keyId} = $${at + 2 * i} AND {C.hash} = $${at + 2 * i + 1})`);
  const spent = {
    totp_step: `UPDATE {R} SET {R.lastAcceptedStep} = $${at} WHERE {R.totpRegistrationId} = $9 AND {R.status} = 'active' AND ${stepIsNew}`,
    activation:
      `UPDATE {R} SET {R.lastAcceptedStep} = $${at}, {R.status} = 'active', {R.expiresAt} = NULL, {R.activatedAt} = $2 ` +
      `WHERE {R.totpRegistrationId} = $9 AND {R.status} = 'pending' AND {R.expiresAt} > $2 AND ${stepIsNew}`,
    recovery_code: `DELETE FROM {C} WHERE {C.totpRegistrationId} = $9 AND (${matches.join(' OR ') || 'FALSE'})`,
  }[spend];
  const keep = `{M.lockExpiresAt} > $2 AND (${d.timestamp(5)} IS NULL OR {M.lockCreatedAt} IS NULL OR {M.lockCreatedAt} <> $5)`;
  const member =
    `UPDATE {M} SET {M.failedMfaAttempts} = CASE WHEN ${keep} THEN {M.failedMfaAttempts} ELSE 0 END, ` +
    `{M.lockCreatedAt} = CASE WHEN ${keep} THEN {M.lockCreatedAt} END, {M.lockExpiresAt} = CASE WHEN ${keep} THEN {M.lockExpiresAt} END, ` +
    `{M.mfaEnrolled} = COALESCE($6, {M.mfaEnrolled}), {M.defaultMfaMethod} = COALESCE($7, {M.defaultMfaMethod}), ` +
    `{M.totpRegistrationId} = ${spend === 'activation' ? '$9' : '{M.totpRegistrationId}'}, ` +
    `{M.updatedAt} = COALESCE(${d.timestamp(8)}, {M.updatedAt}) ` +
    `WHERE {M.organizationId} = $3 AND {M.memberId} = $4`;
  const insert =
    `INSERT INTO {S} (${TOTP_MODELS.TotpMemberSession.map((f) => `{S.${f}}`).join(', ')}) ` +
    `SELECT $10, $11, $12, $13, $14, $15, $16, ${d.json(17)}, ${d.json(18)}, $19`;
  return { target, spend, spent, member, insert };
}

/** SQLite: each write its own statement, in the order PostgreSQL's statement locks the rows. */
function sqliteGrantSql(variant: string, compile: (text: string) => Statement) {
  const { spend, spent, member, insert } = grantParts(variant, 'sqlite');
  return {
    consume: compile('DELETE FROM {I} WHERE {I.tokenHash} = $1 AND {I.expiresAt} > $2'),
    spent: compile(spent),
    insert: compile(`${insert} RETURNING ${selectAs('TotpMemberSession', 's')}`),
    factors: compile(
      `UPDATE {S} SET {S.authenticationFactors} = $2 WHERE {S.memberSessionId} = $1 RETURNING ${selectAs('TotpMemberSession', 's')}`,
    ),
    // The codes left, counted after the spend deleted its own.
    member: compile(
      `${member} RETURNING ${selectAs('TotpMember', 'n')}` +
        (spend === 'recovery_code' ? `, (SELECT count(*) FROM {C} WHERE {C.totpRegistrationId} = $9) AS "remaining"` : ''),
    ),
  };
}

/**
 * PostgreSQL, one statement: locks the live IST or session (`live`), then the member (`owner`), then the registration or
 * the codes, always in that order; writes the session and the member only if `spent` changed a row. All or nothing.
 */
function postgresGrantSql(variant: string): string {
  const { target, spend, spent, member, insert } = grantParts(variant, 'postgresql');
  // withFactor: the stored factors in their order, but those whose `type` and `delivery_method` both equal the new
  // factor's (as JSON values, as `===` compares them: an object or array equals nothing), then the new factor.
  const differs = (key: string) =>
    `("e"."f" -> '${key}' IS DISTINCT FROM CAST($11 AS jsonb) -> '${key}' ` +
    `OR COALESCE(jsonb_typeof("e"."f" -> '${key}'), '') IN ('object', 'array'))`;
  const kept =
    `SELECT jsonb_agg("e"."f" ORDER BY "e"."n") ` +
    `FROM jsonb_array_elements("t".{S.authenticationFactors}) WITH ORDINALITY AS "e"("f", "n") ` +
    `WHERE jsonb_typeof("e"."f") = 'null' OR ${differs('type')} OR ${differs('delivery_method')}`;
  const session =
    target === 'exchange'
      ? `"consumed" AS (DELETE FROM {I} WHERE {I.tokenHash} = $1 AND EXISTS (SELECT 1 FROM "spent") RETURNING 1), ` +
        `"session" AS (${insert} FROM "consumed" RETURNING ${selectAs('TotpMemberSession', 's')})`
      : `"session" AS (UPDATE {S} AS "t" SET {S.lastAccessedAt} = $2, {S.expiresAt} = GREATEST("t".{S.expiresAt}, $10), ` +
        `{S.authenticationFactors} = COALESCE((${kept}), '[]'::jsonb) || jsonb_build_array(CAST($11 AS jsonb)), ` +
        `{S.customClaims} = COALESCE(CAST($12 AS jsonb), "t".{S.customClaims}) ` +
        `WHERE {S.memberSessionId} = $1 AND EXISTS (SELECT 1 FROM "spent") RETURNING ${selectAs('TotpMemberSession', 's', '"t".')})`;
  return (
    (target === 'exchange'
      ? `WITH "live" AS (SELECT 1 FROM {I} WHERE {I.tokenHash} = $1 AND {I.expiresAt} > $2 FOR UPDATE), `
      : `WITH "live" AS (SELECT 1 FROM {S} WHERE {S.memberSessionId} = $1 AND {S.revokedAt} IS NULL AND {S.expiresAt} > $2 FOR UPDATE), `) +
    // NO KEY UPDATE, as an UPDATE takes: it queues grants and reservations, not the foreign key checks of new sessions.
    `"owner" AS (SELECT 1 FROM {M} WHERE {M.organizationId} = $3 AND {M.memberId} = $4 ` +
    `AND EXISTS (SELECT 1 FROM "live") FOR NO KEY UPDATE), ` +
    // The codes locked first, and counted whole (so that `codes` runs before `spent`): the count of those left is exact.
    (spend === 'recovery_code'
      ? `"codes" AS (SELECT 1 FROM {C} WHERE {C.totpRegistrationId} = $9 AND EXISTS (SELECT 1 FROM "owner") FOR UPDATE), `
      : '') +
    `"spent" AS (${spent} AND EXISTS (SELECT 1 FROM "owner")` +
    `${spend === 'recovery_code' ? ` AND (SELECT count(*) FROM "codes") > 0` : ''} RETURNING 1), ` +
    `${session}, "member" AS (${member} AND EXISTS (SELECT 1 FROM "spent") RETURNING ${selectAs('TotpMember', 'n')}) ` +
    `SELECT EXISTS (SELECT 1 FROM "live") AS "live", ` +
    (spend === 'recovery_code' ? `(SELECT count(*) FROM "codes") - (SELECT count(*) FROM "spent") AS "remaining", ` : '') +
    `"session".*, "member".* FROM (SELECT 1) AS "q" LEFT JOIN "session" ON TRUE LEFT JOIN "member" ON TRUE`
  );
}

/** Thrown inside SQLite's grant transaction to roll back what it wrote before its spend was refused. */
class Refused extends Error {}

/** A result row's session and member, as the grant left them. */
function granted(row: Row, spend: MfaGrant['spend']): MfaGrantResult {
  const session = readAs(row, 'TotpMemberSession', 's', memberSessionRecord);
  const member = readAs(row, 'TotpMember', 'n', memberRecord);
  if (session === null || member === null) return { status: 'spend_refused' };
  return { status: 'granted', session, member, recoveryCodesRemaining: spend.kind === 'recovery_code' ? Number(row.remaining) : null };
}

export function mfaAttemptMethods(store: Store): Pick<TotpRepository, 'beginMfaAttempt' | 'grantMfaSession'> {
  const postgres = store.provider === 'postgresql';
  const begin = store.cached((variant) => beginSql(variant, postgres).map(store.compile));
  const extend = store.compile(extendSessionSql(store.provider));
  const postgresGrant = store.cached((variant) => store.compile(postgresGrantSql(variant)));
  const sqliteGrant = store.cached((variant) => sqliteGrantSql(variant, store.compile));
  return {
    async beginMfaAttempt(query) {
      // An identifier that can match nothing (an empty one) is NULL, which equals nothing.
      const [organizationBy, organizationValue] = Object.entries(
        organizationKey(query.organization) ?? { organizationExternalId: null },
      )[0]!;
      const [memberBy, memberValue] = Object.entries(memberKey(query.member) ?? { memberId: null })[0]!;
      const { session, registration, reservation } = query;
      const { at, maxFailedAttempts, lockExpiresAt } = reservation;
      const sessionBy = session?.kind !== 'member' ? 'intermediate' : 'tokenHash' in session ? 'tokenHash' : 'memberSessionId';
      const sessionValue = session === undefined ? null : 'tokenHash' in session ? session.tokenHash : session.memberSessionId;
      const [read, reserve] = begin(`${organizationBy}/${memberBy}/${sessionBy}/${registration}`);
      const values = [organizationValue, memberValue, sessionValue, at, maxFailedAttempts, lockExpiresAt];
      // On SQLite the read, then the compare-and-set; both again when another process's write came between the two.
      for (let attempt = 1; attempt <= 100; attempt++) {
        const [row = {}] = await store.rows(read!, values);
        const member = readAs(row, 'TotpMember', 'm', memberRecord);
        const context: MfaAttemptContext = {
          organization: readAs(row, 'TotpOrganization', 'o', organizationRecord),
          member,
          registrations: {
            active: readAs(row, 'TotpRegistration', 'a', registrationRecord),
            pending: readAs(row, 'TotpRegistration', 'p', registrationRecord),
          },
          intermediateSession: readAs(row, 'TotpIntermediateSession', 'i', intermediateSessionRecord),
          memberSession: readAs(row, 'TotpMemberSession', 's', memberSessionRecord),
          reservation: null,
        };
        if (!row.eligible || member === null) return context;
        if (postgres) {
          const lockStarted = row.lockStarted as boolean | null;
          return { ...context, reservation: lockStarted === null ? { status: 'locked' } : { status: 'reserved', lockStarted } };
        }
        // In the order of the statement's $10..$12.
        const was = { failedAttempts: member.failedMfaAttempts, lockCreatedAt: member.lockCreatedAt, lockExpiresAt: member.lockExpiresAt };
        const result = reserveAttempt(was, reservation);
        if (!result.reserved) return { ...context, reservation: { status: 'locked' } };
        const { failedAttempts, lockCreatedAt, lockExpiresAt } = result.state;
        const compared = [...values, failedAttempts, lockCreatedAt, lockExpiresAt, ...Object.values(was)];
        if ((await store.count(reserve!, compared)) === 1) {
          return { ...context, reservation: { status: 'reserved', lockStarted: result.lockStarted } };
        }
      }
      throw new TotpError('service_unavailable', 'the member’s lockout state kept changing under concurrent attempts; try again');
    },

    async grantMfaSession({ at, spend, target, member: { organizationId, memberId, startedLockAt, patch } }) {
      const updatedAt = patch?.updatedAt ?? (spend.kind === 'activation' ? at : null);
      const targetKey = target.kind === 'exchange' ? target.intermediateSessionTokenHash : target.memberSessionId;
      const values: unknown[] = [targetKey, at, organizationId, memberId, startedLockAt];
      values.push(patch?.mfaEnrolled ?? null, patch?.defaultMfaMethod ?? null, updatedAt, spend.totpRegistrationId);
      if (target.kind === 'exchange') {
        const s = target.session;
        values.push(s.memberSessionId, s.tokenHash, s.organizationId, s.memberId, s.startedAt, s.lastAccessedAt, s.expiresAt);
        values.push(JSON.stringify(s.authenticationFactors), JSON.stringify(s.customClaims), s.revokedAt);
      } else {
        const claims = target.customClaims === undefined ? null : JSON.stringify(target.customClaims);
        values.push(target.expiresAt, JSON.stringify(target.factor), claims);
      }
      values.push(...(spend.kind === 'recovery_code' ? spend.candidates.flatMap((k) => [k.keyId, k.hash]) : [BigInt(spend.step)]));
      const variant = `${target.kind}/${spend.kind}/${spend.kind === 'recovery_code' ? spend.candidates.length : 0}`;
      const outcome = postgres
        ? store
            .rows(postgresGrant(variant), values)
            .then(([row = {}]): MfaGrantResult => (row.live !== true ? { status: 'session_not_found' } : granted(row, spend)))
        : // SQLite: a transaction whose first statement is the target's conditional write; a refused spend rolls it back.
          store.transaction(async (tx): Promise<MfaGrantResult> => {
            const sql = sqliteGrant(variant);
            let factors: AuthenticationFactor[] | undefined;
            if (target.kind === 'exchange') {
              if ((await store.count(sql.consume, values, tx)) === 0) return { status: 'session_not_found' };
            } else {
              const [row = {}] = await store.rows(extend, extensionValues(targetKey, { ...target, at }), tx);
              const extended = readAs(row, 'TotpMemberSession', 's', memberSessionRecord);
              if (extended === null) return { status: 'session_not_found' };
              factors = withFactor(extended.authenticationFactors, target.factor);
            }
            if ((await store.count(sql.spent, values, tx)) === 0) throw new Refused();
            const [session] = await (factors === undefined
              ? store.rows(sql.insert, values, tx)
              : store.rows(sql.factors, [targetKey, JSON.stringify(factors)], tx));
            const [member] = await store.rows(sql.member, values, tx);
            if (member === undefined) throw new Refused();
            return granted({ ...session, ...member }, spend);
          });
      return outcome.catch((error: unknown) => {
        // An activation whose member already has an active registration: the unique index refuses it, a failed condition.
        if (error instanceof Refused || (spend.kind === 'activation' && isUniqueViolation(error))) return { status: 'spend_refused' };
        throw error;
      });
    },
  };
}
