// Reading a request body as one JSON object (RFC 8259) with a byte limit, for the routes that carry one.
// Every failure is a TotpError (`bad_request`, `request_too_large`) so the router answers it in Stytch's error shape.

import type { IncomingMessage } from 'node:http';
import { TotpError } from '@totp/core';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export type JsonObject = Record<string, unknown>;

/** Set on a `request_too_large` error: the rest of the body was left unread, so the connection must close. */
export const UNREAD_BODY = Symbol('unread body');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether the request says it carries a body (as Node's parser framed it: a length or a transfer coding). */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** `application/json`, optionally with `charset=utf-8` (RFC 8259 §8.1: JSON between systems is UTF-8). */
function checkContentType(header: string | undefined): void {
  if (header === undefined) {
    throw new TotpError('bad_request', 'Content-Type must be application/json');
  }
  const [type = '', ...parameters] = header.split(';');
  if (type.trim().toLowerCase() !== 'application/json') {
    throw new TotpError('bad_request', 'Content-Type must be application/json');
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new TotpError('bad_request', 'the request body must be encoded as UTF-8');
    }
  }
}

function tooLarge(maxBytes: number): TotpError {
  const error = new TotpError('request_too_large', `the request body is larger than ${maxBytes} bytes`);
  Object.defineProperty(error, UNREAD_BODY, { value: true });
  return error;
}

function readBytes(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        request.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    };
    const onError = (cause: unknown) => {
      cleanup();
      reject(new TotpError('bad_request', 'the request body could not be read', { cause }));
    };
    const onClose = () => {
      cleanup();
      reject(new TotpError('bad_request', 'the request body was not received completely'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/**
 * The body as a JSON object, or `{}` when there is none. A body parser the host mounted before the router has
 * already read the stream: its result is used when it is an object (the Content-Type is checked all the same).
 */
export async function readJsonBody(request: IncomingMessage & { body?: unknown }, maxBytes: number): Promise<JsonObject> {
  if (!hasBody(request)) return {};
  checkContentType(request.headers['content-type']);
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);

  let value: unknown;
  if (request.readableEnded || request.readableDidRead) {
    value = request.body;
  } else {
    const bytes = await readBytes(request, maxBytes);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new TotpError('bad_request', 'the request body is not valid UTF-8');
    }
    if (text.trim() === '') return {};
    try {
      value = JSON.parse(text);
    } catch {
      throw new TotpError('bad_request', 'the request body is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TotpError('bad_request', 'the request body must be a JSON object');
  }
  return value as JsonObject;
}
