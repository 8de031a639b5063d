// The service's resolved configuration, shared by every use case: store, keys, policies, crypto, clock and events.
// Built once by createTotpService from its options, each checked there, so the use cases read validated values.

import { createKeyring, type KeyInput, type Keyring } from '../crypto/keyring';
import { nobleCrypto } from '../crypto/noble';
import { isCryptoProvider, type CryptoProvider } from '../crypto/provider';
import { emitEvent, type EventHandlerErrorReporter, type TotpEventName, type TotpEvents } from '../domain/events';
import { newId, type IdKind } from '../domain/ids';
import { resolveLockoutPolicy, type LockoutPolicy } from '../domain/lockout-policy';
import type { Environment, OrganizationRecord } from '../domain/model';
import type { TotpRepository } from '../domain/repository';
import type { SessionJwtSettings } from '../domain/session-jwt';

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

export interface TotpServiceOptions {
  repository: TotpRepository;
  /** Picks the ID prefixes (`member-test-…` / `member-live-…`). Default `'test'`. */
  environment?: Environment;
  /** HMAC, SHA-256, AES-256-GCM and randomness. Default `nobleCrypto` (pure JavaScript); Node hosts pass `nodeCrypto` from `@totp/core/node`. */
  crypto?: CryptoProvider;
  /** AES-256-GCM keys (32 bytes each) for TOTP secrets at rest; the first encrypts, all decrypt. */
  encryptionKeys: readonly KeyInput[];
  /** HMAC-SHA-256 keys (at least 32 bytes each) for recovery code hashes; the first hashes, all are looked up. */
  recoveryCodePepper: readonly KeyInput[];
  /** HS256 keys (at least 32 bytes each) that sign session JWTs; the first signs, all verify (by `kid`). */
  sessionSigningKeys: readonly KeyInput[];
  /** `iss` and `aud` of session JWTs. Default `'@totp'` for both. */
  sessionJwtIssuer?: string;
  sessionJwtAudience?: string;
  /** Codes evaluated per lock window, and the lock's length. Default 10 attempts, 60 minutes. */
  lockout?: Partial<LockoutPolicy>;
  /** How long an intermediate session token lives, 1..60 minutes. Default 10. */
  intermediateSessionMinutes?: number;
  /** Shown in authenticator apps as `<projectName> (<organization name>)`. Default `'TOTP'`. */
  projectName?: string;
  /** Overrides the issuer shown in authenticator apps. */
  issuer?: (organization: OrganizationRecord) => string;
  /** Callbacks for audit logs and notifications; they run after the write and can never break an operation. */
  events?: TotpEvents;
  /** Where a throwing event handler's error goes. Default `console.error`. */
  onEventHandlerError?: EventHandlerErrorReporter;
  /** Default `Date.now`. */
  clock?: Clock;
}

/** Per-call options every service method accepts. */
export interface CallOptions {
  /** The `request_id` to echo (an HTTP layer passes its own); a new one is made when absent. */
  requestId?: string;
}

export interface ServiceContext {
  readonly repository: TotpRepository;
  readonly environment: Environment;
  readonly crypto: CryptoProvider;
  readonly encryptionKeys: Keyring;
  readonly recoveryCodePepper: Keyring;
  readonly sessionJwt: SessionJwtSettings;
  readonly lockout: LockoutPolicy;
  readonly intermediateSessionMinutes: number;
  readonly clock: Clock;
  readonly issuerFor: (organization: OrganizationRecord) => string;
  readonly events: TotpEvents;
  readonly reportEventError: EventHandlerErrorReporter;
}

export const DEFAULT_INTERMEDIATE_SESSION_MINUTES = 10;

/** The context for `options`, every option checked: programmer errors throw TypeError/RangeError naming the option. */
export function createServiceContext(options: TotpServiceOptions): ServiceContext {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTotpService(options): options must be an object');
  }
  const { repository } = options;
  if (typeof repository !== 'object' || repository === null) {
    throw new TypeError('createTotpService: `repository` is required (a TotpRepository)');
  }
  const environment = options.environment ?? 'test';
  if (environment !== 'test' && environment !== 'live') {
    throw new RangeError('createTotpService: `environment` must be "test" or "live"');
  }
  const crypto = options.crypto ?? nobleCrypto;
  if (!isCryptoProvider(crypto)) {
    throw new TypeError('createTotpService: `crypto` must be a CryptoProvider (nobleCrypto, nodeCrypto from @totp/core/node, or your own)');
  }
  if (options.issuer !== undefined && typeof options.issuer !== 'function') {
    throw new TypeError('createTotpService: `issuer` must be a function (organization) => string');
  }
  const projectName = checkedName(options.projectName ?? 'TOTP', 'projectName');
  const intermediateSessionMinutes = options.intermediateSessionMinutes ?? DEFAULT_INTERMEDIATE_SESSION_MINUTES;
  if (!Number.isInteger(intermediateSessionMinutes) || intermediateSessionMinutes < 1 || intermediateSessionMinutes > 60) {
    throw new RangeError('createTotpService: `intermediateSessionMinutes` must be an integer from 1 to 60');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError('createTotpService: `clock` must be a function () => milliseconds since the epoch');
  }
  return {
    repository,
    environment,
    crypto,
    encryptionKeys: createKeyring('encryption keys', options.encryptionKeys, { exactBytes: 32 }),
    recoveryCodePepper: createKeyring('recovery code pepper', options.recoveryCodePepper, { minBytes: 32 }),
    sessionJwt: {
      keyring: createKeyring('session signing keys', options.sessionSigningKeys, { minBytes: 32 }),
      issuer: checkedName(options.sessionJwtIssuer ?? '@totp', 'sessionJwtIssuer'),
      audience: checkedName(options.sessionJwtAudience ?? '@totp', 'sessionJwtAudience'),
      crypto,
    },
    lockout: resolveLockoutPolicy(options.lockout),
    intermediateSessionMinutes,
    clock: options.clock ?? Date.now,
    issuerFor: options.issuer ?? ((organization) => `${projectName} (${organization.organizationName})`),
    events: options.events ?? {},
    reportEventError:
      options.onEventHandlerError ?? ((error, event) => console.error(`@totp/core: the ${event} event handler failed`, error)),
  };
}

function checkedName(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`createTotpService: \`${name}\` must be a string`);
  if (value.length === 0 || value.length > 100) {
    throw new RangeError(`createTotpService: \`${name}\` must be a string of 1 to 100 characters`);
  }
  // It is shown in authenticator apps and QR codes: text that UTF-8 can carry, without control characters.
  if (/[\p{Cc}\p{Surrogate}]/u.test(value)) {
    throw new RangeError(`createTotpService: \`${name}\` must be well-formed text without control characters`);
  }
  return value;
}

export function newIdFor(context: ServiceContext, kind: IdKind): string {
  return newId(kind, context.environment, context.crypto.randomBytes);
}

export function requestIdFor(context: ServiceContext, options: CallOptions | undefined): string {
  return options?.requestId ?? newIdFor(context, 'request-id');
}

export function emit<N extends TotpEventName>(context: ServiceContext, name: N, event: Parameters<NonNullable<TotpEvents[N]>>[0]): void {
  emitEvent(context.events, context.reportEventError, name, event);
}
