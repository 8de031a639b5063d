// Host callbacks: each event fires once with its data, and a handler that throws or rejects changes nothing.

import type { TotpEvents } from '@totp/core';
import { decodeSecret, generateTotp } from '@totp/core/otp';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryTotp } from '@totp/memory';

async function run(events: TotpEvents, onEventHandlerError = vi.fn()) {
  let nowMs = Date.UTC(2026, 10, 29, 16);
  const { service, repository } = createMemoryTotp({ clock: () => nowMs, events, onEventHandlerError, lockout: { maxFailedAttempts: 2 } });
  await service.organizations.create({ organization_name: 'Acme', organization_slug: 'acme' });
  const { member_id } = await service.organizations.members.create({ organization_id: 'acme', email_address: 'e@acme.example' });
  const ist = async () => (await service.sessions.startIntermediate({ organization_id: 'acme', member_id })).intermediate_session_token;
  const created = await service.totps.create({ organization_id: 'acme', member_id });
  const secret = decodeSecret(created.secret);
  const code = generateTotp(secret, { nowMs });
  await service.totps.authenticate({ organization_id: 'acme', member_id, code, intermediate_session_token: await ist() });
  await service.totps
    .authenticate({ organization_id: 'acme', member_id, code, intermediate_session_token: await ist() })
    .catch(() => undefined);
  await service.recoveryCodes.recover({
    organization_id: 'acme',
    member_id,
    recovery_code: created.recovery_codes[0]!,
    intermediate_session_token: await ist(),
  });
  await service.recoveryCodes.rotate({ organization_id: 'acme', member_id });
  for (let i = 0; i < 2; i++) {
    await service.recoveryCodes
      .recover({ organization_id: 'acme', member_id, recovery_code: 'zzzz-zzzz-zzzz', intermediate_session_token: await ist() })
      .catch(() => undefined);
  }
  nowMs += 2 * 60 * 60_000;
  await service.organizations.members.deleteTOTP({ organization_id: 'acme', member_id });
  return { repository, member_id, created };
}

describe('events', () => {
  it('fires every event once, after the write, with its data', async () => {
    const seen: Array<[string, Record<string, unknown>]> = [];
    const record = (name: string) => (event: object) => void seen.push([name, { ...event }]);
    const { member_id, created } = await run({
      registrationCreated: record('registrationCreated'),
      registrationActivated: record('registrationActivated'),
      registrationDeleted: record('registrationDeleted'),
      codeAccepted: record('codeAccepted'),
      replayRefused: record('replayRefused'),
      lockoutStarted: record('lockoutStarted'),
      recoveryCodeUsed: record('recoveryCodeUsed'),
      recoveryCodesRotated: record('recoveryCodesRotated'),
    });
    expect(seen.map(([name]) => name)).toEqual([
      'registrationCreated',
      'codeAccepted',
      'registrationActivated',
      'replayRefused',
      'recoveryCodeUsed',
      'recoveryCodesRotated',
      'lockoutStarted',
      'registrationDeleted',
    ]);
    expect(seen[0]![1]).toMatchObject({ memberId: member_id, totpRegistrationId: created.totp_registration_id, migrated: false });
    expect(seen[4]![1]).toMatchObject({ remaining: 9 });
    expect(seen[6]![1]['lockExpiresAt']).toBeInstanceOf(Date);
  });

  it('a handler that throws or rejects neither breaks nor half-applies the operation', async () => {
    const boom = () => {
      throw new Error('audit log down');
    };
    const reject = async () => {
      throw new Error('mailer down');
    };
    const onError = vi.fn();
    const { repository, member_id } = await run(
      {
        registrationCreated: boom,
        registrationActivated: reject,
        codeAccepted: boom,
        replayRefused: reject,
        recoveryCodeUsed: boom,
        recoveryCodesRotated: reject,
        lockoutStarted: boom,
        registrationDeleted: reject,
      },
      onError,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(onError).toHaveBeenCalledTimes(8);
    expect(repository.dump().registrations).toEqual([]);
    const member = repository.dump().members.find((m) => m.memberId === member_id)!;
    expect(member.totpRegistrationId).toBe('');
  });
});
