// The store hands out copies, never its own objects: no object reachable from a record one read returned is reachable
// from another read's. Checked on every kind of record the finders return, as a real flow leaves them.

import { decodeSecret, generateTotp, hashToken, type AuthenticationFactor, type MemberSessionRecord } from '@totp/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryRepository, createMemoryTotp } from '../src/index';

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
        await repository.extendMemberSessionWithSpend(
          done.member_session.member_session_id,
          { at: new Date(nowMs), expiresAt: new Date(nowMs) },
          { kind: 'totp_step', totpRegistrationId: created.totp_registration_id, step: Math.floor(nowMs / 30_000) + ++spentSteps },
        ),
      ];
    };
    let spentSteps = 0;
    const first = await reads();
    const second = await reads();
    // An object the store kept and handed out would be in both reads: none is; nor is one shared between records.
    for (let i = 0; i < first.length; i++) {
      expectNothingShared(first[i], second[i]);
      for (let j = i + 1; j < first.length; j++) expectNothingShared(first[i], first[j]);
    }
    // And the values are right: the two reads agree (the extensions only moved lastAccessedAt), each spend was made.
    expect(second[0]).toMatchObject({ organization: first[1], member: first[3] });
    expect(first.at(-1)).toMatchObject({ status: 'extended', session: first.at(-2) });
    expect(second.at(-1)).toMatchObject({ status: 'extended', session: second.at(-2) });
  });
});

