// The store hands out copies, never its own objects: no object reachable from a record one read returned is reachable
// from another read's. Checked on every kind of record the finders return, as a real flow leaves them.

import { decodeSecret, generateTotp, hashToken } from '@totp/core';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '../src/index';

/** Every object (arrays, Dates, plain objects) reachable from `value`, including itself. */
function objectsIn(value: unknown, into = new Set<object>()): Set<object> {
  if (value === null || typeof value !== 'object' || into.has(value)) return into;
  into.add(value);
  for (const item of Object.values(value)) objectsIn(item, into);
  return into;
}

function expectNothingShared(a: unknown, b: unknown): void {
  const left = objectsIn(a);
  const shared = [...objectsIn(b)].filter((o) => left.has(o));
  expect(shared).toEqual([]);
}

describe('memory store copies', () => {
  it('never shares an object between two reads, or with what was written', async () => {
    let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
    const { service, repository } = createMemoryTotp({ clock: () => nowMs });
    await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme', organization_external_id: 'acme-ext' });
    const { member_id, organization } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'c@acme.example', external_id: 'c-ext' });
    const ids = { organization_id: organization.organization_id, member_id };
    const created = await service.totps.create(ids);
    const secret = decodeSecret(created.secret);
    const { intermediate_session_token } = await service.sessions.startIntermediate({ ...ids, authentication_factors: [{ type: 'email', delivery_method: 'email' }] });
    const pendingIst = (await service.sessions.startIntermediate(ids)).intermediate_session_token;
    const done = await service.totps.authenticate({
      ...ids, code: generateTotp(secret, { nowMs }), intermediate_session_token, session_custom_claims: { nested: { list: [1, { deep: true }] } },
    });
    nowMs += 30_000;

    const reads = async () => {
      const context = await repository.findMfaContext({
        organization: { by: 'slug', value: 'acme' },
        member: { by: 'externalId', value: 'c-ext' },
        intermediateSessionTokenHash: hashToken(pendingIst),
        memberSessionTokenHash: hashToken(done.session_token),
      });
      expect(context.organization).not.toBeNull();
      expect(context.member).not.toBeNull();
      expect(context.registrations.active).not.toBeNull();
      expect(context.intermediateSession).not.toBeNull();
      expect(context.memberSession?.authenticationFactors.length).toBeGreaterThan(1);
      return [
        context,
        await repository.findOrganizationById(ids.organization_id),
        await repository.findOrganizationByExternalId('acme-ext'),
        await repository.findMemberById(ids.organization_id, member_id),
        await repository.findMemberByExternalId(ids.organization_id, 'c-ext'),
        await repository.findMemberByEmail(ids.organization_id, 'C@acme.example'),
        await repository.findRegistrations(ids.organization_id, member_id),
        await repository.findIntermediateSession(hashToken(pendingIst)),
        await repository.findMemberSessionById(done.member_session.member_session_id),
        await repository.extendMemberSession(done.member_session.member_session_id, { at: new Date(nowMs), expiresAt: new Date(nowMs) }),
      ];
    };
    const first = await reads();
    const second = await reads();
    // An object the store kept and handed out would be in both reads: none is; nor is one shared between records.
    for (let i = 0; i < first.length; i++) {
      expectNothingShared(first[i], second[i]);
      for (let j = i + 1; j < first.length; j++) expectNothingShared(first[i], first[j]);
    }
    // And the values are right: the two reads agree (the extension only moved lastAccessedAt).
    expect(second[0]).toMatchObject({ organization: first[1], member: first[3] });
  });
});
