// Callbacks the host passes to hear what happened, for audit logs and "your recovery code was used" e-mails.
// They run after the write they report, and nothing they do (throw, reject, hang) can undo or break the operation.

export interface TotpEventBase {
  organizationId: string;
  memberId: string;
  /** When it happened (the service clock). */
  at: Date;
}

export interface TotpEvents {
  registrationCreated?(event: TotpEventBase & { totpRegistrationId: string; migrated: boolean }): unknown;
  registrationActivated?(event: TotpEventBase & { totpRegistrationId: string }): unknown;
  registrationDeleted?(event: TotpEventBase & { count: number }): unknown;
  codeAccepted?(event: TotpEventBase & { totpRegistrationId: string; step: number }): unknown;
  replayRefused?(event: TotpEventBase & { totpRegistrationId: string; step: number }): unknown;
  lockoutStarted?(event: TotpEventBase & { lockExpiresAt: Date }): unknown;
  recoveryCodeUsed?(event: TotpEventBase & { totpRegistrationId: string; remaining: number }): unknown;
  recoveryCodesRotated?(event: TotpEventBase & { totpRegistrationId: string }): unknown;
}

export type TotpEventName = keyof TotpEvents;
export type EventHandlerErrorReporter = (error: unknown, event: TotpEventName) => void;

type EventOf<N extends TotpEventName> = Parameters<NonNullable<TotpEvents[N]>>[0];

/** Calls the host's handler for `name`, if any, containing every failure it may have (a throw or a rejection). */
export function emitEvent<N extends TotpEventName>(
  events: TotpEvents,
  report: EventHandlerErrorReporter,
  name: N,
  event: EventOf<N>,
): void {
  const handler = events[name] as ((event: EventOf<N>) => unknown) | undefined;
  if (typeof handler !== 'function') return;
  try {
    const result = handler.call(events, event);
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      Promise.resolve(result).catch((error: unknown) => safeReport(report, error, name));
    }
  } catch (error) {
    safeReport(report, error, name);
  }
}

function safeReport(report: EventHandlerErrorReporter, error: unknown, name: TotpEventName): void {
  try {
    report(error, name);
  } catch {
    // The reporter itself failed: there is nowhere left to report to, and the operation must still stand.
  }
}
