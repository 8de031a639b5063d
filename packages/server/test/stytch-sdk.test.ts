// Proof with a real client: the official `stytch` Node SDK (B2BClient, custom_base_url, an undici dispatcher) against
// the reference server over HTTPS with a throwaway self-signed certificate, on a real SQLite file. The QR code is
// decoded by a real QR reader and codes are computed by otpauth, an RFC 6238 implementation independent of core.

import { ERROR_TYPES, type ErrorType } from '@totp/core';
import { ERROR_STATUS } from '@totp/express';
import jsQR from 'jsqr';
import * as OTPAuth from 'otpauth';
import { PNG } from 'pngjs';
import { generate } from 'selfsigned';
import { B2BClient, StytchError } from 'stytch';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testClock } from './support';

const clock = testClock(Date.UTC(2026, 10, 29, 14, 0, 5));
let server: Awaited<ReturnType<typeof startTestServer>>;
let dispatcher: Agent;
let client: B2BClient;

beforeAll(async () => {
  // A certificate for 127.0.0.1 that this test trusts explicitly (as its CA), so TLS is verified, not skipped.
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  server = await startTestServer({ tls: { key: pems.private, cert: pems.cert }, clock: clock.now });
  dispatcher = new Agent({ connect: { ca: pems.cert } });
  client = new B2BClient({ project_id: server.config.projectId, secret: server.config.secret, custom_base_url: server.url, dispatcher });
});
afterAll(async () => {
  await dispatcher?.close();
  await server?.close();
});

/** The extension route (not in the SDK): the host's primary authentication succeeded, MFA comes next. */
async function intermediateSessionToken(organizationId: string, memberId: string): Promise<string> {
  const res = await request(`${server.url}/v1/b2b/sessions/intermediate`, {
    method: 'POST',
    dispatcher,
    headers: { authorization: server.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ organization_id: organizationId, member_id: memberId }),
  });
  const body = (await res.body.json()) as { intermediate_session_token: string };
  expect(res.statusCode).toBe(200);
  return body.intermediate_session_token;
}

function scanQrCode(dataUri: string): string {
  const png = PNG.sync.read(Buffer.from(dataUri.slice('data:image/png;base64,'.length), 'base64'));
  const result = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (result === null) throw new Error('the QR code did not decode');
  return result.data;
}

const codeAt = (totp: OTPAuth.TOTP, offsetSteps = 0) => totp.generate({ timestamp: clock.now() + offsetSteps * 30_000 });

async function stytchError(call: () => Promise<unknown>): Promise<StytchError> {
  try {
    await call();
  } catch (error) {
    expect(error).toBeInstanceOf(StytchError);
    return error as StytchError;
  }
  throw new Error('the call succeeded');
}

