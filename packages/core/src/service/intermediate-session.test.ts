// Exchanging an intermediate session: exactly one member session comes out of one IST under concurrency, and a
// store failure during the exchange neither loses the IST or the code nor leaves a session behind.

import { decodeSecret, generateTotp } from '@totp/core/otp';
import { describe, expect, it } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function enrolled() {
  const nowMs = Date.UTC(2026, 10, 29, 12, 0, 5);
  const totp = createMemoryTotp({ clock: () => nowMs });
  const { service } = totp;
  await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
  const { member_id } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'i@acme.example' });
  const created = await service.totps.migrate({ organization_id: 'acme', member_id, secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
  const secret = decodeSecret('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  return { ...totp, member_id, recoveryCodes: created.recovery_codes, code: () => generateTotp(secret, { nowMs }) };
}

describe('intermediate session exchange', () => {
  it('leaves exactly one live session when many requests race for one IST', async () => {
    const t = await enrolled();
    const { intermediate_session_token } = await t.service.sessions.startIntermediate({ organization_id: 'acme', member_id: t.member_id });
    const results = await Promise.allSettled(
      t.recoveryCodes.map((recovery_code) =>
        t.service.recoveryCodes.recover({ organization_id: 'acme', member_id: t.member_id, recovery_code, intermediate_session_token }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    // The losers wrote nothing: not even a revoked session.
    const live = t.repository.dump().memberSessions;
    expect(live).toHaveLength(1);
    expect(live[0]!.revokedAt).toBeNull();
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{
      member_session: { member_session_id: string };
    }>;
    expect(live[0]!.memberSessionId).toBe(winner.value.member_session.member_session_id);
  });

  it('keeps the IST usable, and stores no session, when the store fails during the exchange', async () => {
    const t = await enrolled();
    const { intermediate_session_token } = await t.service.sessions.startIntermediate({ organization_id: 'acme', member_id: t.member_id });
    const realGrant = t.repository.grantMfaSession;
    t.repository.grantMfaSession = async () => {
      throw new Error('store went away');
    };
    await expect(
      t.service.totps.authenticate({ organization_id: 'acme', member_id: t.member_id, code: t.code(), intermediate_session_token }),
    ).rejects.toThrow('store went away');
    t.repository.grantMfaSession = realGrant;
    expect(t.repository.dump().memberSessions).toEqual([]);
    // The IST still works, and so does the code: the exchange spends the time step with the IST, or neither.
    const ok = await t.service.totps.authenticate({
      organization_id: 'acme',
      member_id: t.member_id,
      code: t.code(),
      intermediate_session_token,
    });
    expect(ok.status_code).toBe(200);
    expect(t.repository.dump().memberSessions).toHaveLength(1);
  });
});
