// The attack: custom claims (or factors) carrying a key named "__proto__", which a JSON layer that copies objects key by
// key turns into a prototype instead of data. Every JSON column the adapter writes keeps it as an own key, and reads it
// back as one, on both databases, through each way a session is written (Prisma's Json input and the PostgreSQL
// statement). Compared key by key: PostgreSQL's jsonb keeps keys in its own order.

import type { MemberSessionRecord } from '@totp/core';
import { describe, expect, it } from 'vitest';
import { SEED_AT, SEED_STEP, grantOf, memberSessionFor, seed, stepSpend } from './support/seed';
import { createPostgresStore, createSqliteStore } from './support/stores';

const hostile = () =>
  JSON.parse('{"__proto__": {"admin": true}, "plan": "pro", "nested": {"__proto__": [1, "é"]}}') as Record<string, unknown>;

function expectOwnProto(value: unknown): void {
  const object = value as Record<string, unknown>;
  expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
  expect(Object.hasOwn(object, '__proto__')).toBe(true);
  expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ admin: true });
  expect(Object.getOwnPropertyDescriptor(object.nested, '__proto__')?.value).toEqual([1, 'é']);
  expect((object as { admin?: unknown }).admin).toBeUndefined();
}

describe.each([
  ['sqlite', createSqliteStore],
  ['postgresql', createPostgresStore],
] as const)('JSON columns on %s', (_name, createStore) => {
  it('keep an own "__proto__" key in custom claims and factors, however the session was written', async () => {
    const store = await createStore();
    try {
      const s = await seed(store.repository, { ists: 2 });
      const factor = { ...hostile(), type: 'sso', delivery_method: 'oauth' } as never;
      const inserted: MemberSessionRecord = {
        ...memberSessionFor(s, 'json-insert'),
        customClaims: hostile(),
        authenticationFactors: [factor],
      };
      await store.repository.insertMemberSession(inserted);
      await store.repository.insertIntermediateSession({
        tokenHash: 'e'.repeat(64),
        organizationId: s.organizationId,
        memberId: s.memberId,
        authenticationFactors: [factor],
        createdAt: SEED_AT,
        expiresAt: SEED_AT,
      });

      const exchange = grantOf(s, stepSpend(s), { ist: s.istHashes[0]!, tag: 'json-exchange' });
      if (exchange.target.kind === 'exchange')
        exchange.target.session = { ...exchange.target.session, customClaims: hostile(), authenticationFactors: [factor] };
      const exchanged = await store.repository.grantMfaSession(exchange);
      const extended = await store.repository.grantMfaSession(
        grantOf(s, stepSpend(s, SEED_STEP + 1), { memberSessionId: inserted.memberSessionId, customClaims: hostile() }),
      );
      const claimsOnly = await store.repository.extendMemberSession(inserted.memberSessionId, {
        at: SEED_AT,
        expiresAt: SEED_AT,
        customClaims: hostile(),
      });
      expect([exchanged.status, extended.status]).toEqual(['granted', 'granted']);

      const read = [
        await store.repository.findMemberSession({ memberSessionId: inserted.memberSessionId }),
        await store.repository.findMemberSession({ memberSessionId: memberSessionFor(s, 'json-exchange').memberSessionId }),
      ];
      for (const session of [
        ...read,
        claimsOnly,
        exchanged.status === 'granted' ? exchanged.session : null,
        extended.status === 'granted' ? extended.session : null,
      ]) {
        expectOwnProto(session!.customClaims);
        expectOwnProto(session!.authenticationFactors[0]);
      }
      expectOwnProto((await store.repository.findIntermediateSession('e'.repeat(64)))!.authenticationFactors[0]);
    } finally {
      await store.close();
    }
  });
});
