// Attack pinned here: a timing attacker learns a secret byte by byte from how long a comparison takes. Every secret is
// compared either as a keyed hash looked up by value in the store or in constant time, never as plaintext with early exit.
// Tests never assert on time; they pin the paths instead: what reaches the store is always a full hash, whatever the guess.

import { createTotpService, nobleCrypto } from '@totp/core';
import { hashToken } from '../crypto/tokens';
import { describe, expect, it } from 'vitest';
import { createMemoryRepository, createMemoryTotp } from '@totp/memory';

describe('comparison paths do not depend on how close a guess is', () => {
  it('recovery codes reach the store only as HMAC hashes, one per pepper key, for near and far guesses alike', async () => {
    const repository = createMemoryRepository();
    const calls: string[][] = [];
    // A code reaches the store only as the spend of the grant (the IST's exchange or the session's extension).
    const spied: typeof repository = {
      ...repository,
      grantMfaSession: (grant) => {
        if (grant.spend.kind === 'recovery_code') calls.push(grant.spend.candidates.map((c) => c.hash));
        return repository.grantMfaSession(grant);
      },
    };
    let nowMs = Date.UTC(2026, 10, 29, 12);
    const service = createTotpService({
      repository: spied,
      clock: () => nowMs,
      encryptionKeys: [{ id: 'e', key: new Uint8Array(32).fill(1) }],
      recoveryCodePepper: [
        { id: 'p2', key: new Uint8Array(32).fill(2) },
        { id: 'p1', key: new Uint8Array(32).fill(3) },
      ],
      sessionSigningKeys: [{ id: 's', key: new Uint8Array(32).fill(4) }],
    });
    await service.organizations.create({ organization_name: 'A', organization_slug: 'acme' });
    const { member_id } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'c@acme.example' });
    const created = await service.totps.migrate({ organization_id: 'acme', member_id, secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    const real = created.recovery_codes[0]!;
    const near = `${real.slice(0, -1)}${real.endsWith('a') ? 'b' : 'a'}`;
    const far = 'zzzz-zzzz-zzzz' === real ? 'yyyy-yyyy-yyyy' : 'zzzz-zzzz-zzzz';
    for (const guess of [near, far]) {
      const { intermediate_session_token } = await service.sessions.startIntermediate({ organization_id: 'acme', member_id });
      await service.recoveryCodes
        .recover({ organization_id: 'acme', member_id, recovery_code: guess, intermediate_session_token })
        .catch(() => undefined);
      nowMs += 1000;
    }
    expect(calls).toHaveLength(2);
    for (const hashes of calls) {
      expect(hashes).toHaveLength(2);
      for (const h of hashes) expect(h).toMatch(/^[0-9a-f]{64}$/);
      expect(hashes.join()).not.toContain(real.replaceAll('-', ''));
    }
  });

  it('session and intermediate tokens are looked up by SHA-256, never stored or compared in clear', async () => {
    const { service, repository } = createMemoryTotp();
    await service.organizations.create({ organization_name: 'A', organization_slug: 'acme' });
    const { member_id } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'd@acme.example' });
    const { intermediate_session_token } = await service.sessions.startIntermediate({ organization_id: 'acme', member_id });
    const dump = JSON.stringify(repository.dump());
    expect(dump).not.toContain(intermediate_session_token);
    expect(dump).toContain(hashToken(nobleCrypto, intermediate_session_token));
  });
});
