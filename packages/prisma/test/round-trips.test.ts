// Round trips per MFA attempt through the real service: on PostgreSQL an authenticate or a recover is exactly two
// statements (beginMfaAttempt's and grantMfaSession's), whether it exchanges an IST or extends a session (by token or
// by JWT), and whatever it spends (a time step, an activation, a recovery code). SQLite's 8 statements are pinned too.

import { createContractHarness, type ContractHarness } from '@totp/core/testing';
import { decodeSecret, generateTotp } from '@totp/core/otp';
import { describe, expect, it } from 'vitest';
import { createPostgresStore, createSqliteStore, type TestStore } from './support/stores';

const STEP_MS = 30_000;

async function enrolled(h: ContractHarness) {
  const { organizationId, memberId } = await h.provision();
  const created = await h.service.totps.create({ organization_id: organizationId, member_id: memberId });
  const ist = async () =>
    (await h.service.sessions.startIntermediate({ organization_id: organizationId, member_id: memberId })).intermediate_session_token;
  const code = () => generateTotp(decodeSecret(created.secret), { nowMs: h.now() });
  return { organizationId, memberId, codes: created.recovery_codes, ist, code };
}

describe.each([
  ['postgresql', () => createPostgresStore(), { activation: 2, step: 2, stepUp: 2, stepUpByJwt: 2, recover: 2, recoverStepUp: 2 }],
  // beginMfaAttempt's read and compare-and-set; grantMfaSession's transaction: BEGIN, 4 writes, COMMIT. All in-process.
  ['sqlite', () => createSqliteStore(), { activation: 8, step: 8, stepUp: 8, stepUpByJwt: 8, recover: 8, recoverStepUp: 8 }],
] as const)('statements per MFA attempt on %s', (name, createStore, expected) => {
  it('authenticate and recover, with an IST and with a member session, for each spend', async () => {
    let store: TestStore | undefined;
    const h = await createContractHarness(async () => (store = await createStore()));
    try {
      const e = await enrolled(h);
      const ids = { organization_id: e.organizationId, member_id: e.memberId };
      const counted = async <T>(call: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
        store!.counter.reset();
        const result = await call();
        return { result, statements: store!.counter.statements.map((s) => s.sql.split(' ')[0]!) };
      };
      const sent: Record<string, string[]> = {};

      // The first code activates the pending registration, in the exchange of the IST.
      const token = await e.ist();
      const first = await counted(() => h.service.totps.authenticate({ ...ids, code: e.code(), intermediate_session_token: token }));
      sent.activation = first.statements;
      h.advance(STEP_MS);
      const next = await e.ist();
      sent.step = (
        await counted(() => h.service.totps.authenticate({ ...ids, code: e.code(), intermediate_session_token: next }))
      ).statements;
      h.advance(STEP_MS);
      sent.stepUp = (
        await counted(() => h.service.totps.authenticate({ ...ids, code: e.code(), session_token: first.result.session_token }))
      ).statements;
      h.advance(STEP_MS);
      sent.stepUpByJwt = (
        await counted(() => h.service.totps.authenticate({ ...ids, code: e.code(), session_jwt: first.result.session_jwt }))
      ).statements;
      const recoverToken = await e.ist();
      const recovered = await counted(() =>
        h.service.recoveryCodes.recover({ ...ids, recovery_code: e.codes[0]!, intermediate_session_token: recoverToken }),
      );
      expect(recovered.result.recovery_codes_remaining).toBe(9);
      sent.recover = recovered.statements;
      sent.recoverStepUp = (
        await counted(() =>
          h.service.recoveryCodes.recover({ ...ids, recovery_code: e.codes[1]!, session_token: first.result.session_token }),
        )
      ).statements;

      expect(Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, v.length]))).toEqual(expected);
      if (name === 'postgresql') {
        for (const statements of Object.values(sent)) expect(statements).toEqual(['WITH', 'WITH']);
      }
    } finally {
      await h.close();
    }
  });
});