describe('the stytch SDK against the server over HTTPS', () => {
  it('runs the whole flow: provision, create, scan, authenticate, replay, recover, rotate, delete', async () => {
    const { organization } = await client.organizations.create({ organization_name: 'Acme & Sons', organization_slug: 'acme' });
    expect(organization.organization_id).toMatch(/^organization-test-/);
    const { member } = await client.organizations.members.create({
      organization_id: organization.organization_id,
      email_address: 'ada.lovelace+mfa@acme.example',
      name: 'Ada',
    });
    expect((await client.organizations.get({ organization_id: 'acme' })).organization.organization_id).toBe(organization.organization_id);
    expect((await client.organizations.members.get({ organization_id: 'acme', member_id: member.member_id })).member.email_address).toBe(
      'ada.lovelace+mfa@acme.example',
    );
    expect(
      (await client.organizations.members.get({ organization_id: 'acme', email_address: 'ADA.lovelace+mfa@acme.example' })).member_id,
    ).toBe(member.member_id);

    const created = await client.totps.create({ organization_id: 'acme', member_id: member.member_id, expiration_minutes: 10 });
    expect(created.status_code).toBe(200);
    expect(created.recovery_codes).toHaveLength(10);
    const uri = scanQrCode(created.qr_code);
    // What an authenticator app reads: the label and issuer percent-encoded (a space is %20, never +).
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe('otpauth:');
    expect(parsed.host).toBe('totp');
    expect(decodeURIComponent(parsed.pathname.slice(1))).toBe('Test (Acme & Sons):ada.lovelace+mfa@acme.example');
    expect(uri).not.toContain('+');
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      secret: created.secret,
      issuer: 'Test (Acme & Sons)',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    expect(totp).toBeInstanceOf(OTPAuth.TOTP);

    const ist = await intermediateSessionToken(organization.organization_id, member.member_id);
    const code = codeAt(totp);
    const authenticated = await client.totps.authenticate({
      organization_id: 'acme',
      member_id: member.member_id,
      code,
      intermediate_session_token: ist,
    });
    expect(authenticated.member.totp_registration_id).toBe(created.totp_registration_id);
    expect(authenticated.member_session?.authentication_factors).toContainEqual(
      expect.objectContaining({ type: 'totp', delivery_method: 'authenticator_app' }),
    );
    const sessionToken = authenticated.session_token;

    const replay = await stytchError(() =>
      client.totps.authenticate({ organization_id: 'acme', member_id: member.member_id, code, session_token: sessionToken }),
    );
    expect(replay.error_type).toBe('totp_code_already_authenticated');
    expect(replay.status_code).toBe(401);

    clock.advanceSeconds(30);
    const next = await client.totps.authenticate({
      organization_id: 'acme',
      member_id: member.member_id,
      code: codeAt(totp),
      session_token: sessionToken,
    });
    expect(next.session_token).toBe(sessionToken);

    const counted = await client.recoveryCodes.get({ organization_id: 'acme', member_id: member.member_id });
    expect(counted.recovery_codes).toEqual([]);
    expect((counted as unknown as { recovery_codes_remaining: number }).recovery_codes_remaining).toBe(10);

    const recovered = await client.recoveryCodes.recover({
      organization_id: 'acme',
      member_id: member.member_id,
      recovery_code: created.recovery_codes[0] as string,
      session_token: sessionToken,
    });
    expect(recovered.recovery_codes_remaining).toBe(9);
    const reused = await stytchError(() =>
      client.recoveryCodes.recover({
        organization_id: 'acme',
        member_id: member.member_id,
        recovery_code: created.recovery_codes[0] as string,
        session_token: sessionToken,
      }),
    );
    expect(reused.error_type).toBe('unable_to_authenticate_recovery_code');

    const rotated = await client.recoveryCodes.rotate({ organization_id: 'acme', member_id: member.member_id });
    expect(rotated.recovery_codes).toHaveLength(10);
    const old = await stytchError(() =>
      client.recoveryCodes.recover({
        organization_id: 'acme',
        member_id: member.member_id,
        recovery_code: created.recovery_codes[1] as string,
        session_token: sessionToken,
      }),
    );
    expect(old.error_type).toBe('unable_to_authenticate_recovery_code');

    const session = await client.sessions.authenticate({ session_token: sessionToken });
    expect(session.member_session.member_id).toBe(member.member_id);

    const deleted = await client.organizations.members.deleteTOTP({ organization_id: 'acme', member_id: member.member_id });
    expect(deleted.member.totp_registration_id).toBe('');
    expect((await stytchError(() => client.recoveryCodes.get({ organization_id: 'acme', member_id: member.member_id }))).error_type).toBe(
      'totp_not_found',
    );

    await client.sessions.revoke({ member_id: member.member_id });
    expect((await stytchError(() => client.sessions.authenticate({ session_token: sessionToken }))).error_type).toBe('session_not_found');
    await client.sessions.revoke({ member_session_id: session.member_session.member_session_id });

    await client.organizations.members.delete({ organization_id: 'acme', member_id: member.member_id });
    expect(
      (await stytchError(() => client.organizations.members.get({ organization_id: 'acme', member_id: member.member_id }))).error_type,
    ).toBe('member_not_found');
    await client.organizations.delete({ organization_id: organization.organization_id });
    expect((await stytchError(() => client.organizations.get({ organization_id: 'acme' }))).error_type).toBe('organization_not_found');
  });
});

