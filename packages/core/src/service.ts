// The TOTP service: the rule set of docs/http-api.md over an injected repository, clock and randomness.
// Method names and request/response shapes follow the `stytch` SDK's B2BClient (totps.create, organizations.members.create ...).

import { type AuthenticateResponse, type AuthenticateTotpRequest, authenticateTotp } from './authentication';
import type { EventHandlerErrorReporter, TotpEvents } from './events';
import { purgeExpired } from './housekeeping';
import type { CallOptions, ServiceContext } from './internal/context';
import { createKeyring, type KeyInput } from './keyring';
import { type LockoutPolicy, resolveLockoutPolicy } from './lockout-policy';
import type { Environment, OrganizationRecord } from './model';
import {
  createMember,
  createOrganization,
  deleteMember,
  deleteOrganization,
  getMember,
  getOrganization,
  type DeleteMemberResponse,
  type DeleteResponse,
  type MemberResponse,
  type OrganizationResponse,
} from './provisioning';
import {
  type GetRecoveryCodesResponse,
  type RecoverRequest,
  type RecoverResponse,
  type RotateRecoveryCodesResponse,
  getRecoveryCodes,
  recoverWithCode,
  rotateRecoveryCodes,
} from './recovery';
import {
  type CreateTotpRequest,
  type CreateTotpResponse,
  type DeleteTotpResponse,
  type MigrateTotpRequest,
  type MigrateTotpResponse,
  createTotpRegistration,
  deleteTotpRegistration,
  migrateTotpRegistration,
} from './registration';
import type { PurgeCounts, TotpRepository } from './repository';
import { systemClock, systemRandomBytes, type Clock, type RandomBytes } from './runtime';
import {
  DEFAULT_INTERMEDIATE_SESSION_MINUTES,
  type RevokeResponse,
  type SessionAuthenticateResponse,
  type StartIntermediateSessionResponse,
  authenticateSession,
  revokeSession,
  startIntermediateSession,
} from './sessions';

export type { CallOptions } from './internal/context';

export interface TotpServiceOptions {
  repository: TotpRepository;
  /** Picks the ID prefixes (`member-test-…` / `member-live-…`). Default `'test'`. */
  environment?: Environment;
  /** AES-256-GCM keys (32 bytes each) for TOTP secrets at rest; the first encrypts, all decrypt. */
  encryptionKeys: readonly KeyInput[];
  /** HMAC-SHA-256 keys (at least 32 bytes each) for recovery code hashes; the first hashes, all are looked up. */
  recoveryCodePepper: readonly KeyInput[];
  /** HS256 keys (at least 32 bytes each) that sign session JWTs; the first signs, all verify (by `kid`). */
  sessionSigningKeys: readonly KeyInput[];
  /** `iss` and `aud` of session JWTs. Default `'@totp'` for both. */
  sessionJwtIssuer?: string;
  sessionJwtAudience?: string;
  /** Consecutive failures before a lock, and its length. Default 10 failures, 60 minutes. */
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
  clock?: Clock;
  randomBytes?: RandomBytes;
}

/**
 * The service, namespaced like the `stytch` SDK's B2BClient. Every method takes the request body as the HTTP API
 * does (snake_case, validated here: pass untrusted input straight in) and resolves to the Stytch response body, or
 * rejects with a TotpError whose `error_type` is in the contract's error table.
 */
export interface TotpService {
  readonly organizations: {
    /** POST /v1/b2b/organizations */
    create(request: unknown, options?: CallOptions): Promise<OrganizationResponse>;
    /** GET /v1/b2b/organizations/{organization_id} */
    get(request: unknown, options?: CallOptions): Promise<OrganizationResponse>;
    /** DELETE /v1/b2b/organizations/{organization_id} */
    delete(request: unknown, options?: CallOptions): Promise<DeleteResponse>;
    readonly members: {
      /** POST /v1/b2b/organizations/{organization_id}/members */
      create(request: unknown, options?: CallOptions): Promise<MemberResponse>;
      /** GET /v1/b2b/organizations/{organization_id}/members/{member_id} */
      get(request: unknown, options?: CallOptions): Promise<MemberResponse>;
      /** DELETE /v1/b2b/organizations/{organization_id}/members/{member_id} */
      delete(request: unknown, options?: CallOptions): Promise<DeleteMemberResponse>;
      /** DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp */
      deleteTOTP(request: unknown, options?: CallOptions): Promise<DeleteTotpResponse>;
    };
  };
  readonly totps: {
    /** POST /v1/b2b/totp */
    create(request: CreateTotpRequest | unknown, options?: CallOptions): Promise<CreateTotpResponse>;
    /** POST /v1/b2b/totp/authenticate */
    authenticate(request: AuthenticateTotpRequest | unknown, options?: CallOptions): Promise<AuthenticateResponse>;
    /** POST /v1/b2b/totp/migrate */
    migrate(request: MigrateTotpRequest | unknown, options?: CallOptions): Promise<MigrateTotpResponse>;
  };
  readonly recoveryCodes: {
    /** POST /v1/b2b/recovery_codes/recover */
    recover(request: RecoverRequest | unknown, options?: CallOptions): Promise<RecoverResponse>;
    /** GET /v1/b2b/recovery_codes/{organization_id}/{member_id} (deviation: a count, never codes) */
    get(request: unknown, options?: CallOptions): Promise<GetRecoveryCodesResponse>;
    /** POST /v1/b2b/recovery_codes/rotate */
    rotate(request: unknown, options?: CallOptions): Promise<RotateRecoveryCodesResponse>;
  };
  readonly sessions: {
    /** POST /v1/b2b/sessions/authenticate */
    authenticate(request: unknown, options?: CallOptions): Promise<SessionAuthenticateResponse>;
    /** POST /v1/b2b/sessions/revoke */
    revoke(request: unknown, options?: CallOptions): Promise<RevokeResponse>;
    /** POST /v1/b2b/sessions/intermediate (ours, not Stytch's): the host app's primary authentication succeeded. */
    startIntermediate(request: unknown, options?: CallOptions): Promise<StartIntermediateSessionResponse>;
  };
  /** Not an HTTP route: for the host to run on a timer. */
  readonly maintenance: {
    /**
     * Deletes intermediate sessions, member sessions and pending registrations that expired (or were revoked)
     * more than `graceMinutes` ago (default 1440). Returns how many of each went.
     */
    purgeExpired(options?: { graceMinutes?: number }): Promise<PurgeCounts>;
  };
}

