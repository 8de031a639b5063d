// The HTTP routes: Stytch B2B paths and methods (as the `stytch` SDK v14's B2BClient calls them) to TotpService methods.
// Path parameters override body or query fields of the same name: the path names the resource.

import type { CallOptions, TotpService } from '@totp/core';

export type RouteMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  method: RouteMethod;
  /** An Express 5 path (path-to-regexp v8). */
  path: string;
  /** Where the request fields come from besides the path: the JSON body, or the query string for GET. */
  input: 'body' | 'query';
  /**
   * Calls the service with the request's fields. They are untrusted JSON, typed `never` here on purpose: each service
   * method parses its request once into a typed input and answers a malformed one with a `bad_request` TotpError.
   */
  call: (service: TotpService, request: never, options: CallOptions) => Promise<unknown>;
}

const route = (method: RouteMethod, path: string, call: RouteSpec['call']): RouteSpec => ({
  method,
  path,
  input: method === 'GET' ? 'query' : 'body',
  call,
});

export const ROUTES: readonly RouteSpec[] = [
  route('POST', '/v1/b2b/totp', (s, r, o) => s.totps.create(r, o)),
  route('POST', '/v1/b2b/totp/authenticate', (s, r, o) => s.totps.authenticate(r, o)),
  route('POST', '/v1/b2b/totp/migrate', (s, r, o) => s.totps.migrate(r, o)),

  route('POST', '/v1/b2b/recovery_codes/recover', (s, r, o) => s.recoveryCodes.recover(r, o)),
  route('POST', '/v1/b2b/recovery_codes/rotate', (s, r, o) => s.recoveryCodes.rotate(r, o)),
  route('GET', '/v1/b2b/recovery_codes/:organization_id/:member_id', (s, r, o) => s.recoveryCodes.get(r, o)),

  route('POST', '/v1/b2b/organizations', (s, r, o) => s.organizations.create(r, o)),
  route('GET', '/v1/b2b/organizations/:organization_id', (s, r, o) => s.organizations.get(r, o)),
  route('DELETE', '/v1/b2b/organizations/:organization_id', (s, r, o) => s.organizations.delete(r, o)),

  route('POST', '/v1/b2b/organizations/:organization_id/members', (s, r, o) => s.organizations.members.create(r, o)),
  // The SDK's organizations.members.get: GET …/member?member_id=… (singular, query string).
  route('GET', '/v1/b2b/organizations/:organization_id/member', (s, r, o) => s.organizations.members.get(r, o)),
  route('GET', '/v1/b2b/organizations/:organization_id/members/:member_id', (s, r, o) => s.organizations.members.get(r, o)),
  route('DELETE', '/v1/b2b/organizations/:organization_id/members/:member_id', (s, r, o) => s.organizations.members.delete(r, o)),
  route('DELETE', '/v1/b2b/organizations/:organization_id/members/:member_id/totp', (s, r, o) => s.organizations.members.deleteTOTP(r, o)),

  route('POST', '/v1/b2b/sessions/authenticate', (s, r, o) => s.sessions.authenticate(r, o)),
  route('POST', '/v1/b2b/sessions/revoke', (s, r, o) => s.sessions.revoke(r, o)),
  // Ours, not Stytch's: the host app's primary authentication succeeded; MFA comes next.
  route('POST', '/v1/b2b/sessions/intermediate', (s, r, o) => s.sessions.startIntermediate(r, o)),
];
