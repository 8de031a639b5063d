// The HTTP edge of the router: credentials, routing (404/405), content types, body parsing and limits,
// request IDs, and the error shape, independent of which service rule runs behind a route.

import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TYPES, TotpError, type TotpService } from '@totp/core';
import { createMemoryTotp } from '@totp/memory';
import { API_PREFIX, DEFAULT_ERROR_URL_BASE, ERROR_STATUS, createTotpRouter } from '../src/index';
import { AUTH, PROJECT_ID, SECRET, createTestApp, expectError, expectSuccess, listen, rawRequest } from './helpers';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('ERROR_STATUS', () => {
  it('maps every error type of core to the status of the contract', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_TYPES].sort());
    const byStatus: Record<number, string[]> = {};
    for (const [type, status] of Object.entries(ERROR_STATUS)) (byStatus[status] ??= []).push(type);
    expect(byStatus[401]?.sort()).toEqual(
      [
        'intermediate_session_not_found',
        'session_not_found',
        'totp_code_already_authenticated',
        'unable_to_authenticate_recovery_code',
        'unable_to_authenticate_totp',
        'unauthorized_credentials',
      ].sort(),
    );
    expect(byStatus[403]).toEqual(['session_authorization_error']);
    expect(byStatus[404]?.sort()).toEqual(['member_not_found', 'organization_not_found', 'route_not_found', 'totp_not_found']);
    expect(byStatus[405]).toEqual(['method_not_allowed']);
    expect(byStatus[409]?.sort()).toEqual([
      'duplicate_member_email',
      'duplicate_member_external_id',
      'duplicate_organization_external_id',
      'duplicate_organization_slug',
    ]);
    expect(byStatus[413]).toEqual(['request_too_large']);
    expect(byStatus[429]).toEqual(['user_lock_limit_reached']);
    expect(byStatus[500]).toEqual(['internal_server_error']);
    expect(byStatus[503]).toEqual(['service_unavailable']);
    expect(byStatus[400]).toHaveLength(10);
  });
});

describe('credentials', () => {
  const t = createTestApp();
  const path = '/v1/b2b/organizations/acme';

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['wrong secret', basic(PROJECT_ID, `${SECRET}x`)],
    ['secret prefix', basic(PROJECT_ID, SECRET.slice(0, -1))],
    ['empty secret', basic(PROJECT_ID, '')],
    ['wrong project', basic('project-test-other', SECRET)],
    ['project and secret swapped', basic(SECRET, PROJECT_ID)],
    ['no colon', `Basic ${Buffer.from(PROJECT_ID + SECRET).toString('base64')}`],
    ['Bearer scheme', `Bearer ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`],
    ['not base64', 'Basic ***'],
    ['scheme only', 'Basic'],
    ['huge header', `Basic ${'A'.repeat(8000)}`],
    ['unicode', basic(PROJECT_ID, `${SECRET}\u0301`)],
  ])('refuses %s credentials with 401 unauthorized_credentials', async (_name, header) => {
    const r = request(t.app).get(path);
    const res = await (header === undefined ? r : r.set('Authorization', header));
    expectError(res, 401, 'unauthorized_credentials');
    expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('accepts the scheme in any case and the correct credentials', async () => {
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const res = await request(t.app)
        .post('/v1/b2b/organizations')
        .set('Authorization', `${scheme} ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`)
        .send({ organization_name: 'Acme', organization_slug: `acme-${scheme}` });
      expectSuccess(res);
    }
  });

  it('checks credentials before routing, so unknown paths and wrong methods are 401 too', async () => {
    expectError(await request(t.app).get('/v1/b2b/nothing-here'), 401, 'unauthorized_credentials');
    expectError(await request(t.app).put('/v1/b2b/totp'), 401, 'unauthorized_credentials');
  });

  it('does not read or judge the body of an unauthenticated request', async () => {
    const res = await request(t.app).post('/v1/b2b/totp').set('Content-Type', 'text/plain').send('x'.repeat(100_000));
    expectError(res, 401, 'unauthorized_credentials');
  });

  it('accepts any of several secrets during a rotation', async () => {
    const rotating = createTestApp({ router: { secret: ['old-secret', 'new-secret'] } });
    for (const secret of ['old-secret', 'new-secret']) {
      const res = await request(rotating.app).get('/v1/b2b/organizations/nope').set('Authorization', basic(PROJECT_ID, secret));
      expectError(res, 404, 'organization_not_found');
    }
    const res = await request(rotating.app).get('/v1/b2b/organizations/nope').set('Authorization', basic(PROJECT_ID, SECRET));
    expectError(res, 401, 'unauthorized_credentials');
  });

  it('accepts a secret that contains a colon (only the first colon separates)', async () => {
    const colon = createTestApp({ router: { secret: 'a:b:c' } });
    const res = await request(colon.app).get('/v1/b2b/organizations/nope').set('Authorization', basic(PROJECT_ID, 'a:b:c'));
    expectError(res, 404, 'organization_not_found');
  });
});

