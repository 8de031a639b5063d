// The service's resolved configuration, shared by the rule modules (provisioning, registration, authentication ...).
// Built once by createTotpService so each rule reads validated keys, policies, clock and randomness from one place.

import { type EventHandlerErrorReporter, type EventHandlerOf, type TotpEventName, type TotpEvents, deliverEvent, emitEvent } from '../events';
import { newId } from '../ids';
import type { Keyring } from '../keyring';
import type { LockoutPolicy } from '../lockout-policy';
import type { Environment, OrganizationRecord } from '../model';
import type { TotpRepository } from '../repository';
import type { Clock, RandomBytes } from '../runtime';
import type { SessionJwtSettings } from '../session-jwt';

export interface ServiceContext {
  readonly repository: TotpRepository;
  readonly environment: Environment;
  readonly encryptionKeys: Keyring;
  readonly recoveryCodePepper: Keyring;
  readonly sessionJwt: SessionJwtSettings;
  readonly lockout: LockoutPolicy;
  readonly intermediateSessionMinutes: number;
  readonly clock: Clock;
  readonly randomBytes: RandomBytes;
  readonly issuerFor: (organization: OrganizationRecord) => string;
  readonly events: TotpEvents;
  readonly reportEventError: EventHandlerErrorReporter;
}

/** Per-call options every service method accepts. */
export interface CallOptions {
  /** The `request_id` to echo (the HTTP adapter passes its own); a new one is made when absent. */
  requestId?: string;
}

export function requestIdFor(context: ServiceContext, options: CallOptions | undefined): string {
  return options?.requestId ?? newId('request-id', context.environment, context.randomBytes);
}

export function emit<N extends TotpEventName>(
  context: ServiceContext,
  name: N,
  event: Parameters<NonNullable<TotpEvents[N]>>[0],
): void {
  emitEvent(context.events, context.reportEventError, name, event);
}

/**
 * The host's handler for `name`, read once as `emit` reads it, or undefined. For events whose payload costs
 * allocations on a hot path: the payload is built only when there is a handler, then passed to `deliver`.
 */
export function eventHandler<N extends TotpEventName>(context: ServiceContext, name: N): EventHandlerOf<N> | undefined {
  const handler = context.events[name] as EventHandlerOf<N> | undefined;
  return typeof handler === 'function' ? handler : undefined;
}

/** `emit` with the handler `eventHandler` returned. */
export function deliver<N extends TotpEventName>(
  context: ServiceContext,
  name: N,
  handler: EventHandlerOf<N>,
  event: Parameters<NonNullable<TotpEvents[N]>>[0],
): void {
  deliverEvent(context.events, context.reportEventError, name, handler, event);
}
