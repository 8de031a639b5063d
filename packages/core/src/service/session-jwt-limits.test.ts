// What the service issues, it accepts back: a session JWT made with the most custom claims and factors a request may
// carry is taken as `session_jwt` by every route that reads one (it used to be refused past 4,096 characters).

import { describe, expect, it } from 'vitest';
import { generateTotp, decodeSecret } from '@totp/core/otp';
import { createMemoryTotp } from '@totp/memory';

describe('session JWT limits agree', () => {
  it('accepts back the largest session JWT it issues', async () => {
    let nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
    const { service } = createMemoryTotp({ clock: () => nowMs });
    await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
    const { member_id } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'a@acme.example' });
    const created = await service.totps.create({ organization_id: 'acme', member_id });
    // Ten host factors with the longest names, and custom claims just under 4 KB serialized.
    const factors = Array.from({ length: 10 }, (_, i) => ({ type: `f${i}${'x'.repeat(60)}`, delivery_method: `d${i}${'y'.repeat(60)}` }));
    const { intermediate_session_token } = await service.sessions.startIntermediate({
      organization_id: 'acme',
      member_id,
      authentication_factors: factors,
    });
    const claims = { padding: '\u00e9'.repeat(2000) }; // two bytes each in UTF-8, JSON-escaped as six characters in the JWT
    const authenticated = await service.totps.authenticate({
      organization_id: 'acme',
      member_id,
      code: generateTotp(decodeSecret(created.secret), { nowMs }),
      intermediate_session_token,
      session_custom_claims: claims,
    });
    expect(authenticated.session_jwt.length).toBeGreaterThan(4096);
    nowMs += 1000;
    const again = await service.sessions.authenticate({ session_jwt: authenticated.session_jwt });
    expect(again.member_session.member_session_id).toBe(authenticated.member_session.member_session_id);
    await service.sessions.revoke({ session_jwt: authenticated.session_jwt });
    await expect(service.sessions.authenticate({ session_jwt: authenticated.session_jwt })).rejects.toMatchObject({
      error_type: 'session_not_found',
    });
  });

  it('refuses a session_jwt longer than any it could have issued, naming the field', async () => {
    const { service } = createMemoryTotp();
    await expect(service.sessions.authenticate({ session_jwt: 'a'.repeat(16 * 1024 + 1) })).rejects.toMatchObject({
      error_type: 'bad_request',
      message: expect.stringContaining('session_jwt'),
    });
  });
});