describe('routing', () => {
  const t = createTestApp();

  it.each(['/v1/b2b', '/v1/b2b/', '/v1/b2b/totps', '/v1/b2b/totp/authenticate/extra', '/v1/b2b/recovery_codes/a', '/v1/b2b/sessions'])(
    'answers an unknown path inside the API (%s) with 404 route_not_found',
    async (path) => {
      expectError(await t.api.get(path), 404, 'route_not_found');
      expectError(await t.api.post(path, {}), 404, 'route_not_found');
    },
  );

  it('is case-sensitive, like the API paths it serves', async () => {
    expectError(await t.api.post('/v1/b2b/TOTP', {}), 404, 'route_not_found');
  });

  it('tolerates a trailing slash', async () => {
    expectError(await t.api.get('/v1/b2b/organizations/nope/'), 404, 'organization_not_found');
  });

  it.each([
    ['GET', '/v1/b2b/totp', 'POST'],
    ['PUT', '/v1/b2b/totp/authenticate', 'POST'],
    ['PATCH', '/v1/b2b/organizations', 'POST'],
    ['POST', '/v1/b2b/organizations/acme', 'GET, DELETE, HEAD'],
    ['PUT', '/v1/b2b/organizations/acme/members/m', 'GET, DELETE, HEAD'],
    ['GET', '/v1/b2b/organizations/acme/members/m/totp', 'DELETE'],
    ['DELETE', '/v1/b2b/recovery_codes/acme/m', 'GET, HEAD'],
    ['OPTIONS', '/v1/b2b/sessions/revoke', 'POST'],
  ])('answers %s %s with 405 method_not_allowed and Allow: %s', async (method, path, allow) => {
    const res = await request(t.app)[method.toLowerCase() as 'get'](path).set('Authorization', AUTH);
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe(allow);
  });

  it('answers HEAD on a GET route like GET, without a body', async () => {
    const res = await request(t.app).head('/v1/b2b/organizations/nope').set('Authorization', AUTH);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('answers a path parameter that is not valid percent-encoding with 400 bad_request', async () => {
    expectError(await t.api.get('/v1/b2b/organizations/%E0%A4%A'), 400, 'bad_request');
  });

  it('leaves paths outside /v1/b2b to the host app by default', async () => {
    const app = express();
    app.use(createTotpRouter({ service: createMemoryTotp().service, projectId: PROJECT_ID, secret: SECRET }));
    app.get('/health', (_req, res) => {
      res.json({ ok: true });
    });
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect((await request(app).get('/v1b2b')).status).toBe(404); // Express's own 404, not ours
  });

  it("with scope 'all' answers every unknown path itself", async () => {
    const all = createTestApp({ router: { scope: 'all' } });
    expectError(await request(all.app).get('/'), 401, 'unauthorized_credentials');
    expectError(await all.api.get('/'), 404, 'route_not_found');
    expectError(await all.api.get('/favicon.ico'), 404, 'route_not_found');
    expectError(await all.api.post('/v1/b2c/totp', {}), 404, 'route_not_found');
  });
});

describe('request bodies', () => {
  const t = createTestApp();
  const path = '/v1/b2b/organizations';
  const post = () => request(t.app).post(path).set('Authorization', AUTH);

  it('accepts application/json with or without charset=utf-8, in any case', async () => {
    let n = 0;
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;Charset="UTF-8"',
      'application/json; charset=utf8',
    ]) {
      const res = await post()
        .set('Content-Type', type)
        .send(JSON.stringify({ organization_name: 'Acme', organization_slug: `acme-${n++}` }));
      expectSuccess(res);
    }
  });

  it.each([
    ['text/plain', '{"organization_name":"A","organization_slug":"aa"}'],
    ['application/x-www-form-urlencoded', 'organization_name=A&organization_slug=aa'],
    ['multipart/form-data; boundary=x', '--x--'],
    ['application/jsonx', '{}'],
    ['application/json; charset=latin1', '{}'],
    ['application/json; charset=utf-16', '{}'],
  ])('refuses Content-Type %s with 400 bad_request', async (type, body) => {
    const res = await post().set('Content-Type', type).send(body);
    expectError(res, 400, 'bad_request');
    expect(res.body.error_message).toMatch(/Content-Type|UTF-8/);
  });

  it.each([
    ['truncated', '{"organization_name":'],
    ['trailing garbage', '{} x'],
    ['single quotes', "{'a':1}"],
    ['NaN', '{"a":NaN}'],
    ['a comment', '{/* */}'],
  ])('refuses malformed JSON (%s) with 400 bad_request', async (_name, text) => {
    const res = await post().set('Content-Type', 'application/json').send(text);
    expectError(res, 400, 'bad_request');
    expect(res.body.error_message).toBe('the request body is not valid JSON');
  });

  it.each(['[]', '[{"organization_name":"A"}]', '"text"', '42', 'null', 'true'])(
    'refuses a JSON body that is not an object (%s)',
    async (text) => {
      const res = await post().set('Content-Type', 'application/json').send(text);
      expectError(res, 400, 'bad_request');
      expect(res.body.error_message).toBe('the request body must be a JSON object');
    },
  );

  describe('exact bytes over a real socket', () => {
    let server: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      server = await listen(t.app);
    });
    afterAll(() => server.close());
    const send = (body: Buffer) =>
      rawRequest(server.baseUrl, {
        method: 'POST',
        path,
        headers: { Authorization: AUTH, 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
        chunks: [body],
      });

    it('refuses invalid UTF-8 with 400 bad_request', async () => {
      const res = await send(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
      expectError(res, 400, 'bad_request');
      expect((res.body as { error_message: string }).error_message).toBe('the request body is not valid UTF-8');
    });

    it('accepts a UTF-8 byte order mark', async () => {
      const json = JSON.stringify({ organization_name: 'Acme', organization_slug: 'bom' });
      expectSuccess(await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)])));
    });

    it('refuses a body without a Content-Type', async () => {
      const body = Buffer.from('{}');
      const res = await rawRequest(server.baseUrl, {
        method: 'POST',
        path,
        headers: { Authorization: AUTH, 'Content-Length': String(body.length) },
        chunks: [body],
      });
      expectError(res, 400, 'bad_request');
    });
  });

  it('treats an empty body as {} and lets the service name the missing field', async () => {
    const res = await post().set('Content-Type', 'application/json').send('');
    expectError(res, 400, 'bad_request');
    expect(res.body.error_message).toMatch(/organization_name/);
    const bare = await post();
    expectError(bare, 400, 'bad_request');
    expect(bare.body.error_message).toMatch(/organization_name/);
  });

  it('refuses a body over 64 KB with 413 request_too_large, and accepts one just under', async () => {
    const padding = (bytes: number) => {
      const base = JSON.stringify({ organization_name: 'Acme', organization_slug: 'big', pad: '' });
      return JSON.stringify({ organization_name: 'Acme', organization_slug: 'big', pad: 'x'.repeat(bytes - base.length) });
    };
    expect(Buffer.byteLength(padding(65_536))).toBe(65_536);
    expectSuccess(await post().set('Content-Type', 'application/json').send(padding(65_536)));
    const res = await post().set('Content-Type', 'application/json').send(padding(65_537));
    expectError(res, 413, 'request_too_large');
    expect(res.body.error_message).toBe('the request body is larger than 65536 bytes');
  });

  it('honours a configured maxBodyBytes', async () => {
    const small = createTestApp({ router: { maxBodyBytes: 100 } });
    const res = await small.api.post('/v1/b2b/organizations', { organization_name: 'x'.repeat(100) });
    expectError(res, 413, 'request_too_large');
  });

  it('uses a body a host parser already read, and still checks its Content-Type', async () => {
    const host = createTestApp({ before: (app) => app.use(express.json(), express.urlencoded()) });
    expectSuccess(await host.api.post('/v1/b2b/organizations', { organization_name: 'Acme', organization_slug: 'acme' }));
    const form = await request(host.app)
      .post('/v1/b2b/organizations')
      .set('Authorization', AUTH)
      .type('form')
      .send('organization_name=Acme&organization_slug=form');
    expectError(form, 400, 'bad_request');
  });

  it('ignores unknown fields and keeps __proto__ a plain field', async () => {
    const res = await post()
      .set('Content-Type', 'application/json')
      .send('{"organization_name":"Acme","organization_slug":"proto","__proto__":{"organization_slug":"polluted"},"extra":[1,2]}');
    expectSuccess(res);
    expect(res.body.organization.organization_slug).toBe('proto');
    expect(({} as Record<string, unknown>).organization_slug).toBeUndefined();
  });

  it('lets the path parameter win over a body field of the same name', async () => {
    await t.api.post('/v1/b2b/organizations', { organization_name: 'Path', organization_slug: 'path-org' }).expect(200);
    const res = await t.api.post('/v1/b2b/organizations/path-org/members', {
      organization_id: 'some-other-org',
      email_address: 'x@path.example',
    });
    expectSuccess(res);
    expect(res.body.organization.organization_slug).toBe('path-org');
  });
});

