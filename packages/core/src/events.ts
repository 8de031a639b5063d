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

export type EventHandlerOf<N extends TotpEventName> = (event: EventOf<N>) => unknown;

/** Calls the host's handler for `name`, if any, containing every failure it may have. */
export function emitEvent<N extends TotpEventName>(
  events: TotpEvents,
  report: EventHandlerErrorReporter,
  name: N,
  event: EventOf<N>,
): void {
  const handler = events[name] as EventHandlerOf<N> | undefined;
  if (typeof handler !== 'function') return;
  deliverEvent(events, report, name, handler, event);
}

/** As emitEvent, with the handler already read from `events[name]` (by a caller that builds the event only for one). */
export function deliverEvent<N extends TotpEventName>(
  events: TotpEvents,
  report: EventHandlerErrorReporter,
  name: N,
  handler: EventHandlerOf<N>,
  event: EventOf<N>,
): void {
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
