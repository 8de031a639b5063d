// Calls every method of the repository port on rows it makes, beginMfaAttempt in every way a query can name its
// records and grantMfaSession with every target and spend: a workload for the index test and a smoke test.

import type { MfaAttemptQuery, TotpRepository } from '@totp/core';
import {
  SEED_AT,
  SEED_STEP,
  codeSpend,
  codesFor,
  grantOf,
  memberSessionFor,
  registrationFor,
  reservationAt,
  seed,
  stepSpend,
} from './support/seed';

export async function exerciseEveryMethod(repository: TotpRepository): Promise<void> {
  const s = await seed(repository, { ists: 3 });
  const { organizationId, memberId, totpRegistrationId } = s;
  const org = await repository.findOrganization({ by: 'id', value: organizationId });
  await repository.findOrganization({ by: 'slug', value: org!.organizationSlug });
  await repository.findOrganization({ by: 'externalId', value: 'crm-1' });
  await repository.findMember(organizationId, { by: 'id', value: memberId });
  await repository.findMember(organizationId, { by: 'externalId', value: 'employee-1' });
  await repository.findMember(organizationId, { by: 'email', value: 'Someone@Example.com' });
  await repository.updateMember(organizationId, memberId, { mfaEnrolled: true, defaultMfaMethod: 'totp', updatedAt: SEED_AT });
  await repository.findRegistrations(organizationId, memberId);
  await repository.countRecoveryCodes(totpRegistrationId);
  await repository.replaceRecoveryCodes(totpRegistrationId, codesFor('e4e'));
  s.codes = codesFor('e4e');
  await repository.findIntermediateSession(s.istHashes[0]!);
  const session = memberSessionFor(s, 'exercise');
  await repository.insertMemberSession(session);

  // beginMfaAttempt: every way of naming the organization, the member and the session (a limit of 100 never locks).
  const sessions: Array<MfaAttemptQuery['session']> = [
    undefined,
    { kind: 'intermediate', tokenHash: s.istHashes[0]! },
    { kind: 'member', tokenHash: session.tokenHash },
    { kind: 'member', memberSessionId: session.memberSessionId },
  ];
  for (const organization of [
    { by: 'id', value: organizationId },
    { by: 'slug', value: org!.organizationSlug },
    { by: 'externalId', value: 'crm-1' },
  ] as const) {
    for (const member of [
      { by: 'id', value: memberId },
      { by: 'externalId', value: 'employee-1' },
      { by: 'email', value: 'RACE@example.com' },
    ] as const) {
      for (const presented of sessions) {
        for (const registration of ['active', 'active_or_pending'] as const) {
          const query: MfaAttemptQuery = {
            organization,
            member,
            registration,
            reservation: reservationAt(SEED_AT, 100),
            ...(presented === undefined ? {} : { session: presented }),
          };
          await repository.beginMfaAttempt(query);
        }
      }
    }
  }

  // grantMfaSession: exchanges and extensions, spending a step, a recovery code; an activation below.
  const granted = [
    await repository.grantMfaSession(grantOf(s, stepSpend(s, SEED_STEP), { ist: s.istHashes[0]!, tag: 'exercise-step' })),
    await repository.grantMfaSession(grantOf(s, codeSpend(s, 0), { ist: s.istHashes[1]!, tag: 'exercise-code' })),
    await repository.grantMfaSession(grantOf(s, stepSpend(s, SEED_STEP + 1), { memberSessionId: session.memberSessionId })),
    await repository.grantMfaSession(grantOf(s, codeSpend(s, 1), { memberSessionId: session.memberSessionId, customClaims: { a: 1 } })),
  ];
  if (granted.some((g) => g.status !== 'granted'))
    throw new Error(`exercise: a grant was refused: ${JSON.stringify(granted.map((g) => g.status))}`);
  await repository.findMemberSession({ tokenHash: session.tokenHash });
  await repository.findMemberSession({ memberSessionId: session.memberSessionId });
  await repository.extendMemberSession(session.memberSessionId, { at: SEED_AT, expiresAt: new Date(SEED_AT.getTime() + 9_000_000) });
  await repository.revokeMemberSessions({ memberSessionId: session.memberSessionId }, SEED_AT);
  await repository.revokeMemberSessions({ memberId }, SEED_AT);
  await repository.purgeExpired(new Date(SEED_AT.getTime() - 1));
  await repository.deleteRegistrations(organizationId, memberId, SEED_AT);
  const pending = registrationFor(organizationId, memberId, `${totpRegistrationId}-p`, 'pending');
  await repository.saveRegistration(pending, codesFor('e5e'));
  const activation = { kind: 'activation', totpRegistrationId: pending.totpRegistrationId, step: SEED_STEP } as const;
  const activated = await repository.grantMfaSession(grantOf(s, activation, { ist: s.istHashes[2]!, tag: 'exercise-activation' }));
  if (activated.status !== 'granted') throw new Error(`exercise: the activation was ${activated.status}`);
  await repository.deleteMember(organizationId, memberId);
  await repository.deleteOrganization(organizationId);
}
