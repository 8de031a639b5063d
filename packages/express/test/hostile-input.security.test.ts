// Attack: a caller holding valid project credentials sends hostile values in every field and path parameter of
// every route (wrong types, huge strings, `__proto__`, NaN, unicode digits, NUL bytes) to crash the server, make it
// leak internals in a 5xx, or pollute Object.prototype. Every answer must be a 2xx or a well-formed 4xx.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/routes';
import { AUTH, createTestApp, enrolled, expectError, listen, rawRequest, type RawResponse } from './helpers';

const HOSTILE: unknown[] = [
  0,
  -1,
  1e308,
  -0,
  null,
  true,
  [],
  ['a', 'b'],
  {},
  { __proto__: null, polluted: true },
  'x'.repeat(60_000),
  '١٢٣٤٥٦',
  '１２３４５６',
  '\u0000',
  '\ud800',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  "'; DROP TABLE members; --",
  '',
  ' ',
];

// The fields each route reads (by path and method), plus two it does not.
const SESSION = ['intermediate_session_token', 'session_token', 'session_jwt', 'session_duration_minutes', 'session_custom_claims'];
const FIELDS: Record<string, string[]> = {
  'POST /v1/b2b/totp': ['organization_id', 'member_id', 'expiration_minutes', ...SESSION.slice(0, 3)],
  'POST /v1/b2b/totp/authenticate': ['organization_id', 'member_id', 'code', ...SESSION, 'set_mfa_enrollment', 'set_default_mfa'],
  'POST /v1/b2b/totp/migrate': ['organization_id', 'member_id', 'secret', 'recovery_codes'],
  'POST /v1/b2b/recovery_codes/recover': ['organization_id', 'member_id', 'recovery_code', ...SESSION],
  'POST /v1/b2b/recovery_codes/rotate': ['organization_id', 'member_id'],
  'POST /v1/b2b/organizations': ['organization_name', 'organization_slug', 'organization_external_id', 'mfa_policy'],
  'POST /v1/b2b/organizations/:organization_id/members': [
    'email_address',
    'name',
    'external_id',
    'create_member_as_pending',
    'mfa_enrolled',
  ],
  'GET /v1/b2b/organizations/:organization_id/member': ['member_id', 'email_address'],
  'POST /v1/b2b/sessions/authenticate': ['session_token', 'session_jwt', 'session_duration_minutes', 'session_custom_claims'],
  'POST /v1/b2b/sessions/revoke': ['member_session_id', 'session_token', 'session_jwt'],
  'POST /v1/b2b/sessions/intermediate': ['organization_id', 'member_id', 'authentication_factors'],
};
const fieldsOf = (name: string) => [...(FIELDS[name] ?? ['organization_id', 'member_id']), '__proto__', 'unknown_field'];

const PATH_VALUES = ['__proto__', 'constructor', '%00', '..', '%2e%2e', 'x'.repeat(8000), '%F0%9F%98%80', '١', 'a%2Fb', '%25'];

const t = createTestApp();
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  server = await listen(t.app);
});
afterAll(() => server.close());

function call(method: string, path: string, body?: string): Promise<RawResponse> {
  const headers: Record<string, string> = { Authorization: AUTH };
  const chunks: Buffer[] = [];
  if (body !== undefined) {
    const bytes = Buffer.from(body);
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(bytes.length);
    chunks.push(bytes);
  }
  return rawRequest(server.baseUrl, { method, path, headers, chunks });
}

function expectNoServerError(res: RawResponse): void {
  expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
  if (res.status >= 400) expectError(res, res.status);
}

const concretePath = (path: string, org: string, member: string) => path.replace(':organization_id', org).replace(':member_id', member);

describe.each(ROUTES.map((r, i) => [`${r.method} ${r.path}`, r, i] as const))('%s', (name, route, i) => {
  // Each route gets its own organization, so that a successful DELETE does not starve the routes after it.
  let m: Awaited<ReturnType<typeof enrolled>>;
  beforeAll(async () => {
    m = await enrolled(t, `org-${i}`);
  });

  it('never answers a hostile field value with a 5xx', async () => {
    const path = concretePath(route.path, m.organizationId, m.memberId);
    const base: Record<string, unknown> = { organization_id: m.organizationId, member_id: m.memberId, session_token: m.sessionToken };
    for (const field of fieldsOf(name)) {
      for (const value of HOSTILE) {
        if (route.method === 'GET') {
          const query = new URLSearchParams({ [field]: typeof value === 'string' ? value : JSON.stringify(value) });
          expectNoServerError(await call('GET', `${path}?${query.toString().slice(0, 6000)}`));
        } else {
          expectNoServerError(await call(route.method, path, JSON.stringify({ ...base, [field]: value })));
        }
      }
    }
  });

  it('never answers a hostile path parameter with a 5xx', async () => {
    if (!route.path.includes(':')) return;
    for (const value of PATH_VALUES) {
      for (const path of [concretePath(route.path, value, m.memberId), concretePath(route.path, m.organizationId, value)]) {
        expectNoServerError(await call(route.method, path, route.method === 'GET' ? undefined : '{}'));
      }
    }
  });
});

describe('after the barrage', () => {
  it('Object.prototype is untouched and the server still answers', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'organization_id')).toBe(false);
    const res = await call('POST', '/v1/b2b/organizations', JSON.stringify({ organization_name: 'After', organization_slug: 'after' }));
    expect(res.status).toBe(200);
    expect(t.logged).toEqual([]);
  });

  it('a JSON __proto__ key at the top level stays a plain field', async () => {
    const res = await call(
      'POST',
      '/v1/b2b/organizations',
      '{"__proto__":{"organization_name":"Injected","organization_slug":"injected"}}',
    );
    expectError(res, 400, 'bad_request');
    expect((res.body as { error_message: string }).error_message).toMatch(/organization_name is required/);
  });
});