describe('responses', () => {
  it('give every response a fresh request_id, passed to the service so the body carries the same one', async () => {
    const t = createTestApp();
    const a = await t.api.post('/v1/b2b/organizations', { organization_name: 'A', organization_slug: 'aaa' });
    const b = await t.api.get('/v1/b2b/organizations/aaa');
    expectSuccess(a);
    expectSuccess(b);
    expect(a.body.request_id).not.toBe(b.body.request_id);
  });

  it('use live request IDs for a live project', async () => {
    const t = createTestApp({ router: { projectId: 'project-live-1234' } });
    const auth = basic('project-live-1234', SECRET);
    const res = await request(t.app).get('/v1/b2b/organizations/x').set('Authorization', auth);
    expect(res.body.request_id).toMatch(/^request-id-live-/);
  });

  it('use DEFAULT_ERROR_URL_BASE when none is configured', async () => {
    const app = express().use(createTotpRouter({ service: createMemoryTotp().service, projectId: PROJECT_ID, secret: SECRET }));
    const res = await request(app).get('/v1/b2b/x');
    expect(res.body.error_url).toBe(`${DEFAULT_ERROR_URL_BASE}#unauthorized_credentials`);
  });

  it('are never cached and never sniffed', async () => {
    const t = createTestApp();
    const res = await t.api.get('/v1/b2b/nope');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.etag).toBeUndefined();
  });
});

