// Property-based fuzzing of every route over a real socket with fast-check: random methods, paths, query strings,
// headers and bodies (invalid JSON, wrong content types, giant and deeply nested bodies). The property: never a 5xx,
// always a well-formed Stytch error JSON for a 4xx, nothing logged as unexpected, and the server healthy afterwards.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/routes';
import { AUTH, createTestApp, enrolled, expectError, listen, rawRequest } from './helpers';

const t = createTestApp({ router: { scope: 'all' } });
let server: Awaited<ReturnType<typeof listen>>;
let ids: Awaited<ReturnType<typeof enrolled>>;

beforeAll(async () => {
  server = await listen(t.app);
  ids = await enrolled(t);
});
afterAll(() => server.close());

const ascii = (min: number, max: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });
/** Any string, percent-encoded as a path segment would be (so that the HTTP client sends it as is). */
const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom('__proto__', 'constructor', '..', '%', '%zz', '%E0%A4%A', '%00', 'acme'),
  fc.constant(null).map(() => ids.organizationId),
  fc.constant(null).map(() => ids.memberId),
);

const path = fc.oneof(
  // A known route with random parameters.
  fc
    .tuple(fc.constantFrom(...ROUTES.map((r) => r.path)), segment, segment)
    .map(([p, a, b]) => p.replace(':organization_id', a || 'x').replace(':member_id', b || 'x')),
  // Random segments under the API prefix, and anywhere.
  fc.array(segment, { maxLength: 6 }).map((parts) => `/v1/b2b/${parts.join('/')}`),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);
const query = fc.option(
  fc
    .dictionary(
      ascii(1, 20),
      fc.oneof(
        ascii(0, 30),
        fc.constant(null).map(() => ids.memberId),
      ),
      { maxKeys: 4 },
    )
    .map((q) => `?${new URLSearchParams(q).toString()}`),
  { nil: '' },
);

const FIELD_NAMES = [
  'organization_id',
  'member_id',
  'code',
  'recovery_code',
  'secret',
  'recovery_codes',
  'expiration_minutes',
  'intermediate_session_token',
  'session_token',
  'session_jwt',
  'session_duration_minutes',
  'session_custom_claims',
  'set_mfa_enrollment',
  'set_default_mfa',
  'organization_name',
  'organization_slug',
  'organization_external_id',
  'mfa_policy',
  'email_address',
  'name',
  'external_id',
  'member_session_id',
  'authentication_factors',
  '__proto__',
];
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('acme', '123456', '١٢٣٤٥٦', 'aaaa-bbbb-cccc', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'ada@acme.example'),
  fc.constant(null).map(() => ids.organizationId),
  fc.constant(null).map(() => ids.memberId),
  fc.constant(null).map(() => ids.sessionToken),
  fc.integer({ min: 0, max: 2000 }),
);
const body = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => `{"organization_name":"${'x'.repeat(n)}"}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`) },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path,
  query,
  authorization: fc.oneof(
    { weight: 6, arbitrary: fc.constant(AUTH) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: ascii(0, 80) },
  ),
  contentType: fc.oneof(
    { weight: 5, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded') },
    { weight: 1, arbitrary: ascii(0, 40) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  body: fc.option(body, { nil: undefined }),
  extraHeaders: fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), ascii(0, 40), { maxKeys: 3 }),
});

// Aimed at the service: a real route with its own method, real IDs mostly, valid credentials and JSON type,
// and a body of the fields the routes read with random values, so requests get past the edge and into core.
const realOrganization = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null).map(() => ids.organizationId) },
  { weight: 1, arbitrary: segment },
);
const realMember = fc.oneof({ weight: 4, arbitrary: fc.constant(null).map(() => ids.memberId) }, { weight: 1, arbitrary: segment });
const aimed = fc
  .record({
    route: fc.constantFrom(...ROUTES),
    organization: realOrganization,
    member: realMember,
    fields: fc.dictionary(fc.constantFrom(...FIELD_NAMES), fieldValue, { maxKeys: 5 }),
    keepIds: fc.boolean(),
    contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: ascii(0, 30) }),
  })
  .map(({ route, organization, member, fields, keepIds, contentType }) => {
    // DELETE routes aim at an organization that does not exist, so the fuzzed member stays for the other routes.
    const org = route.method === 'DELETE' ? 'doomed-organization' : organization || 'x';
    const concrete = route.path.replace(':organization_id', org).replace(':member_id', member || 'x');
    const base = keepIds ? { organization_id: ids.organizationId, member_id: ids.memberId, session_token: ids.sessionToken } : {};
    const json = JSON.stringify({ ...base, ...fields });
    return route.method === 'GET'
      ? {
          method: 'GET',
          path: concrete,
          query: `?${new URLSearchParams({ member_id: String(fields.member_id ?? member) })}`,
          authorization: AUTH,
          contentType: undefined,
          body: undefined,
          extraHeaders: {},
        }
      : { method: route.method, path: concrete, query: '', authorization: AUTH, contentType, body: json, extraHeaders: {} };
  });

type FuzzRequest = {
  method: string;
  path: string;
  query: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string | undefined;
  extraHeaders: Record<string, string>;
};

describe('fuzzing every route', () => {
  it.each([
    ['anything', request as fc.Arbitrary<FuzzRequest>, 300],
    ['aimed at the service', aimed as fc.Arbitrary<FuzzRequest>, 500],
  ] as const)('never answers %s with a 5xx, always with well-formed JSON, and logs nothing', async (_name, arbitrary, numRuns) => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (r) => {
        runs++;
        const headers: Record<string, string> = { ...r.extraHeaders };
        if (r.authorization !== undefined) headers.Authorization = r.authorization;
        if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
        const chunks = r.body === undefined ? [] : [Buffer.from(r.body)];
        if (r.body !== undefined) headers['Content-Length'] = String(chunks[0]?.length ?? 0);
        const res = await rawRequest(server.baseUrl, { method: r.method, path: `${r.path}${r.query}`, headers, chunks });
        expect(res.status, `${r.method} ${r.path} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        if (r.method === 'HEAD') return;
        if (res.status >= 400) expectError(res, res.status);
        else expect((res.body as { status_code: number }).status_code).toBe(res.status);
      }),
      { numRuns, interruptAfterTimeLimit: 5_000 },
    );
    expect(runs).toBeGreaterThan(50);
    expect(t.logged).toEqual([]);
  });

  it('leaves the server healthy', async () => {
    const res = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/v1/b2b/organizations',
      headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
      chunks: [JSON.stringify({ organization_name: 'Healthy', organization_slug: 'healthy-after-fuzz' })],
    });
    expect(res.status).toBe(200);
    // The aimed run may well have deleted the fuzzed organization: check a fresh one end to end.
    const member = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/v1/b2b/organizations/healthy-after-fuzz/members',
      headers: { Authorization: AUTH, 'Content-Type': 'application/json' },
      chunks: [JSON.stringify({ email_address: 'ok@healthy.example' })],
    });
    expect(member.status).toBe(200);
  });
});