describe('the SDK’s StytchError carries our error_type for each documented error', () => {
  let orgId = '';
  /** A member with an active registration and a live session. */
  let enrolled: { memberId: string; totp: OTPAuth.TOTP; sessionToken: string; recoveryCode: string };
  let fresh = 0;

  async function newMember(extra: Record<string, unknown> = {}): Promise<string> {
    fresh++;
    const { member_id } = await client.organizations.members.create({
      organization_id: orgId,
      email_address: `m${fresh}@errs.example`,
      ...extra,
    });
    return member_id;
  }

  async function enroll(): Promise<typeof enrolled> {
    const memberId = await newMember();
    const created = await client.totps.create({ organization_id: orgId, member_id: memberId });
    const totp = new OTPAuth.TOTP({ secret: created.secret });
    const ist = await intermediateSessionToken(orgId, memberId);
    const { session_token } = await client.totps.authenticate({
      organization_id: orgId,
      member_id: memberId,
      code: codeAt(totp),
      intermediate_session_token: ist,
    });
    return { memberId, totp, sessionToken: session_token, recoveryCode: created.recovery_codes[0] as string };
  }

  beforeAll(async () => {
    const { organization } = await client.organizations.create({
      organization_name: 'Errors',
      organization_slug: 'errs',
      organization_external_id: 'errs-ext',
    });
    orgId = organization.organization_id;
    enrolled = await enroll();
  });

  const wrongCode = (totp: OTPAuth.TOTP) => {
    const right = new Set([codeAt(totp, -1), codeAt(totp), codeAt(totp, 1)]);
    return ['000000', '111111', '222222', '333333'].find((c) => !right.has(c)) as string;
  };

  const scenarios: Array<[ErrorType, () => Promise<unknown>]> = [
    ['bad_request', () => client.totps.create({ organization_id: orgId } as never)],
    [
      'invalid_expiration',
      async () => client.totps.create({ organization_id: orgId, member_id: await newMember(), expiration_minutes: 2 }),
    ],
    [
      'invalid_session_duration_minutes',
      () =>
        client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: '123456',
          session_token: enrolled.sessionToken,
          session_duration_minutes: 1,
        }),
    ],
    [
      'custom_claims_too_large',
      () =>
        client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: '123456',
          session_token: enrolled.sessionToken,
          session_custom_claims: { x: 'y'.repeat(5000) },
        }),
    ],
    [
      'invalid_totp_code',
      () =>
        client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: 'abcdef',
          session_token: enrolled.sessionToken,
        }),
    ],
    [
      'invalid_recovery_code',
      () =>
        client.recoveryCodes.recover({
          organization_id: orgId,
          member_id: enrolled.memberId,
          recovery_code: 'nope',
          session_token: enrolled.sessionToken,
        }),
    ],
    [
      'active_totp_exists',
      () => client.totps.create({ organization_id: orgId, member_id: enrolled.memberId, session_token: enrolled.sessionToken }),
    ],
    [
      'action_available_only_for_active_members',
      async () => client.totps.create({ organization_id: orgId, member_id: await newMember({ create_member_as_pending: true }) }),
    ],
    [
      'no_associated_session_passed_in',
      () => client.totps.authenticate({ organization_id: orgId, member_id: enrolled.memberId, code: codeAt(enrolled.totp, 1) }),
    ],
    [
      'expired_totp',
      async () => {
        const memberId = await newMember();
        const created = await client.totps.create({ organization_id: orgId, member_id: memberId, expiration_minutes: 5 });
        clock.advanceSeconds(5 * 60 + 30);
        const ist = await intermediateSessionToken(orgId, memberId);
        return client.totps.authenticate({
          organization_id: orgId,
          member_id: memberId,
          code: codeAt(new OTPAuth.TOTP({ secret: created.secret })),
          intermediate_session_token: ist,
        });
      },
    ],
    [
      'unauthorized_credentials',
      () =>
        new B2BClient({ project_id: server.config.projectId, secret: 'wrong', custom_base_url: server.url, dispatcher }).organizations.get({
          organization_id: orgId,
        }),
    ],
    [
      'unable_to_authenticate_totp',
      () =>
        client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: wrongCode(enrolled.totp),
          session_token: enrolled.sessionToken,
        }),
    ],
    [
      'totp_code_already_authenticated',
      async () => {
        clock.advanceSeconds(30);
        const body = {
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: codeAt(enrolled.totp),
          session_token: enrolled.sessionToken,
        };
        await client.totps.authenticate(body);
        return client.totps.authenticate(body);
      },
    ],
    [
      'unable_to_authenticate_recovery_code',
      () =>
        client.recoveryCodes.recover({
          organization_id: orgId,
          member_id: enrolled.memberId,
          recovery_code: 'aaaa-bbbb-cccc',
          session_token: enrolled.sessionToken,
        }),
    ],
    ['session_not_found', () => client.sessions.authenticate({ session_token: 'no-such-session' })],
    [
      'intermediate_session_not_found',
      () =>
        client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: '123456',
          intermediate_session_token: 'no-such-ist',
        }),
    ],
    [
      'session_authorization_error',
      async () => {
        const other = await newMember();
        const ist = await intermediateSessionToken(orgId, other);
        return client.totps.authenticate({
          organization_id: orgId,
          member_id: enrolled.memberId,
          code: codeAt(enrolled.totp),
          intermediate_session_token: ist,
        });
      },
    ],
    ['organization_not_found', () => client.organizations.get({ organization_id: 'no-such-org' })],
    ['member_not_found', () => client.organizations.members.get({ organization_id: orgId, member_id: 'no-such-member' })],
    ['totp_not_found', async () => client.recoveryCodes.get({ organization_id: orgId, member_id: await newMember() })],
    ['route_not_found', () => client.magicLinks.email.loginOrSignup({ organization_id: orgId, email_address: 'x@errs.example' })],
    ['method_not_allowed', () => client.organizations.update({ organization_id: orgId, organization_name: 'Renamed' })],
    ['duplicate_organization_slug', () => client.organizations.create({ organization_name: 'Again', organization_slug: 'errs' })],
    [
      'duplicate_organization_external_id',
      () => client.organizations.create({ organization_name: 'Again', organization_slug: 'errs-2', organization_external_id: 'errs-ext' }),
    ],
    ['duplicate_member_email', () => client.organizations.members.create({ organization_id: orgId, email_address: 'M1@ERRS.example' })],
    [
      'duplicate_member_external_id',
      async () => {
        await client.organizations.members.create({ organization_id: orgId, email_address: 'ext1@errs.example', external_id: 'emp-1' });
        return client.organizations.members.create({ organization_id: orgId, email_address: 'ext2@errs.example', external_id: 'emp-1' });
      },
    ],
    ['request_too_large', () => client.organizations.create({ organization_name: 'x'.repeat(70_000), organization_slug: 'big' })],
    [
      'user_lock_limit_reached',
      async () => {
        const locked = await enroll();
        for (let i = 0; i < 10; i++) {
          await client.totps
            .authenticate({
              organization_id: orgId,
              member_id: locked.memberId,
              code: wrongCode(locked.totp),
              session_token: locked.sessionToken,
            })
            .catch(() => undefined);
        }
        clock.advanceSeconds(30);
        return client.totps.authenticate({
          organization_id: orgId,
          member_id: locked.memberId,
          code: codeAt(locked.totp),
          session_token: locked.sessionToken,
        });
      },
    ],
  ];

  /** Not reachable through a healthy server on purpose; the router's own tests force them (packages/express/test/router.test.ts). */
  const notReachable: Record<string, string> = {
    internal_server_error: 'needs a bug or a broken store; forced with a failing service in the express tests',
    service_unavailable: 'needs an unreachable database; forced with a failing service in the express tests',
    request_timeout: 'needs a client that stalls mid-request, which the SDK never does; raw sockets in timeouts.test.ts',
  };

  it.each(scenarios)('%s', async (errorType, call) => {
    const error = await stytchError(call);
    expect(error.error_type).toBe(errorType);
    expect(error.status_code).toBe(ERROR_STATUS[errorType]);
    expect(error.request_id).toMatch(/^request-id-test-[0-9a-f-]{36}$/);
    expect(error.error_url).toMatch(new RegExp(`#${errorType}$`));
    expect(error.error_message).toEqual(expect.any(String));
  });

  it("refuses the SDK's RBAC authorization (another member's session) instead of ignoring it, and deletes nothing", async () => {
    const victim = await enroll();
    const attacker = await enroll();
    for (const authorization of [
      { session_token: attacker.sessionToken },
      { session_jwt: (await client.sessions.authenticate({ session_token: attacker.sessionToken })).session_jwt },
    ]) {
      const error = await stytchError(() =>
        client.organizations.members.deleteTOTP({ organization_id: orgId, member_id: victim.memberId }, { authorization }),
      );
      expect(error).toMatchObject({
        status_code: 400,
        error_type: 'bad_request',
        error_message: expect.stringMatching(/X-Stytch-Member-Session/),
      });
    }
    const { member } = await client.organizations.members.get({ organization_id: orgId, member_id: victim.memberId });
    expect(member.totp_registration_id).not.toBe('');
  });

  it('covers every error type of the contract, or says why not', () => {
    const covered = new Set<string>([...scenarios.map(([t]) => t), ...Object.keys(notReachable)]);
    expect([...ERROR_TYPES].filter((t) => !covered.has(t))).toEqual([]);
  });
});
