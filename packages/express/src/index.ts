// @totp/express: the Stytch B2B TOTP HTTP API (docs/http-reference.md) as an Express 5 router over a @totp/core service.
// Mount it at the root of an app; see docs/express.md.

export { API_PREFIX, DEFAULT_ERROR_URL_BASE, createTotpRouter, type TotpRouterLogger, type TotpRouterOptions } from './router';
export { ERROR_STATUS, type ErrorStatus } from './error-status';
export { DEFAULT_MAX_BODY_BYTES } from './json-body';
export type { ErrorBody } from './responses';
