// The Express 5 router: Stytch B2B TOTP's HTTP API (docs/http-reference.md) over a TotpService.
// Only HTTP lives here: credentials, body parsing, routing, and the error_type → status map. Every rule is core's.

import { randomUUID } from 'node:crypto';
import { TotpError, isErrorType, isTotpError, type Environment, type ErrorType, type TotpService } from '@totp/core';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { createCredentialCheck } from './basic-auth';
import { ERROR_STATUS } from './error-status';
import { DEFAULT_MAX_BODY_BYTES, UNREAD_BODY, hasBody, readJsonBody } from './json-body';
import { errorBody, sendJson } from './responses';
import { ROUTES, type RouteSpec } from './routes';

/** Where `error_url` points by default: the error table of the HTTP reference, one anchor per `error_type`. */
export const DEFAULT_ERROR_URL_BASE = 'https://github.com/totp-toolkit/totp/blob/main/docs/http-reference.md';

/** The Stytch API namespace: with `scope: 'api'` the router answers only paths inside it. */
export const API_PREFIX = '/v1/b2b';

export interface TotpRouterLogger {
  /**
   * Called for every 5xx answer with a message naming the request_id: for an unexpected failure (500) with the error
   * itself, stack and all; for an unreachable store (503) with one line that ends with the cause's message and code.
   */
  error(message: string, cause?: unknown): void;
}

export interface TotpRouterOptions {
  service: TotpService;
  /** `project-test-…` or `project-live-…`; the prefix picks the environment of request IDs. */
  projectId: string;
  /** The project secret callers send as the Basic auth password. Several are accepted during a rotation. */
  secret: string | readonly string[];
  /** Larger request bodies are refused with 413 `request_too_large`. Default 65536 (64 KB). */
  maxBodyBytes?: number;
  /** `error_url` is `<errorUrlBase>#<error_type>`. Default {@link DEFAULT_ERROR_URL_BASE}. */
  errorUrlBase?: string;
  /** Where unexpected failures are reported with their request_id. Default `console`. */
  logger?: TotpRouterLogger;
  /**
   * Which requests the router answers. `'api'` (default): paths under `/v1/b2b`; anything else goes on to the
   * host app's next handler. `'all'`: every request, so any unknown path is a 404 `route_not_found` in
   * Stytch's shape (for an app that serves nothing else, like the reference server).
   */
  scope?: 'api' | 'all';
}

/** The headers of Stytch's RBAC-checked calls (the SDK's `authorization` option). */
const RBAC_HEADERS = ['X-Stytch-Member-Session', 'X-Stytch-Member-SessionJWT'] as const;

const PROJECT_ID_PATTERN = /^project-(test|live)-[^\s:]+$/;
const MAX_BODY_BYTES_LIMIT = 1 << 30;
const INTERNAL_ERROR_MESSAGE = 'An unexpected error occurred. Quote the request_id when reporting it.';

/** The innermost cause's message and code, on one line: what an operator needs to see why the store failed. */
function causeOf(error: Error): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 8 && cause instanceof Error && cause.cause !== undefined; depth++) cause = cause.cause;
  const { message, code } = (cause ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' ? (message.split('\n')[0] ?? '') : String(cause);
  return typeof code === 'string' || typeof code === 'number' ? `${text} (${code})` : text;
}

/** A TotpError, also when thrown by another copy of @totp/core (the ESM and CJS builds loaded side by side). */
function asTotpError(error: unknown): TotpError | null {
  if (isTotpError(error)) return error;
  if (error instanceof Error && error.name === 'TotpError' && isErrorType((error as { error_type?: unknown }).error_type)) {
    return error as TotpError;
  }
  return null;
}

function checkOptions(options: TotpRouterOptions): { environment: Environment; secrets: readonly string[] } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTotpRouter(options): options must be an object');
  }
  const { service, projectId, secret, maxBodyBytes, errorUrlBase, logger, scope } = options;
  if (typeof service !== 'object' || service === null) {
    throw new TypeError('createTotpRouter: `service` is required (a TotpService from createTotpService)');
  }
  if (typeof projectId !== 'string' || !PROJECT_ID_PATTERN.test(projectId)) {
    throw new RangeError('createTotpRouter: `projectId` must start with "project-test-" or "project-live-" and contain no spaces or ":"');
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (!Array.isArray(secrets) || secrets.length === 0 || !secrets.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new TypeError('createTotpRouter: `secret` must be a non-empty string or a non-empty array of them');
  }
  if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > MAX_BODY_BYTES_LIMIT)) {
    throw new RangeError(`createTotpRouter: \`maxBodyBytes\` must be an integer from 1 to ${MAX_BODY_BYTES_LIMIT}`);
  }
  if (errorUrlBase !== undefined && (typeof errorUrlBase !== 'string' || !URL.canParse(errorUrlBase))) {
    throw new TypeError('createTotpRouter: `errorUrlBase` must be an absolute URL');
  }
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function')) {
    throw new TypeError('createTotpRouter: `logger` must have an error(message, cause) method');
  }
  if (scope !== undefined && scope !== 'api' && scope !== 'all') {
    throw new RangeError('createTotpRouter: `scope` must be "api" or "all"');
  }
  return { environment: projectId.startsWith('project-live-') ? 'live' : 'test', secrets: [...secrets] };
}

/**
 * An Express 5 router serving every route of the HTTP contract. Mount it at the root of the app
 * (`app.use(createTotpRouter(…))`): the `stytch` SDK drops any path in `custom_base_url`. It parses its own
 * request bodies, so mount it before any body parser or leave those to other paths.
 */
