// Property-based fuzzing of every route against the reference server on a real SQLite file and on PostgreSQL (the
// database test/global-setup.ts provides): values a database may choke on (NUL bytes, lone
// surrogates, huge strings, SQL) reach the store through every route. Never a 5xx, always a well-formed error,
// nothing logged as unexpected, and the server answers normally afterwards.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config';
import { sqliteConfig, startTestServer } from './support';

const POSTGRES_URL = inject('postgresUrl');
const KEY = `base64:${Buffer.alloc(32, 7).toString('base64')}`;
const STORES = [
  ['SQLite', () => sqliteConfig()],
  [
    'PostgreSQL',
    () => {
      if (POSTGRES_URL === null) throw new Error(inject('postgresError') ?? 'no PostgreSQL');
      return loadConfig(
        {
          PORT: '0',
          DATABASE_URL: POSTGRES_URL,
          TOTP_PROJECT_ID: 'project-test-fuzz',
          TOTP_SECRET: 'fuzz',
          TOTP_ENCRYPTION_KEY: KEY,
          TOTP_RECOVERY_CODE_PEPPER: KEY,
          TOTP_SESSION_SIGNING_KEY: KEY,
        },
        mkdtempSync(join(tmpdir(), 'totp-fuzz-')),
      );
    },
  ],
] as const;

describe.each(STORES)('fuzzing the server on %s', (_name, configFor) => {
  const logged: unknown[] = [];
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let ids: { organization_id: string; member_id: string };
  const slug = `fuzz-${Date.now().toString(36)}`;
  let runs = 0;

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: server.auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  }

  beforeAll(async () => {
    server = await startTestServer({ config: configFor(), logger: { error: (_m, cause) => logged.push(cause) } });
    await call('POST', '/v1/b2b/organizations', { organization_name: 'Fuzz', organization_slug: slug });
    const member = await call('POST', `/v1/b2b/organizations/${slug}/members`, { email_address: 'f@fuzz.example' });
    ids = {
      organization_id: (member.body.member as { organization_id: string }).organization_id,
      member_id: member.body.member_id as string,
    };
  });
  afterAll(() => server.close());

  const ROUTES: Array<[string, string]> = [
    ['POST', '/v1/b2b/totp'],
    ['POST', '/v1/b2b/totp/authenticate'],
    ['POST', '/v1/b2b/totp/migrate'],
    ['POST', '/v1/b2b/recovery_codes/recover'],
    ['POST', '/v1/b2b/recovery_codes/rotate'],
    ['GET', '/v1/b2b/recovery_codes/{org}/{member}'],
    ['POST', '/v1/b2b/organizations'],
    ['GET', '/v1/b2b/organizations/{org}'],
    ['POST', '/v1/b2b/organizations/{org}/members'],
    ['GET', '/v1/b2b/organizations/{org}/members/{member}'],
    ['GET', '/v1/b2b/organizations/{org}/member'],
    ['DELETE', '/v1/b2b/organizations/{org}/members/{member}/totp'],
    ['POST', '/v1/b2b/sessions/authenticate'],
    ['POST', '/v1/b2b/sessions/revoke'],
    ['POST', '/v1/b2b/sessions/intermediate'],
  ];
  const FIELDS = [
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
    'organization_name',
    'organization_slug',
    'organization_external_id',
    'email_address',
    'name',
    'external_id',
    'member_session_id',
    'authentication_factors',
    'mfa_policy',
  ];

  const nasty = fc.oneof(
    fc.constantFrom('\u0000', 'a\u0000b', '\ud800', "'; DROP TABLE totp_members; --", '%', '_', '\\', 'x'.repeat(5000), 'ﬀ', 'İ', 'ß@ß.ß'),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.jsonValue({ maxDepth: 2 }),
    fc.constant(null).map(() => ids.member_id),
    fc.constant(null).map(() => ids.organization_id),
  );
  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => ids.organization_id) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((s) => encodeURIComponent(s) || 'x') },
  );
  const requests = fc.record({
    route: fc.constantFrom(...ROUTES),
    org: segment,
    member: fc.oneof(
      fc.constant(null).map(() => ids.member_id),
      fc.string({ unit: 'binary', maxLength: 30 }).map((s) => encodeURIComponent(s) || 'x'),
    ),
    fields: fc.dictionary(fc.constantFrom(...FIELDS), nasty, { maxKeys: 5 }),
  });

  it('never answers with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async ({ route: [method, template], org, member, fields }) => {
        const path = template.replace('{org}', org).replace('{member}', member);
        // A valid base, so that a single hostile field is what reaches the store (and gets written).
        runs++;
        const body = {
          organization_id: ids.organization_id,
          member_id: ids.member_id,
          organization_name: 'Name',
          organization_slug: `${slug}-${runs}`,
          email_address: `m${runs}@fuzz.example`,
          ...fields,
        };
        const res =
          method === 'GET'
            ? await call(
                'GET',
                `${path}?${new URLSearchParams({ member_id: typeof fields.member_id === 'string' ? fields.member_id : ids.member_id })}`,
              )
            : await call(method, path, body);
        expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
        expect(res.body.status_code).toBe(res.status);
        if (res.status >= 400)
          expect(Object.keys(res.body).sort()).toEqual(['error_message', 'error_type', 'error_url', 'request_id', 'status_code']);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 6_000 },
    );
    expect(logged).toEqual([]);
  });

  it.each([
    [
      'a NUL byte in organization_name',
      'POST',
      '/v1/b2b/organizations',
      { organization_name: 'a\u0000b', organization_slug: `${slug}-nul` },
    ],
    ['a NUL byte in a member name', 'POST', `/v1/b2b/organizations/{org}/members`, { email_address: 'nul@fuzz.example', name: 'a\u0000b' }],
    [
      'a lone surrogate in organization_name',
      'POST',
      '/v1/b2b/organizations',
      { organization_name: 'a\ud800b', organization_slug: `${slug}-sur` },
    ],
  ])('never answers %s with a 5xx', async (_what, method, path, body) => {
    const res = await call(method, path.replace('{org}', ids.organization_id), body);
    expect(res.status, res.text).toBeLessThan(500);
  });

  it('still serves normally afterwards', async () => {
    const res = await call('GET', `/v1/b2b/organizations/${slug}/members/${ids.member_id}`);
    expect(res.status).toBe(200);
  });
});