export function createTotpService(options: TotpServiceOptions): TotpService {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTotpService(options): options must be an object');
  }
  const { repository } = options;
  if (typeof repository !== 'object' || repository === null) {
    throw new TypeError('createTotpService: `repository` is required (a TotpRepository)');
  }
  const environment = options.environment ?? 'test';
  if (options.issuer !== undefined && typeof options.issuer !== 'function') {
    throw new TypeError('createTotpService: `issuer` must be a function (organization) => string');
  }
  if (environment !== 'test' && environment !== 'live') {
    throw new RangeError('createTotpService: `environment` must be "test" or "live"');
  }
  const projectName = checkedName(options.projectName ?? 'TOTP', 'projectName');
  const intermediateSessionMinutes = options.intermediateSessionMinutes ?? DEFAULT_INTERMEDIATE_SESSION_MINUTES;
  if (!Number.isInteger(intermediateSessionMinutes) || intermediateSessionMinutes < 1 || intermediateSessionMinutes > 60) {
    throw new RangeError('createTotpService: `intermediateSessionMinutes` must be an integer from 1 to 60');
  }
  const context: ServiceContext = {
    repository,
    environment,
    encryptionKeys: createKeyring('encryption keys', options.encryptionKeys, { exactBytes: 32 }),
    recoveryCodePepper: createKeyring('recovery code pepper', options.recoveryCodePepper, { minBytes: 32 }),
    sessionJwt: {
      keyring: createKeyring('session signing keys', options.sessionSigningKeys, { minBytes: 32 }),
      issuer: checkedName(options.sessionJwtIssuer ?? '@totp', 'sessionJwtIssuer'),
      audience: checkedName(options.sessionJwtAudience ?? '@totp', 'sessionJwtAudience'),
    },
    lockout: resolveLockoutPolicy(options.lockout),
    intermediateSessionMinutes,
    clock: options.clock ?? systemClock,
    randomBytes: options.randomBytes ?? systemRandomBytes,
    issuerFor: options.issuer ?? ((organization) => `${projectName} (${organization.organizationName})`),
    events: options.events ?? {},
    reportEventError:
      options.onEventHandlerError ?? ((error, event) => console.error(`@totp/core: the ${event} event handler failed`, error)),
  };
  return {
    organizations: {
      create: (request, callOptions) => createOrganization(context, request, callOptions),
      get: (request, callOptions) => getOrganization(context, request, callOptions),
      delete: (request, callOptions) => deleteOrganization(context, request, callOptions),
      members: {
        create: (request, callOptions) => createMember(context, request, callOptions),
        get: (request, callOptions) => getMember(context, request, callOptions),
        delete: (request, callOptions) => deleteMember(context, request, callOptions),
        deleteTOTP: (request, callOptions) => deleteTotpRegistration(context, request, callOptions),
      },
    },
    totps: {
      create: (request, callOptions) => createTotpRegistration(context, request, callOptions),
      authenticate: (request, callOptions) => authenticateTotp(context, request, callOptions),
      migrate: (request, callOptions) => migrateTotpRegistration(context, request, callOptions),
    },
    recoveryCodes: {
      recover: (request, callOptions) => recoverWithCode(context, request, callOptions),
      get: (request, callOptions) => getRecoveryCodes(context, request, callOptions),
      rotate: (request, callOptions) => rotateRecoveryCodes(context, request, callOptions),
    },
    sessions: {
      authenticate: (request, callOptions) => authenticateSession(context, request, callOptions),
      revoke: (request, callOptions) => revokeSession(context, request, callOptions),
      startIntermediate: (request, callOptions) => startIntermediateSession(context, request, callOptions),
    },
    maintenance: {
      purgeExpired: (purgeOptions) => purgeExpired(context, purgeOptions),
    },
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
