// Calls every method of the repository port once, on rows it makes: a workload for the index test and a smoke test.

import type { TotpRepository } from '@totp/core';
import { SEED_AT, SEED_STEP, codesFor, memberSessionFor, registrationFor, seed } from './support/seed';

export async function exerciseEveryMethod(repository: TotpRepository): Promise<void> {
  const s = await seed(repository, { ists: 3 });
  const { organizationId, memberId, totpRegistrationId } = s;
  const org = await repository.findOrganizationById(organizationId);
  await repository.findOrganizationBySlug(org!.organizationSlug);
  await repository.findOrganizationByExternalId('crm-1');
  await repository.findMemberById(organizationId, memberId);
  await repository.findMemberByExternalId(organizationId, 'employee-1');
  await repository.findMemberByEmail(organizationId, 'Someone@Example.com');
  await repository.updateMemberMfa(organizationId, memberId, { mfaEnrolled: true, defaultMfaMethod: 'totp', updatedAt: SEED_AT });
  await repository.reserveMfaAttempt(organizationId, memberId, { at: SEED_AT, maxFailedAttempts: 1, lockExpiresAt: new Date(SEED_AT.getTime() + 60_000) });
  await repository.clearMfaAttempts(organizationId, memberId, SEED_AT, SEED_AT);
  await repository.findRegistrations(organizationId, memberId);
  await repository.recordAcceptedStep(totpRegistrationId, SEED_STEP);
  await repository.listRecoveryCodeHashes(totpRegistrationId);
  await repository.consumeRecoveryCode(totpRegistrationId, [s.codes[0]!, { keyId: 'old', hash: 'f'.repeat(64) }]);
  await repository.replaceRecoveryCodes(totpRegistrationId, codesFor('e4e'));
  await repository.findIntermediateSession(s.istHashes[0]!);
  // findMfaContext: every way of naming the organization and the member, with both sessions, one, and none.
  for (const organization of [
    { by: 'id', value: organizationId },
    { by: 'slug', value: org!.organizationSlug },
    { by: 'externalId', value: 'crm-1' },
  ] as const) {
    for (const member of [{ by: 'id', value: memberId }, { by: 'externalId', value: 'employee-1' }] as const) {
      await repository.findMfaContext({
        organization,
        member,
        intermediateSessionTokenHash: s.istHashes[0]!,
        memberSessionTokenHash: `5e55${s.istHashes[1]!.slice(4)}`,
      });
    }
  }
  await repository.findMfaContext({ organization: { by: 'id', value: organizationId }, member: { by: 'id', value: memberId } });
  await repository.findMfaContext({
    organization: { by: 'slug', value: org!.organizationSlug },
    member: { by: 'id', value: memberId },
    intermediateSessionTokenHash: s.istHashes[0]!,
  });
  await repository.exchangeIntermediateSession(s.istHashes[0]!, SEED_AT, memberSessionFor({ organizationId, memberId }, 'exercise-exchanged'));
  const spent = await repository.exchangeIntermediateSession(s.istHashes[1]!, SEED_AT, memberSessionFor({ organizationId, memberId }, 'exercise-spent'), {
    kind: 'totp_step',
    totpRegistrationId,
    step: SEED_STEP + 1,
  });
  if (spent.status !== 'exchanged') throw new Error(`exercise: the exchange spending a step was ${spent.status}`);
  const [code] = await repository.listRecoveryCodeHashes(totpRegistrationId);
  const spentCode = await repository.exchangeIntermediateSession(s.istHashes[2]!, SEED_AT, memberSessionFor({ organizationId, memberId }, 'exercise-code'), {
    kind: 'recovery_code',
    totpRegistrationId,
    candidates: [code!, { keyId: 'old', hash: 'f'.repeat(64) }],
  });
  if (spentCode.status !== 'exchanged') throw new Error(`exercise: the exchange spending a recovery code was ${spentCode.status}`);
  const session = memberSessionFor({ organizationId, memberId }, 'exercise');
  await repository.insertMemberSession(session);
  await repository.findMemberSessionByTokenHash(session.tokenHash);
  await repository.findMemberSessionById(session.memberSessionId);
  await repository.extendMemberSession(session.memberSessionId, { at: SEED_AT, expiresAt: session.expiresAt });
  const [next] = await repository.listRecoveryCodeHashes(totpRegistrationId);
  for (const spend of [
    { kind: 'totp_step', totpRegistrationId, step: SEED_STEP + 2 },
    { kind: 'recovery_code', totpRegistrationId, candidates: [{ keyId: 'old', hash: 'f'.repeat(64) }, next!] },
  ] as const) {
    const extended = await repository.extendMemberSessionWithSpend(session.memberSessionId, { at: SEED_AT, expiresAt: session.expiresAt }, spend);
    if (extended.status !== 'extended') throw new Error(`exercise: the extension spending a ${spend.kind} was ${extended.status}`);
  }
  await repository.revokeMemberSession(session.memberSessionId, SEED_AT);
  await repository.revokeMemberSessions(session.memberId, SEED_AT);
  await repository.purgeExpired(new Date(SEED_AT.getTime() - 1));
  await repository.deleteRegistrations(organizationId, memberId, SEED_AT);
  const pending = registrationFor(organizationId, memberId, `${totpRegistrationId}-p`, 'pending');
  await repository.saveRegistration(pending, codesFor('e5e'));
  await repository.recordAcceptedStep(pending.totpRegistrationId, SEED_STEP, { at: SEED_AT });
  await repository.deleteMember(organizationId, memberId);
  await repository.deleteOrganization(organizationId);
}