describe("a host's own service", () => {
  // The router serializes core's responses as they are; any other answer still gets this request's request_id and
  // status_code, and a request_id of the service's own is replaced by the one the router logs and answers with.
  it.each([
    ['undefined', undefined, {}],
    ['an object without request_id', { ok: true }, { ok: true }],
    ['an object with another request_id', { request_id: 'request-id-test-other', status_code: 201, ok: true }, { ok: true }],
  ])('answering %s is answered with this request_id and status_code 200', async (_n, answer, fields) => {
    const { service } = createMemoryTotp();
    const t = createTestApp({
      router: { service: { ...service, totps: { ...service.totps, authenticate: async () => answer as never } } },
    });
    const res = await t.api.post('/v1/b2b/totp/authenticate', { organization_id: 'acme', member_id: 'm', code: '123456' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...fields, request_id: expect.stringMatching(/^request-id-test-/), status_code: 200 });
    expect(res.body.request_id).not.toBe('request-id-test-other');
  });
});

describe('unexpected failures', () => {
  function failingService(error: unknown): TotpService {
    const reject = () => Promise.reject(error);
    const { service } = createMemoryTotp();
    return { ...service, organizations: { ...service.organizations, get: reject } };
  }

  it.each([
    ['a TypeError', new TypeError('Cannot read properties of undefined (reading "secret") at /src/x.ts:1:2')],
    ['a string', 'database password is hunter2'],
    ['undefined', undefined],
    ['a TotpError internal_server_error', new TotpError('internal_server_error', 'pool exhausted at db.internal:5432')],
  ])('answer %s with 500 internal_server_error, logged with the request_id, nothing internal in the body', async (_n, error) => {
    const t = createTestApp({ router: { service: failingService(error) } });
    const res = await t.api.get('/v1/b2b/organizations/acme');
    expectError(res, 500, 'internal_server_error');
    expect(res.text).not.toMatch(/hunter2|db\.internal|reading/);
    expect(t.logged).toHaveLength(1);
    expect(t.logged[0]?.message).toContain(res.body.request_id);
    expect(t.logged[0]?.cause).toBe(error);
  });

  it('quote in the error body and the log the request_id the service was given', async () => {
    const seen: Array<string | undefined> = [];
    const { service } = createMemoryTotp();
    const get = (_request: unknown, options?: { requestId?: string }) => {
      seen.push(options?.requestId);
      return Promise.reject(new TotpError('service_unavailable', 'the store cannot be reached'));
    };
    const t = createTestApp({ router: { service: { ...service, organizations: { ...service.organizations, get } } } });
    const res = await t.api.get('/v1/b2b/organizations/acme');
    expectError(res, 503, 'service_unavailable');
    expect(seen).toEqual([res.body.request_id]);
    expect(t.logged[0]?.message).toContain(res.body.request_id);
  });

  it('answer a TotpError service_unavailable with 503 and its message, logged as one line with the cause, no stack', async () => {
    // A database outage: every request fails this way, so each is one log line, not a stack (it was ~4 KB each).
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect'), {
      code: 'ECONNREFUSED',
    });
    const outage = new TotpError('service_unavailable', 'the store cannot be reached', {
      cause: new Error('prisma failed', { cause: refused }),
    });
    const t = createTestApp({ router: { service: failingService(outage) } });
    const res = await t.api.get('/v1/b2b/organizations/acme');
    expectError(res, 503, 'service_unavailable');
    expect(res.body.error_message).toBe('the store cannot be reached');
    expect(t.logged).toHaveLength(1);
    const [entry] = t.logged;
    expect(entry!.cause).toBeUndefined();
    expect(entry!.message).toBe(
      `[@totp/express] ${res.body.request_id} GET /v1/b2b/organizations/acme: service_unavailable: connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)`,
    );
    // An unexpected failure still gets the error itself, stack and all.
    const bug = new Error('a bug');
    const u = createTestApp({ router: { service: failingService(bug) } });
    expectError(await u.api.get('/v1/b2b/organizations/acme'), 500, 'internal_server_error');
    expect(u.logged[0]!.cause).toBe(bug);
  });

  it('recognise a TotpError from another copy of core (dual-package builds) by name and error_type', async () => {
    const foreign = Object.assign(new Error('no organization matches organization_id'), {
      name: 'TotpError',
      error_type: 'organization_not_found',
    });
    const t = createTestApp({ router: { service: failingService(foreign) } });
    expectError(await t.api.get('/v1/b2b/organizations/acme'), 404, 'organization_not_found');
    const impostor = Object.assign(new Error('secret stuff'), { name: 'TotpError', error_type: 'not_a_type' });
    const u = createTestApp({ router: { service: failingService(impostor) } });
    expectError(await u.api.get('/v1/b2b/organizations/acme'), 500, 'internal_server_error');
  });

  it('still answer when the logger throws', async () => {
    const t = createTestApp({
      router: {
        service: failingService(new Error('x')),
        logger: {
          error: () => {
            throw new Error('logger down');
          },
        },
      },
    });
    expectError(await t.api.get('/v1/b2b/organizations/acme'), 500, 'internal_server_error');
  });
});

