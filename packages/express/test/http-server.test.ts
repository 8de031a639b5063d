// The router behind a real listening HTTP server: chunked and oversized bodies, clients that hang up mid-body,
// keep-alive connections that survive errors, and many concurrent requests.

import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH, createTestApp, expectError, expectSuccess, listen, rawRequest } from './helpers';

const t = createTestApp();
let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  server = await listen(t.app);
});
afterAll(() => server.close());

const json = { Authorization: AUTH, 'Content-Type': 'application/json' };

describe('over a real socket', () => {
  it('reads a chunked body in pieces', async () => {
    const res = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/v1/b2b/organizations',
      headers: json,
      chunks: ['{"organization_name":', '"Chunked",', '"organization_slug":"chunked"}'],
    });
    expectSuccess(res);
  });

  it('stops reading a chunked body at the limit: 413, and the connection closes', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const res = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/v1/b2b/organizations',
      headers: json,
      chunks: ['{', ...Array<Buffer>(5).fill(chunk), '}'],
    });
    expectError(res, 413, 'request_too_large');
    expect(res.headers.connection).toBe('close');
  });

  it('refuses a declared Content-Length over the limit before any of the body arrives', async () => {
    const { port } = new URL(server.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.write(
      `POST /v1/b2b/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n{',
    );
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"error_type":"request_too_large"');
  });

  it('closes the connection on a caller without credentials instead of reading its body', async () => {
    // Declares 10 GB and keeps sending: the 401 must go out at once and the server must hang up, not drain the body.
    const { port } = new URL(server.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined); // EPIPE/ECONNRESET once the server has closed: expected
    socket.write('POST /v1/b2b/totp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{');
    // The answer comes before the body: read it first (once the server hangs up on unread data, the reset may
    // discard what the client has not read yet).
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let open = true;
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    void closed.then(() => (open = false));
    const started = Date.now();
    while (open && Date.now() - started < 5_000) {
      if (socket.write(chunk)) sent += chunk.length;
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(open).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(sent).toBeLessThan(256 * 1024 * 1024);
  });

  it('survives a client that hangs up in the middle of a body, and logs nothing', async () => {
    const { port } = new URL(server.baseUrl);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(
      `POST /v1/b2b/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"organization_name":',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.logged).toEqual([]);
    const res = await rawRequest(server.baseUrl, { method: 'GET', path: '/v1/b2b/organizations/nope', headers: { Authorization: AUTH } });
    expectError(res, 404, 'organization_not_found');
  });

  it('keeps a keep-alive connection usable after error answers', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const send = (body: string) =>
      new Promise<{ status: number; body: { error_type?: string } }>((resolve, reject) => {
        const req = httpRequest(`${server.baseUrl}/v1/b2b/organizations`, { method: 'POST', headers: json, agent }, (res) => {
          sockets.add(res.socket);
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect((await send('{not json')).body.error_type).toBe('bad_request');
    expect((await send('[]')).body.error_type).toBe('bad_request');
    expect((await send('{"organization_name":"K","organization_slug":"keepalive"}')).status).toBe(200);
    expect(sockets.size).toBe(1);
    agent.destroy();
  });

  it('answers 50 concurrent requests, each with its own request_id', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        rawRequest(server.baseUrl, {
          method: 'POST',
          path: '/v1/b2b/organizations',
          headers: json,
          chunks: [JSON.stringify({ organization_name: `Org ${i}`, organization_slug: `concurrent-${i}` })],
        }),
      ),
    );
    for (const res of responses) expectSuccess(res);
    expect(new Set(responses.map((r) => (r.body as { request_id: string }).request_id)).size).toBe(50);
  });
});
