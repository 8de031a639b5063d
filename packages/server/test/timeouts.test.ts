// A client that sends its request too slowly gets 408 `request_timeout` in the Stytch error shape, at the time
// configured (Node checks its timeouts every 30 s by default, so they used to fire as late as twice the setting, as 400).

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './support';

describe('request and header timeouts', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer({ timeouts: { requestMs: 2000, headersMs: 1000 } });
  });
  afterAll(() => server?.close());

  /** Sends `first`, then nothing more; resolves what came back and how long after the connection it came. */
  function stall(first: string): Promise<{ text: string; afterMs: number }> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      const started = Date.now();
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', reject);
      socket.on('close', () => resolve({ text: Buffer.concat(received).toString('utf8'), afterMs: Date.now() - started }));
      socket.write(first);
    });
  }

  it('answers 408 when the headers do not arrive within headersTimeout', async () => {
    const { text, afterMs } = await stall('POST /v1/b2b/organizations HTTP/1.1\r\nHost: x\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ status_code: 408, error_type: 'request_timeout', request_id: expect.stringMatching(/^request-id-test-/) });
    expect(afterMs).toBeGreaterThanOrEqual(950);
    expect(afterMs).toBeLessThan(1600);
  });

  it('answers 408 when the body does not arrive within requestTimeout', async () => {
    const { text, afterMs } = await stall(
      `POST /v1/b2b/organizations HTTP/1.1\r\nHost: x\r\nAuthorization: ${server.auth}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"organization_name":`,
    );
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"error_type":"request_timeout"');
    expect(afterMs).toBeGreaterThanOrEqual(1950);
    expect(afterMs).toBeLessThan(2600);
  });
});
