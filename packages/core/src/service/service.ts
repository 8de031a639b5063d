// The TOTP service: every use case of docs/http-reference.md over an injected repository, crypto provider and clock.
// Method names and request/response shapes follow the `stytch` SDK's B2BClient (totps.create, organizations.members.create …).

import { type AuthenticateTotpRequest, type AuthenticateTotpResponse, authenticateTotp } from './authenticate-totp';
import { type CallOptions, type TotpServiceOptions, createServiceContext } from './context';
import { type CreateTotpRequest, type CreateTotpResponse, createTotpRegistration } from './create-totp';
import { type DeleteTotpRequest, type DeleteTotpResponse, deleteTotpRegistration } from './delete-totp';
import {
  type CreateMemberRequest,
  type DeleteMemberResponse,
  type GetMemberRequest,
  type MemberRequest,
  type MemberResponse,
  createMember,
  deleteMember,
  getMember,
} from './members';
import { type MigrateTotpRequest, type MigrateTotpResponse, migrateTotpRegistration } from './migrate-totp';
import {
  type CreateOrganizationRequest,
  type DeleteOrganizationResponse,
  type OrganizationRequest,
  type OrganizationResponse,
  createOrganization,
  deleteOrganization,
  getOrganization,
} from './organizations';
import { purgeExpired } from './purge';
import { type RecoverRequest, type RecoverResponse, recoverWithCode } from './recover';
import {
  type GetRecoveryCodesResponse,
  type RecoveryCodesRequest,
  type RotateRecoveryCodesResponse,
  getRecoveryCodes,
  rotateRecoveryCodes,
} from './recovery-codes';
import {
  type AuthenticateSessionRequest,
  type AuthenticateSessionResponse,
  type RevokeSessionRequest,
  type RevokeSessionResponse,
  type StartIntermediateSessionRequest,
  type StartIntermediateSessionResponse,
  authenticateSession,
  revokeSession,
  startIntermediateSession,
} from './sessions';
import type { PurgeCounts } from '../domain/repository';

/**
 * The service, namespaced like the `stytch` SDK's B2BClient. Each method takes its request as the HTTP API does
 * (snake_case), parses it once into a typed input (so untrusted input may be passed straight in: a malformed request
 * is a `bad_request` TotpError, never a crash), and resolves to the Stytch response body. It rejects with a TotpError
 * whose `error_type` is in the contract's error table for every expected failure, and with another Error only when
 * something broke (a store error, a stored secret that does not decrypt): an HTTP layer answers those 500.
 */
export interface TotpService {
  readonly organizations: {
    /** POST /v1/b2b/organizations */
    create(request: CreateOrganizationRequest, options?: CallOptions): Promise<OrganizationResponse>;
    /** GET /v1/b2b/organizations/{organization_id} */
    get(request: OrganizationRequest, options?: CallOptions): Promise<OrganizationResponse>;
    /** DELETE /v1/b2b/organizations/{organization_id} */
    delete(request: OrganizationRequest, options?: CallOptions): Promise<DeleteOrganizationResponse>;
    readonly members: {
      /** POST /v1/b2b/organizations/{organization_id}/members */
      create(request: CreateMemberRequest, options?: CallOptions): Promise<MemberResponse>;
      /** GET /v1/b2b/organizations/{organization_id}/members/{member_id} (or …/member?email_address=…) */
      get(request: GetMemberRequest, options?: CallOptions): Promise<MemberResponse>;
      /** DELETE /v1/b2b/organizations/{organization_id}/members/{member_id} */
      delete(request: MemberRequest, options?: CallOptions): Promise<DeleteMemberResponse>;
      /** DELETE /v1/b2b/organizations/{organization_id}/members/{member_id}/totp */
      deleteTOTP(request: DeleteTotpRequest, options?: CallOptions): Promise<DeleteTotpResponse>;
    };
  };
  readonly totps: {
    /** POST /v1/b2b/totp */
    create(request: CreateTotpRequest, options?: CallOptions): Promise<CreateTotpResponse>;
    /** POST /v1/b2b/totp/authenticate */
    authenticate(request: AuthenticateTotpRequest, options?: CallOptions): Promise<AuthenticateTotpResponse>;
    /** POST /v1/b2b/totp/migrate */
    migrate(request: MigrateTotpRequest, options?: CallOptions): Promise<MigrateTotpResponse>;
  };
  readonly recoveryCodes: {
    /** POST /v1/b2b/recovery_codes/recover */
    recover(request: RecoverRequest, options?: CallOptions): Promise<RecoverResponse>;
    /** GET /v1/b2b/recovery_codes/{organization_id}/{member_id} (deviation: a count, never codes) */
    get(request: RecoveryCodesRequest, options?: CallOptions): Promise<GetRecoveryCodesResponse>;
    /** POST /v1/b2b/recovery_codes/rotate */
    rotate(request: RecoveryCodesRequest, options?: CallOptions): Promise<RotateRecoveryCodesResponse>;
  };
  readonly sessions: {
    /** POST /v1/b2b/sessions/authenticate */
    authenticate(request: AuthenticateSessionRequest, options?: CallOptions): Promise<AuthenticateSessionResponse>;
    /** POST /v1/b2b/sessions/revoke */
    revoke(request: RevokeSessionRequest, options?: CallOptions): Promise<RevokeSessionResponse>;
    /** POST /v1/b2b/sessions/intermediate (ours, not Stytch's): the host app's primary authentication succeeded. */
    startIntermediate(request: StartIntermediateSessionRequest, options?: CallOptions): Promise<StartIntermediateSessionResponse>;
  };
  /** Not an HTTP route: for the host to run on a timer. */
  readonly maintenance: {
    /** Deletes what expired (or was revoked) more than `graceMinutes` ago (default 1440). Returns how many of each went. */
    purgeExpired(options?: { graceMinutes?: number }): Promise<PurgeCounts>;
  };
}

export function createTotpService(options: TotpServiceOptions): TotpService {
  const context = createServiceContext(options);
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