// The session copies take a fast path for factors of the exact shape core writes (five strings in core's order, then
// at most one detail object) and for empty custom claims, and extendMemberSession edits the stored factor array in
// place. Any other JSON must still take the generic walk: same keys in the same order, "__proto__" as a plain key,
// nothing shared with the caller or between reads.
describe('member session factors and custom claims, for any JSON', () => {
  const MINUTE_MS = 60_000;
  const START_MS = Date.UTC(2026, 10, 29, 12, 0, 0);
  /** Kinds that overlap in type or in delivery method only, so replacements are drawn often and near misses too. */
  const KINDS = [
    ['totp', 'authenticator_app'],
    ['recovery_codes', 'recovery_code'],
    ['totp', 'sms'],
    ['email', 'authenticator_app'],
    ['email', 'email'],
  ] as const;
  type Entry = [key: string, value: unknown];
  /** An object as JSON.parse makes it from these entries, in this order: "__proto__" becomes an own, plain key. */
  const fromEntries = (entries: Entry[]): Record<string, unknown> =>
    JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);

  const key = fc.oneof(
    fc.constant('__proto__'),
    fc.constantFrom('type', 'delivery_method', 'created_at', 'authenticator_app_factor', 'recovery_code_factor', 'totp_id', 'constructor', '0', '7'),
    fc.string({ maxLength: 8 }),
  );
  const json = fc.jsonValue({ maxDepth: 3 });
  const text = fc.oneof(fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()), fc.string({ maxLength: 12 }));
  /** The entries of a factor as core writes it (sessions.ts newFactor): five strings, then at most one detail. */
  const coreEntries = fc
    .tuple(fc.constantFrom(...KINDS), text, text, text, fc.oneof(fc.constant(null), fc.tuple(fc.boolean(), fc.string({ maxLength: 40 }))))
    .map(([[type, delivery], last, created, updated, detail]): Entry[] => [
      ['type', type],
      ['delivery_method', delivery],
      ['last_authenticated_at', last],
      ['created_at', created],
      ['updated_at', updated],
      ...(detail === null ? [] : [detail[0] ? (['authenticator_app_factor', { totp_id: detail[1] }] as Entry) : (['recovery_code_factor', { totp_recovery_code_id: detail[1] }] as Entry)]),
    ]);
  /** One change that takes a factor off core's shape, or none. */
  const change = fc.oneof(
    { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
    fc.record({ kind: fc.constant('reorder' as const), order: fc.array(fc.double({ noNaN: true }), { minLength: 6, maxLength: 6 }) }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), entry: fc.tuple(key, json) }),
    // A "__proto__" key that copying with `out[name] = value` would turn into the copy's prototype.
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), entry: fc.tuple(fc.constant('__proto__'), fc.oneof(json, fc.constant({ polluted: true }))) }),
    fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: json }),
    fc.record({ kind: fc.constant('detail' as const), entry: fc.tuple(key, json) }),
  );
  function changed(entries: Entry[], how: typeof change extends fc.Arbitrary<infer C> ? C : never): Entry[] {
    const out = entries.map(([k, v]): Entry => [k, v]);
    switch (how.kind) {
      case 'reorder':
        return out.map((entry, i) => ({ entry, rank: how.order[i]! })).sort((a, b) => a.rank - b.rank).map(({ entry }) => entry);
      case 'drop':
        out.splice(how.at % out.length, 1);
        return out;
      case 'insert':
        out.splice(how.at % (out.length + 1), 0, how.entry);
        return out;
      case 'value':
        out[how.at % out.length]![1] = how.value;
        return out;
      case 'detail': {
        // A detail object with a second field (or a field of another name): only the walk copies it whole.
        const last = out[out.length - 1]!;
        if (typeof last[1] === 'object' && last[1] !== null) last[1] = fromEntries([...Object.entries(last[1]), how.entry]);
        else out.push(['authenticator_app_factor', fromEntries([how.entry])]);
        return out;
      }
      default:
        return out;
    }
  }
  const factor: fc.Arbitrary<AuthenticationFactor> = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(coreEntries, change).map(([entries, how]) => fromEntries(changed(entries, how)) as unknown as AuthenticationFactor) },
    // Any JSON at all, a factor only by the port's type: arrays, strings, numbers, objects of any shape.
    { weight: 1, arbitrary: json.map((value) => JSON.parse(JSON.stringify(value)) as AuthenticationFactor) },
  );
  /** Factors other than null, which has no `type` for extendMemberSession to read (null in the array is drawn below). */
  const objectFactor = factor.filter((f) => f !== null);
  const claims = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Entry[]>([]) },
    fc.array(fc.tuple(key, json), { maxLength: 5 }),
  ).map(fromEntries);

  let sessionCount = 0;
  /** A member session record shaped like the contract's seeds (contract-mfa.ts memberSession). */
  function memberSession(authenticationFactors: AuthenticationFactor[], customClaims: Record<string, unknown>): MemberSessionRecord {
    sessionCount += 1;
    const at = new Date(START_MS);
    return {
      memberSessionId: `member-session-test-00000000-0000-4000-8000-${String(sessionCount).padStart(12, '0')}`,
      tokenHash: hashToken(`token-${sessionCount}`),
      organizationId: 'organization-test-00000000-0000-4000-8000-000000000001',
      memberId: 'member-test-00000000-0000-4000-8000-000000000002',
      startedAt: at,
      lastAccessedAt: new Date(START_MS),
      expiresAt: new Date(START_MS + 60 * MINUTE_MS),
      authenticationFactors,
      customClaims,
      revokedAt: null,
    };
  }
  /** A copy that shares nothing, made without the store's code: JSON for the JSON parts, new Dates. */
  const independentCopy = <T>(value: T): T => {
    if (value instanceof Date) return new Date(value.getTime()) as T;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return JSON.parse(JSON.stringify(value));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const item = v === undefined ? undefined : v instanceof Date ? new Date(v.getTime()) : JSON.parse(JSON.stringify(v));
      Object.defineProperty(out, k, { value: item, enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  };
  /** Changes every object reachable from `value`: a new key on objects, an item on arrays, 0 in Dates. */
  function scribble(value: unknown, seen = new Set<object>()): void {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Date) return void value.setTime(0);
    const children = Object.values(value);
    if (Array.isArray(value)) value.push('scribbled');
    else Object.defineProperty(value, 'scribbled', { value: true, enumerable: true, writable: true, configurable: true });
    for (const child of children) scribble(child, seen);
  }
  /** The class of every object reachable from `value`, depth first (toStrictEqual misreads an own "constructor" key). */
  const kinds = (value: unknown): string[] => {
    if (value === null || typeof value !== 'object') return [];
    const prototype = Object.getPrototypeOf(value);
    const kind = prototype === Object.prototype ? 'object' : prototype === Array.prototype ? 'array' : prototype === Date.prototype ? 'date' : 'other';
    return [kind, ...Object.values(value).flatMap(kinds)];
  };
  /** Same values, same key order, "__proto__" still a key (JSON text shows all three), and objects of the same classes. */
  const expectSameJson = (actual: unknown, expected: unknown) => {
    expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
    expect(kinds(actual)).toEqual(kinds(expected));
  };

  it('reads back exactly what was inserted, as copies that share nothing with it or with one another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(factor, { maxLength: 6 }), claims, async (factors, customClaims) => {
        const repository = createMemoryRepository();
        // fast-check's values are copied first: they are scribbled on below, and fast-check may reuse them.
        const inserted = memberSession(independentCopy(factors), independentCopy(customClaims));
        const expected = independentCopy(inserted);
        await repository.insertMemberSession(inserted);
        const reads = async () => [
          await repository.findMemberSessionById(inserted.memberSessionId),
          await repository.findMemberSessionByTokenHash(inserted.tokenHash),
        ];
        const [byId, byHash] = await reads();
        expectSameJson(byId, expected);
        expectSameJson(byHash, expected);
        expectNothingShared(byId, inserted);
        expectNothingShared(byHash, inserted);
        expectNothingShared(byId, byHash);
        // Writing into what was inserted, or into what a read returned, changes nothing the next read sees.
        scribble(inserted);
        scribble(byId);
        scribble(byHash);
        for (const read of await reads()) expectSameJson(read, expected);
      }),
      { numRuns: 300 },
    );
  });

  it('extends: replaces exactly the factors of the same type and delivery method, keeps the others in order, appends a copy', async () => {
    const update = fc.record(
      {
        afterMs: fc.integer({ min: 0, max: 70 * MINUTE_MS }),
        extendMs: fc.integer({ min: -30 * MINUTE_MS, max: 120 * MINUTE_MS }),
        factor: fc.option(objectFactor, { nil: undefined }),
        customClaims: fc.option(claims, { nil: undefined }),
      },
      { requiredKeys: ['afterMs', 'extendMs'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof({ weight: 12, arbitrary: objectFactor }, fc.constant(null)), { maxLength: 6 }), claims, fc.array(update, { minLength: 1, maxLength: 4 }), async (factors, customClaims, updates) => {
        const repository = createMemoryRepository();
        const inserted = memberSession(independentCopy(factors) as AuthenticationFactor[], independentCopy(customClaims));
        await repository.insertMemberSession(inserted);
        // What the store should hold, kept by the rule in repository.ts, on copies made without the store's code.
        const model = independentCopy(inserted);
        let nowMs = START_MS;
        for (const drawn of updates) {
          const { afterMs, extendMs, factor: added, customClaims: newClaims } = independentCopy(drawn);
          nowMs += afterMs;
          const at = new Date(nowMs);
          const expiresAt = new Date(nowMs + extendMs);
          const request = { at, expiresAt, ...(added === undefined ? {} : { factor: added }), ...(newClaims === undefined ? {} : { customClaims: newClaims }) };
          if (model.expiresAt.getTime() <= nowMs) {
            // Not live: nothing changes.
            expect(await repository.extendMemberSession(inserted.memberSessionId, request)).toBeNull();
          } else if (added && model.authenticationFactors.includes(null as unknown as AuthenticationFactor)) {
            // A null factor has no `type`: the call throws, and nothing has changed.
            await expect(repository.extendMemberSession(inserted.memberSessionId, request)).rejects.toThrow(TypeError);
          } else {
            const returned = await repository.extendMemberSession(inserted.memberSessionId, request);
            model.lastAccessedAt = new Date(nowMs);
            if (expiresAt > model.expiresAt) model.expiresAt = new Date(expiresAt.getTime());
            // A falsy factor (JSON false, 0, "") is no factor, as `if (factor)` has always read it.
            if (added) {
              model.authenticationFactors = model.authenticationFactors.filter((f) => !(f.type === added.type && f.delivery_method === added.delivery_method));
              model.authenticationFactors.push(independentCopy(added));
            }
            if (newClaims !== undefined) model.customClaims = independentCopy(newClaims);
            expectSameJson(returned, model);
            const [byId, byHash] = [await repository.findMemberSessionById(inserted.memberSessionId), await repository.findMemberSessionByTokenHash(inserted.tokenHash)];
            expectSameJson(byId, model);
            expectSameJson(byHash, model);
            expectNothingShared(returned, request);
            expectNothingShared(returned, byId);
            expectNothingShared(byId, byHash);
            // The store kept copies: writing into the request or into what came back changes nothing it holds.
            scribble(request);
            scribble(returned);
            scribble(byId);
          }
          expectSameJson(await repository.findMemberSessionById(inserted.memberSessionId), model);
          expectSameJson(await repository.findMemberSessionByTokenHash(inserted.tokenHash), model);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('extendMemberSessionWithSpend', () => {
  it('spends nothing when the extension throws (a stored factor it cannot read)', async () => {
    let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
    const { service, repository } = createMemoryTotp({ clock: () => nowMs });
    await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
    const { member_id, organization } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'd@acme.example' });
    const created = await service.totps.create({ organization_id: organization.organization_id, member_id });
    const session: MemberSessionRecord = {
      memberSessionId: 'member-session-test-00000000-0000-4000-8000-00000000000d',
      tokenHash: hashToken('broken-session'),
      organizationId: organization.organization_id,
      memberId: member_id,
      startedAt: new Date(nowMs),
      lastAccessedAt: new Date(nowMs),
      expiresAt: new Date(nowMs + 3_600_000),
      // The port takes any JSON; a null factor has no `type` to compare, so extending this session throws.
      authenticationFactors: [null as unknown as AuthenticationFactor],
      customClaims: {},
      revokedAt: null,
    };
    await repository.insertMemberSession(session);
    const codes = await repository.listRecoveryCodeHashes(created.totp_registration_id);
    nowMs += 1000;
    const update = { at: new Date(nowMs), expiresAt: new Date(nowMs + 7_200_000), factor: { type: 'totp', delivery_method: 'authenticator_app', last_authenticated_at: '', created_at: '', updated_at: '' } };
    // A pending registration's codes are the store's all the same: the spend's condition holds, the extension throws.
    const spend = { kind: 'recovery_code', totpRegistrationId: created.totp_registration_id, candidates: [codes[0]!] } as const;
    await expect(repository.extendMemberSessionWithSpend(session.memberSessionId, update, spend)).rejects.toThrow(TypeError);
    expect(await repository.listRecoveryCodeHashes(created.totp_registration_id)).toEqual(codes);
    expect(await repository.findMemberSessionById(session.memberSessionId)).toEqual(session);
  });
});
