// Attack pinned here: a member (or an attacker holding one member's token) uses that token, or a forged or re-signed
// JWT, to attach a factor to another member's session or to mint a session for another member or organization.

import { decodeSecret, generateTotp } from '@totp/core/otp';
import { SignJWT, decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function twoOrganizations() {
  let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
  const signingKey = new Uint8Array(32).fill(42);
  const totp = createMemoryTotp({ clock: () => nowMs, sessionSigningKeys: [{ id: 'k1', key: signingKey }] });
  const { service } = totp;
  const people = [];
  for (const slug of ['alpha', 'beta']) {
    await service.organizations.create({ organization_name: slug, organization_slug: slug });
    const { member_id } = await service.organizations.members.create({ organization_id: slug, email_address: `m@${slug}.example` });
    const created = await service.totps.create({ organization_id: slug, member_id });
    const secret = decodeSecret(created.secret);
    const { intermediate_session_token } = await service.sessions.startIntermediate({ organization_id: slug, member_id });
    const session = await service.totps.authenticate({
      organization_id: slug,
      member_id,
      code: generateTotp(secret, { nowMs }),
      intermediate_session_token,
    });
    people.push({ slug, member_id, secret, session, recoveryCodes: created.recovery_codes });
  }
  nowMs += 30_000;
  const codeFor = (secret: Uint8Array) => generateTotp(secret, { nowMs });
  return { ...totp, signingKey, a: people[0]!, b: people[1]!, codeFor };
}

describe('tokens never cross members or organizations', () => {
  it("another member's IST, session token or JWT is 403 session_authorization_error, on every route that takes one", async () => {
    const t = await twoOrganizations();
    const { intermediate_session_token } = await t.service.sessions.startIntermediate({
      organization_id: 'alpha',
      member_id: t.a.member_id,
    });
    const aTokens = [
      { intermediate_session_token },
      { session_token: t.a.session.session_token },
      { session_jwt: t.a.session.session_jwt },
    ];
    for (const token of aTokens) {
      const asB = { organization_id: 'beta', member_id: t.b.member_id, ...token };
      await expect(t.service.totps.authenticate({ ...asB, code: t.codeFor(t.b.secret) })).rejects.toMatchObject({
        error_type: 'session_authorization_error',
      });
      await expect(t.service.recoveryCodes.recover({ ...asB, recovery_code: t.b.recoveryCodes[0]! })).rejects.toMatchObject({
        error_type: 'session_authorization_error',
      });
    }
    // Nothing was spent by the refused attempts: B's code and recovery code still work with B's own session.
    const ok = await t.service.recoveryCodes.recover({
      organization_id: 'beta',
      member_id: t.b.member_id,
      recovery_code: t.b.recoveryCodes[0]!,
      session_token: t.b.session.session_token,
    });
    expect(ok.recovery_codes_remaining).toBe(9);
  });

  it('a JWT signed with another key, with alg none, or with a swapped session is session_not_found', async () => {
    const t = await twoOrganizations();
    const claims = decodeJwt(t.a.session.session_jwt);
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new Uint8Array(32).fill(1));
    const [header, payload] = t.a.session.session_jwt.split('.');
    const none = `${btoa(JSON.stringify({ alg: 'none', kid: 'k1' })).replace(/=+$/, '')}.${payload}.`;
    const swapped = `${header}.${t.b.session.session_jwt.split('.')[1]}.${t.a.session.session_jwt.split('.')[2]}`;
    for (const session_jwt of [foreign, none, swapped, `${t.a.session.session_jwt}x`, 'a.b.c', 'not a jwt']) {
      await expect(t.service.sessions.authenticate({ session_jwt })).rejects.toMatchObject({ error_type: 'session_not_found' });
    }
    // Re-signed with the real key, the forged claims still name A's session, never B's.
    const resigned = await new SignJWT({ ...claims, sub: t.b.member_id })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(t.signingKey);
    const result = await t.service.sessions.authenticate({ session_jwt: resigned });
    expect(result.member_id).toBe(t.a.member_id);
  });

  it('a session token and a JWT naming different sessions are refused', async () => {
    const t = await twoOrganizations();
    await expect(
      t.service.sessions.authenticate({ session_token: t.a.session.session_token, session_jwt: t.b.session.session_jwt }),
    ).rejects.toMatchObject({ error_type: 'bad_request' });
  });
});
