// The reference server on a real SQLite file: the API end to end over HTTP, data and local secrets surviving a
// restart, malformed HTTP answered in the API's shape, and `src/main.ts` run as `pnpm start` runs it: its printed
// curl example works as printed, and SIGTERM lets an in-flight request finish.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, sqliteConfig, startTestServer } from './support';

async function call(base: { url: string; auth: string }, method: string, path: string, body?: object) {
  const res = await fetch(`${base.url}${path}`, {
    method,
    headers: { authorization: base.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read nested fields of whatever came back
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('the server on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'totp-server-'));
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ config: sqliteConfig(dir) });
  });
  afterAll(() => server.close());

  let secret = '';
  let memberId = '';

  it('serves the API end to end', async () => {
    expect((await call(server, 'POST', '/v1/b2b/organizations', { organization_name: 'Acme', organization_slug: 'acme' })).status).toBe(
      200,
    );
    const member = await call(server, 'POST', '/v1/b2b/organizations/acme/members', { email_address: 'ada@acme.example' });
    expect(member.status).toBe(200);
    memberId = member.body.member_id;
    const created = await call(server, 'POST', '/v1/b2b/totp', { organization_id: 'acme', member_id: memberId });
    expect(created.status).toBe(200);
    secret = created.body.secret;
    const ist = await call(server, 'POST', '/v1/b2b/sessions/intermediate', { organization_id: 'acme', member_id: memberId });
    const code = new OTPAuth.TOTP({ secret }).generate();
    const authenticated = await call(server, 'POST', '/v1/b2b/totp/authenticate', {
      organization_id: 'acme',
      member_id: memberId,
      code,
      intermediate_session_token: ist.body.intermediate_session_token,
    });
    expect(authenticated.status).toBe(200);
    const replay = await call(server, 'POST', '/v1/b2b/totp/authenticate', {
      organization_id: 'acme',
      member_id: memberId,
      code,
      session_token: authenticated.body.session_token,
    });
    expect(replay.body.error_type).toBe('totp_code_already_authenticated');
    const duplicate = await call(server, 'POST', '/v1/b2b/organizations', { organization_name: 'Acme', organization_slug: 'acme' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error_type).toBe('duplicate_organization_slug');
  });

  it('keeps its data and secrets across a restart', async () => {
    await server.close();
    server = await startTestServer({ config: sqliteConfig(dir) });
    const member = await call(server, 'GET', `/v1/b2b/organizations/acme/members/${memberId}`);
    expect(member.status).toBe(200);
    expect(member.body.member.totp_registration_id).toMatch(/^member-totp-test-/);
    // The TOTP secret stored before the restart still decrypts: the same local keys were used.
    const ist = await call(server, 'POST', '/v1/b2b/sessions/intermediate', { organization_id: 'acme', member_id: memberId });
    const next = new OTPAuth.TOTP({ secret }).generate({ timestamp: Date.now() + 30_000 });
    const res = await call(server, 'POST', '/v1/b2b/totp/authenticate', {
      organization_id: 'acme',
      member_id: memberId,
      code: next,
      intermediate_session_token: ist.body.intermediate_session_token,
    });
    expect(res.status).toBe(200);
  });

  it('answers any path with the JSON error shape, and malformed HTTP too', async () => {
    const root = await fetch(`${server.url}/`, { headers: { authorization: server.auth } });
    expect(root.status).toBe(404);
    expect(((await root.json()) as { error_type: string }).error_type).toBe('route_not_found');
    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => void (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ status_code: 400, error_type: 'bad_request' });
    expect(body.request_id).toMatch(/^request-id-test-/);
  });
});

describe('src/main.ts (pnpm start)', () => {
  it('prints a curl example that works as printed, and finishes an in-flight request on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'totp-main-'));
    const main = runMain({ PORT: '0' }, dir);
    await main.ready;
    const output = main.output();
    expect(output).toMatch(/WARNING: generated TOTP_PROJECT_ID, TOTP_SECRET, .* for LOCAL USE ONLY/);
    const curl = output.split('\n').find((line) => line.trim().startsWith('curl '));
    expect(curl).toBeDefined();
    const printed = JSON.parse(execFileSync('bash', ['-c', curl as string], { encoding: 'utf8' }));
    expect(printed.status_code).toBe(200);
    expect(printed.organization.organization_slug).toMatch(/^acme-[0-9a-f]{6}$/);

    // An in-flight request: headers and half a body sent, then SIGTERM, then the rest of the body.
    const url = new URL(/http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0] as string);
    const userInfo = /-u '([^']+)'/.exec(curl as string)?.[1] as string;
    const body = JSON.stringify({ organization_name: 'Late', organization_slug: 'late-but-served' });
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: url.port,
          method: 'POST',
          path: '/v1/b2b/organizations',
          auth: userInfo,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => void (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        main.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).organization.organization_slug).toBe('late-but-served');
    expect(await main.exited).toBe(0);
    expect(main.output()).toContain('SIGTERM: finishing in-flight requests');
  });

  it('refuses to start on PostgreSQL without explicit secrets, naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'totp-main-'));
    const main = runMain({ PORT: '0', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' }, dir);
    expect(await main.exited).toBe(1);
    expect(main.output()).toMatch(
      /Configuration error: With PostgreSQL, every secret must be given explicitly; missing: TOTP_PROJECT_ID, TOTP_SECRET/,
    );
  });
});