describe('createTotpRouter options', () => {
  const service = createMemoryTotp().service;
  it.each([
    [{ service, projectId: 'project-prod-1', secret: 's' }, /projectId/],
    [{ service, projectId: 'project-test-', secret: 's' }, /projectId/],
    [{ service, projectId: 'project-test-a:b', secret: 's' }, /projectId/],
    [{ service, projectId: PROJECT_ID, secret: '' }, /secret/],
    [{ service, projectId: PROJECT_ID, secret: [] }, /secret/],
    [{ service, projectId: PROJECT_ID, secret: ['a', 5] }, /secret/],
    [{ service, projectId: PROJECT_ID, secret: 's', maxBodyBytes: 0 }, /maxBodyBytes/],
    [{ service, projectId: PROJECT_ID, secret: 's', maxBodyBytes: 1.5 }, /maxBodyBytes/],
    [{ service, projectId: PROJECT_ID, secret: 's', maxBodyBytes: Number.NaN }, /maxBodyBytes/],
    [{ service, projectId: PROJECT_ID, secret: 's', errorUrlBase: 'docs/errors' }, /errorUrlBase/],
    [{ service, projectId: PROJECT_ID, secret: 's', logger: {} }, /logger/],
    [{ service, projectId: PROJECT_ID, secret: 's', scope: 'everything' }, /scope/],
    [{ projectId: PROJECT_ID, secret: 's' }, /service/],
  ])('refuses bad options (#%#)', (options, message) => {
    expect(() => createTotpRouter(options as never)).toThrow(message);
  });

  it('exports the API prefix it answers under', () => {
    expect(API_PREFIX).toBe('/v1/b2b');
  });
});