export function createTotpRouter(options: TotpRouterOptions): Router {
  const { environment, secrets } = checkOptions(options);
  const { service } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const errorUrlBase = options.errorUrlBase ?? DEFAULT_ERROR_URL_BASE;
  const logger: TotpRouterLogger = options.logger ?? console;
  const scope = options.scope ?? 'api';
  const checkCredentials = createCredentialCheck(options.projectId, secrets);

  /** The request's ID, drawn once, so that every answer to it quotes the same one (core's format). */
  const requestIds = new WeakMap<Request, string>();
  const requestIdOf = (request: Request): string => {
    let requestId = requestIds.get(request);
    if (requestId === undefined) {
      requestId = `request-id-${environment}-${randomUUID()}`;
      requestIds.set(request, requestId);
    }
    return requestId;
  };

  const fail = (request: Request, response: Response, errorType: ErrorType, message: string): void => {
    sendJson(response, ERROR_STATUS[errorType], errorBody(errorType, message, requestIdOf(request), errorUrlBase));
  };

  const failUnexpectedly = (request: Request, response: Response, cause: unknown): void => {
    const requestId = requestIdOf(request);
    try {
      logger.error(`[@totp/express] ${requestId} ${request.method} ${request.path}: internal_server_error`, cause);
    } catch {
      // A failing logger must not turn a 500 into a hung request.
    }
    fail(request, response, 'internal_server_error', INTERNAL_ERROR_MESSAGE);
  };

  const failWith = (request: Request, response: Response, error: unknown): void => {
    const totpError = asTotpError(error);
    if (totpError === null || totpError.error_type === 'internal_server_error') {
      failUnexpectedly(request, response, error);
      return;
    }
    if (ERROR_STATUS[totpError.error_type] >= 500) {
      // An expected failure (the store is down): one line with the cause's message and code, no stack. During an
      // outage every request fails this way, and a stack each would flood the log.
      try {
        logger.error(
          `[@totp/express] ${requestIdOf(request)} ${request.method} ${request.path}: ${totpError.error_type}: ${causeOf(totpError)}`,
        );
      } catch {
        // As above.
      }
    }
    // The rest of an oversized body was never read: closing the connection is cheaper than draining it.
    if ((totpError as { [UNREAD_BODY]?: boolean })[UNREAD_BODY] === true) response.setHeader('Connection', 'close');
    fail(request, response, totpError.error_type, totpError.message);
  };

  const handle =
    (spec: RouteSpec) =>
    async (request: Request, response: Response): Promise<void> => {
      const requestId = requestIdOf(request);
      try {
        const fields: Record<string, unknown> = spec.input === 'query' ? request.query : await readJsonBody(request, maxBodyBytes);
        // Spread, never Object.assign: a `__proto__` key must stay a plain own field, not become a prototype. Path
        // parameters come last: the path names the resource.
        const input = { ...fields, ...request.params };
        const result = (await spec.call(service, input as never, { requestId })) as Record<string, unknown> | null;
        sendJson(response, 200, { ...result, request_id: requestId, status_code: 200 });
      } catch (error) {
        failWith(request, response, error);
      }
    };

  const router = Router({ caseSensitive: true, strict: false });

  // Credentials first, before routing, so that an unauthenticated caller cannot even learn which paths exist.
  router.use((request: Request, response: Response, next: NextFunction) => {
    const path = request.path;
    if (scope === 'api' && path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) {
      next('router');
      return;
    }
    if (!checkCredentials(request.headers.authorization)) {
      response.setHeader('WWW-Authenticate', 'Basic realm="totp", charset="UTF-8"');
      // Its body is never read: the connection closes after the answer rather than drain what a stranger sends.
      if (hasBody(request)) response.setHeader('Connection', 'close');
      fail(request, response, 'unauthorized_credentials', 'the project_id and secret (HTTP Basic auth) are missing or wrong');
      return;
    }
    // The stytch SDK sends these for an RBAC-checked call; with no roles here, honouring none of them silently would
    // let one member act for another. Refused, naming the header, until roles exist.
    for (const header of RBAC_HEADERS) {
      if (request.headers[header.toLowerCase()] !== undefined) {
        fail(
          request,
          response,
          'bad_request',
          `${header} is not supported: this server does not enforce Stytch RBAC, so the request was refused rather than run unchecked`,
        );
        return;
      }
    }
    next();
  });

  const byPath = new Map<string, RouteSpec[]>();
  for (const spec of ROUTES) byPath.set(spec.path, [...(byPath.get(spec.path) ?? []), spec]);
  for (const [path, specs] of byPath) {
    const route = router.route(path);
    const methods: string[] = specs.map((s) => s.method);
    if (methods.includes('GET')) methods.push('HEAD');
    const allow = methods.join(', ');
    for (const spec of specs) {
      if (spec.method === 'GET') route.get(handle(spec));
      else if (spec.method === 'POST') route.post(handle(spec));
      else route.delete(handle(spec));
    }
    route.all((request: Request, response: Response) => {
      response.setHeader('Allow', allow);
      fail(request, response, 'method_not_allowed', `${request.method} is not allowed on this path; use ${allow}`);
    });
  }

  router.use((request: Request, response: Response) => {
    fail(request, response, 'route_not_found', 'no route matches this path; see the HTTP reference for the routes');
  });

  // Errors raised by Express itself inside this router, e.g. a path parameter that is not valid percent-encoding.
  router.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown } | null)?.status;
    if (status === 400) {
      fail(request, response, 'bad_request', 'the path is not valid percent-encoding');
      return;
    }
    failWith(request, response, error);
  });

  return router;
}
