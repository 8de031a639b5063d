// Writing Stytch-shaped JSON responses: success bodies and `{ status_code, request_id, error_type, error_message, error_url }`.
// The HTTP status always equals the body's `status_code`; responses carry secrets, so no cache may keep them.

import type { ServerResponse } from 'node:http';
import type { ErrorType } from '@totp/core';
import { ERROR_STATUS } from './error-status';

export interface ErrorBody {
  status_code: number;
  request_id: string;
  error_type: ErrorType;
  error_message: string;
  error_url: string;
}

export function sendJson(response: ServerResponse, statusCode: number, body: object): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const json = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(json);
}

export function errorBody(errorType: ErrorType, message: string, requestId: string, errorUrlBase: string): ErrorBody {
  return {
    status_code: ERROR_STATUS[errorType],
    request_id: requestId,
    error_type: errorType,
    error_message: message,
    error_url: `${errorUrlBase}#${errorType}`,
  };
}
