// Attack pinned here: an attacker holding a member's session sends a burst of hundreds of TOTP guesses at once,
// spread over several server processes sharing one PostgreSQL database, hoping that guesses already past the lock
// check are still evaluated, and plants the right code deep in the burst. At most the lockout limit of codes may
// be evaluated per lock window, across every process: the right code is refused, and the store counts no more.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSecret, generateTotp } from '@totp/core/otp';
import pg from 'pg';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runMain, type MainProcess } from './support';

const POSTGRES_URL = inject('postgresUrl');
const PROCESSES = 2;
const BURST = 400;
const ROUNDS = 4;
const LIMIT = 10; // the server's default lockout limit
const STEP_MS = 30_000;
const KEY = `base64:${Buffer.alloc(32, 5).toString('base64')}`;
const PROJECT_ID = 'project-test-burst';
const SECRET = 'burst-secret';
const AUTH = `Basic ${Buffer.from(`${PROJECT_ID}:${SECRET}`).toString('base64')}`;
/** A secret imported with totps.migrate, so the test knows every code. */
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

describe(`PostgreSQL, ${PROCESSES} server processes: a burst of ${BURST} concurrent guesses`, () => {
  let admin: pg.Client;
  let database: string;
  const servers: Array<{ main: MainProcess; url: string; pool: Pool }> = [];

  beforeAll(async () => {
    if (POSTGRES_URL === null) throw new Error(inject('postgresError') ?? 'no PostgreSQL');
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    database = `totp_burst_${process.pid}_${Date.now().toString(36)}`;
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    const env = {
      PORT: '0',
      DATABASE_URL: url.toString(),
      TOTP_PROJECT_ID: PROJECT_ID,
      TOTP_SECRET: SECRET,
      TOTP_ENCRYPTION_KEY: KEY,
      TOTP_RECOVERY_CODE_PEPPER: KEY,
      TOTP_SESSION_SIGNING_KEY: KEY,
    };
    // One after the other: the first applies the migrations.
    for (let i = 0; i < PROCESSES; i++) {
      const main = runMain(env, mkdtempSync(join(tmpdir(), 'totp-burst-')));
      await main.ready;
      const listening = /listening on (http:\/\/[^\s]+)/.exec(main.output());
      if (listening === null) throw new Error(`no URL in: ${main.output()}`);
      // Keep-alive connections, opened before the burst (warmUp), so that the burst arrives together.
      servers.push({ main, url: listening[1]!, pool: new Pool(listening[1]!, { connections: BURST / PROCESSES, pipelining: 1 }) });
    }
  }, 120_000);

  afterAll(async () => {
    for (const { main, pool } of servers) {
      await pool.close();
      main.child.kill('SIGTERM');
      await main.exited;
    }
    if (admin !== undefined) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  async function call(
    server: number,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await servers[server]!.pool.request({
      method: method as 'GET' | 'POST',
      path,
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  }

  /** A member with an active registration of TOTP_SECRET and a session from the code of `step`. */
  async function victim(round: number, step: number) {
    const slug = `burst-${round}-${Date.now().toString(36)}`;
    const org = await call(0, 'POST', '/v1/b2b/organizations', { organization_name: 'Burst', organization_slug: slug });
    expect(org.status).toBe(200);
    const member = await call(0, 'POST', `/v1/b2b/organizations/${slug}/members`, { email_address: `v${round}@burst.example` });
    const ids = { organization_id: slug, member_id: member.body.member_id as string };
    expect((await call(0, 'POST', '/v1/b2b/totp/migrate', { ...ids, secret: TOTP_SECRET })).status).toBe(200);
    const ist = await call(0, 'POST', '/v1/b2b/sessions/intermediate', ids);
    // Signed in with the code of `step`: the next step's code, which the burst plants, is still unused.
    const first = await call(1, 'POST', '/v1/b2b/totp/authenticate', {
      ...ids,
      code: codeAt(step),
      intermediate_session_token: ist.body.intermediate_session_token,
    });
    expect(first).toMatchObject({ status: 200 });
    return { ids, sessionToken: first.body.session_token as string };
  }

  const codeAt = (step: number) => generateTotp(decodeSecret(TOTP_SECRET), { nowMs: step * STEP_MS });

  async function warmUp(ids: { organization_id: string; member_id: string }) {
    await Promise.all(
      servers.flatMap((_, server) =>
        Array.from({ length: BURST / PROCESSES }, () => call(server, 'GET', `/v1/b2b/organizations/${ids.organization_id}`)),
      ),
    );
  }

  it(`evaluates at most ${LIMIT} codes and refuses the right one planted in the second half, in each of ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const step = Math.floor(Date.now() / STEP_MS);
      const { ids, sessionToken } = await victim(round, step);
      await warmUp(ids);
      // Within the ±1-step window for the whole burst, whether or not a step boundary passes meanwhile.
      const right = codeAt(step + 1);
      // Wrong for every step the server could still accept.
      const wrong = ['000000', '111111', '222222'].find((c) => ![0, 1, 2, 3].some((d) => codeAt(step + d) === c))!;
      // The right code far past the limit, in the second half; requests alternate between the processes.
      const planted = BURST / 2 + 37 + round;
      const results = await Promise.all(
        Array.from({ length: BURST }, (_, i) =>
          call(i % PROCESSES, 'POST', '/v1/b2b/totp/authenticate', {
            ...ids,
            code: i === planted ? right : wrong,
            session_token: sessionToken,
          }),
        ),
      );
      const types = results.map((r) => (r.status === 200 ? 'succeeded' : (r.body.error_type as string)));
      expect(types).not.toContain('succeeded');
      expect(types[planted]).toBe('user_lock_limit_reached');
      const evaluatedWrong = types.filter((t) => t === 'unable_to_authenticate_totp').length;
      expect(evaluatedWrong).toBeLessThanOrEqual(LIMIT - 1);
      expect(types.every((t) => t === 'unable_to_authenticate_totp' || t === 'user_lock_limit_reached')).toBe(true);
      // The store counted every evaluated attempt, no more than the limit, and the lock stands.
      const url = new URL(POSTGRES_URL!);
      url.pathname = `/${database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ failed_mfa_attempts: number; lock_expires_at: Date | null }>(
          'SELECT failed_mfa_attempts, lock_expires_at FROM totp_members WHERE member_id = $1',
          [ids.member_id],
        );
        expect(rows[0]!.failed_mfa_attempts).toBe(LIMIT);
        expect(rows[0]!.lock_expires_at!.getTime()).toBeGreaterThan(Date.now());
      } finally {
        await client.end();
      }
    }
  }, 180_000);
});
