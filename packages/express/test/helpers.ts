// Shared test setup: a real Express 5 app with the router over the in-memory service, and an RFC 6238 code
// generator written here on node:crypto, independent of core's, so the tests do not check core against itself.

import { createHmac } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { ERROR_TYPES, type ErrorType } from '@totp/core';
import { createMemoryTotp, type MemoryTotp, type MemoryTotpOptions } from '@totp/memory';
import { ERROR_STATUS, createTotpRouter, type TotpRouterOptions } from '../src/index';

export const PROJECT_ID = 'project-test-6c1d2a5e-3f4b-4c7d-9e8f-0a1b2c3d4e5f';
export const SECRET = 'secret-test-Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
export const AUTH = `Basic ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`;
export const ERROR_URL_BASE = 'https://docs.example/http-reference.md';

/** Base32 (RFC 4648 §6) decoding, written out so the codes below share nothing with core. */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP, SHA-1, 6 digits, 30 s (RFC 4226 §5.3 dynamic truncation). */
export function totpCode(secretBase32: string, nowMs: number, stepOffset = 0): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 30_000) + stepOffset));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

/** A settable clock: tests move time explicitly so codes never straddle a 30-second step by accident. */
export function testClock(startMs = Date.UTC(2026, 10, 29, 14, 0, 5)) {
  let now = startMs;
  return {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
    advanceSeconds: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

export interface TestAppOptions {
  service?: MemoryTotpOptions;
  router?: Partial<TotpRouterOptions>;
  /** Runs before the router is mounted, e.g. a host's own body parser. */
  before?: (app: Express) => void;
}

export interface TestApp extends MemoryTotp {
  app: Express;
  /** supertest requests that carry the project credentials. */
  api: {
    get(path: string): request.Test;
    post(path: string, body?: string | object): request.Test;
    delete(path: string, body?: object): request.Test;
  };
  clock: ReturnType<typeof testClock>;
  /** What the router's logger received. */
  logged: Array<{ message: string; cause: unknown }>;
}

export function createTestApp(options: TestAppOptions = {}): TestApp {
  const clock = testClock();
  const totp = createMemoryTotp({ projectName: 'Test', clock: clock.now, ...options.service });
  const logged: Array<{ message: string; cause: unknown }> = [];
  const app = express();
  app.disable('x-powered-by');
  options.before?.(app);
  app.use(
    createTotpRouter({
      service: totp.service,
      projectId: PROJECT_ID,
      secret: SECRET,
      errorUrlBase: ERROR_URL_BASE,
      logger: { error: (message, cause) => logged.push({ message, cause }) },
      ...options.router,
    }),
  );
  const api: TestApp['api'] = {
    get: (path: string) => request(app).get(path).set('Authorization', AUTH),
    post: (path: string, body?: string | object) => {
      const r = request(app).post(path).set('Authorization', AUTH);
      return body === undefined ? r : r.send(body);
    },
    delete: (path: string, body?: object) => {
      const r = request(app).delete(path).set('Authorization', AUTH);
      return body === undefined ? r : r.send(body);
    },
  };
  return { app, api, clock, logged, ...totp };
}

/** Provisions an organization and an active member; returns their IDs. */
export async function provision(t: TestApp, slug = 'acme') {
  const org = await t.api.post('/v1/b2b/organizations', { organization_name: 'Acme', organization_slug: slug }).expect(200);
  const member = await t.api
    .post(`/v1/b2b/organizations/${slug}/members`, { email_address: `ada@${slug}.example`, name: 'Ada' })
    .expect(200);
  return {
    organizationId: org.body.organization.organization_id as string,
    memberId: member.body.member_id as string,
  };
}

/** An intermediate session token for the member (the host's primary authentication succeeded). */
export async function intermediateToken(t: TestApp, organizationId: string, memberId: string): Promise<string> {
  const res = await t.api.post('/v1/b2b/sessions/intermediate', { organization_id: organizationId, member_id: memberId }).expect(200);
  return res.body.intermediate_session_token as string;
}

/** A member with an active TOTP registration and a member session from its first authentication. */
export async function enrolled(t: TestApp, slug = 'acme') {
  const ids = await provision(t, slug);
  const created = await t.api.post('/v1/b2b/totp', { organization_id: ids.organizationId, member_id: ids.memberId }).expect(200);
  const ist = await intermediateToken(t, ids.organizationId, ids.memberId);
  const authenticated = await t.api
    .post('/v1/b2b/totp/authenticate', {
      organization_id: ids.organizationId,
      member_id: ids.memberId,
      code: totpCode(created.body.secret, t.clock.now()),
      intermediate_session_token: ist,
    })
    .expect(200);
  t.clock.advanceSeconds(30);
  return {
    ...ids,
    secret: created.body.secret as string,
    recoveryCodes: created.body.recovery_codes as string[],
    sessionToken: authenticated.body.session_token as string,
    sessionJwt: authenticated.body.session_jwt as string,
    memberSessionId: authenticated.body.member_session.member_session_id as string,
  };
}

const REQUEST_ID = /^request-id-(test|live)-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A well-formed Stytch error: exactly the five fields, the status matching, JSON, nothing internal. */
export function expectError(
  res: { status: number; body: unknown; headers: Record<string, string>; text: string },
  status: number,
  errorType?: ErrorType,
): void {
  const body = res.body as Record<string, unknown>;
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(Object.keys(body).sort()).toEqual(['error_message', 'error_type', 'error_url', 'request_id', 'status_code']);
  expect(res.status).toBe(status);
  expect(body.status_code).toBe(status);
  expect(ERROR_TYPES).toContain(body.error_type);
  expect(ERROR_STATUS[body.error_type as ErrorType]).toBe(status);
  if (errorType !== undefined) expect(body.error_type).toBe(errorType);
  expect(body.request_id).toMatch(REQUEST_ID);
  expect(body.error_url).toBe(`${ERROR_URL_BASE}#${String(body.error_type)}`);
  expect(typeof body.error_message).toBe('string');
  expect((body.error_message as string).length).toBeGreaterThan(0);
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\/src\/|TypeError|ReferenceError/);
}

export function expectSuccess(res: { status: number; body: unknown; headers: Record<string, string> }): void {
  const body = res.body as Record<string, unknown>;
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(body.status_code).toBe(200);
  expect(body.request_id).toMatch(REQUEST_ID);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: unknown;
}

/**
 * Sends exact bytes with node:http to a listening server (supertest re-encodes Buffers sent as JSON).
 * `chunks` are written one by one with chunked transfer encoding unless a Content-Length header is given.
 */
export async function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: Array<Buffer | string> },
): Promise<RawResponse> {
  const { request: httpRequest } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${options.path}`, { method: options.method, headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

/** Listens on an ephemeral loopback port; returns the base URL and a close function that ends keep-alive sockets. */
export async function listen(app: Express): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
