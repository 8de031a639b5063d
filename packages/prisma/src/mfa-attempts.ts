// The port's MFA attempt methods (packages/core domain/repository.ts): beginMfaAttempt and grantMfaSession. On SQLite each
// is one transaction of Prisma queries applying core's rules to the locked rows; on PostgreSQL one statement each.

import {
  lockoutAfterSuccess,
  reserveAttempt,
  type MfaAttemptContext,
  type MfaAttemptQuery,
  type MfaGrant,
  type MfaGrantResult,
  type MfaSpend,
} from '@totp/core';
import type { TotpMemberSessionRow, TotpPrismaDelegates } from './client-shape';
import { memberKey } from './members';
import { organizationKey } from './organizations';
import { postgresMfaAttemptMethods } from './postgres-statements';
import * as rows from './rows';
import { extendLiveSession } from './sessions';
import { isUniqueViolation } from './store-errors';
import type { MfaAttemptMethods, Store } from './transactions';

export function mfaAttemptMethods(store: Store): MfaAttemptMethods {
  if (store.provider === 'postgresql') return postgresMfaAttemptMethods(store);
  return {
    beginMfaAttempt: (query) => store.transaction((tx) => beginMfaAttempt(tx, query)),
    grantMfaSession: (grant) =>
      store
        .transaction((tx) => grantMfaSession(tx, grant))
        .catch((error: unknown) => {
          if (error instanceof Refused) return error.result;
          throw error;
        }),
  };
}

/** Thrown inside a grant's transaction to roll back what it wrote before its spend was refused. */
class Refused extends Error {
  readonly result: MfaGrantResult = { status: 'spend_refused' };
}

async function beginMfaAttempt(tx: TotpPrismaDelegates, query: MfaAttemptQuery): Promise<MfaAttemptContext> {
  const { session, reservation } = query;
  const at = reservation.at;
  const organizationWhere = organizationKey(query.organization);
  const memberWhere = memberKey(query.member);
  // The first statement locks and reads the member (on SQLite: takes the write lock), whatever follows.
  const [member] =
    organizationWhere === null || memberWhere === null
      ? []
      : await tx.totpMember.updateManyAndReturn({
          where: { ...memberWhere, organization: organizationWhere },
          data: { failedMfaAttempts: { increment: 0 } },
        });
  const organization = organizationWhere === null ? null : await tx.totpOrganization.findUnique({ where: organizationWhere });
  const registrations =
    member === undefined
      ? []
      : await tx.totpRegistration.findMany({ where: { organizationId: member.organizationId, memberId: member.memberId } });
  const { kind, ...sessionKey } = session ?? { kind: undefined };
  const ist = kind === 'intermediate' ? await tx.totpIntermediateSession.findUnique({ where: sessionKey }) : null;
  const memberSession = kind === 'member' ? await tx.totpMemberSession.findUnique({ where: sessionKey }) : null;

  const presented = ist ?? memberSession;
  const live =
    ist !== null ? ist.expiresAt > at : memberSession !== null && memberSession.revokedAt === null && memberSession.expiresAt > at;
  const owned = presented !== null && presented.organizationId === member?.organizationId && presented.memberId === member.memberId;
  const usable = registrations.some(
    (r) => r.status === 'active' || (query.registration === 'active_or_pending' && r.expiresAt !== null && r.expiresAt > at),
  );
  let reserved: MfaAttemptContext['reservation'] = null;
  if (member?.status === 'active' && live && owned && usable) {
    const result = reserveAttempt(rows.lockoutOf(member), reservation);
    if (result.reserved) await tx.totpMember.updateMany({ where: { memberId: member.memberId }, data: rows.lockoutData(result.state) });
    reserved = result.reserved ? { status: 'reserved', lockStarted: result.lockStarted } : { status: 'locked' };
  }
  return {
    organization: rows.nullOr(organization, rows.organizationRecord),
    member: rows.nullOr(member ?? null, rows.memberRecord),
    registrations: rows.registrationsByStatus(registrations),
    intermediateSession: rows.nullOr(ist, rows.intermediateSessionRecord),
    memberSession: rows.nullOr(memberSession, rows.memberSessionRecord),
    reservation: reserved,
  };
}

async function grantMfaSession(tx: TotpPrismaDelegates, { at, spend, target, member: grantee }: MfaGrant): Promise<MfaGrantResult> {
  const { organizationId, memberId, startedLockAt, patch } = grantee;
  // The first statement is the target's conditional write: it checks the IST or session is live and locks it.
  let session: TotpMemberSessionRow | undefined;
  if (target.kind === 'exchange') {
    const consumed = await tx.totpIntermediateSession.deleteMany({
      where: { tokenHash: target.intermediateSessionTokenHash, expiresAt: { gt: at } },
    });
    if (consumed.count === 0) return { status: 'session_not_found' };
  } else {
    const { expiresAt, factor, customClaims } = target;
    session = await extendLiveSession(tx, target.memberSessionId, {
      at,
      expiresAt,
      factor,
      ...(customClaims === undefined ? {} : { customClaims }),
    });
    if (session === undefined) return { status: 'session_not_found' };
  }
  const member = await tx.totpMember.findFirst({ where: { organizationId, memberId } });
  if (member === null) throw new Refused();
  const recoveryCodesRemaining = await makeSpend(tx, spend, at);
  if (target.kind === 'exchange') session = await tx.totpMemberSession.create({ data: rows.memberSessionRow(target.session) });
  const data = {
    ...rows.lockoutData(lockoutAfterSuccess(rows.lockoutOf(member), at, startedLockAt)),
    ...(spend.kind === 'activation' ? { totpRegistrationId: spend.totpRegistrationId, updatedAt: at } : {}),
    ...(patch === undefined ? {} : rows.patchData(patch)),
  };
  const [written] = await tx.totpMember.updateManyAndReturn({ where: { organizationId, memberId }, data });
  return { status: 'granted', session: rows.memberSessionRecord(session!), member: rows.memberRecord(written!), recoveryCodesRemaining };
}

/** Makes the spend, each a conditional write that is the single-use check itself; the codes left for a recovery code. */
async function makeSpend(tx: TotpPrismaDelegates, spend: MfaSpend, at: Date): Promise<number | null> {
  const { totpRegistrationId } = spend;
  if (spend.kind === 'recovery_code') {
    const matches = spend.candidates.map(({ keyId, hash }) => ({ keyId, hash }));
    const deleted = matches.length === 0 ? 0 : (await tx.totpRecoveryCode.deleteMany({ where: { totpRegistrationId, OR: matches } })).count;
    if (deleted === 0) throw new Refused();
    return tx.totpRecoveryCode.count({ where: { totpRegistrationId } });
  }
  const step = BigInt(spend.step);
  const [where, data] =
    spend.kind === 'totp_step'
      ? [{ status: 'active' }, { lastAcceptedStep: step }]
      : [
          { status: 'pending', expiresAt: { gt: at } },
          { lastAcceptedStep: step, status: 'active', expiresAt: null, activatedAt: at },
        ];
  const updated = await tx.totpRegistration
    .updateMany({ where: { totpRegistrationId, ...where, OR: [{ lastAcceptedStep: null }, { lastAcceptedStep: { lt: step } }] }, data })
    .then(
      ({ count }) => count,
      // An active registration of the member already holds the (organization, member, status) index: a failed condition.
      (error: unknown) => (isUniqueViolation(error) ? 0 : Promise.reject(error)),
    );
  if (updated === 0) throw new Refused();
  return null;
}
