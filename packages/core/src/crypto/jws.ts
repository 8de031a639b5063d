// Compact JWS (RFC 7515 §7.1) signed with HS256 (RFC 7518 §3.2) over the crypto provider's HMAC-SHA-256: the form
// of session JWTs. base64url without padding (RFC 7515 §2); the key is named in the protected header's `kid`.

import { base64urlnopad } from '@scure/base';
import type { CryptoProvider } from './provider';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** A session JWT is about 10 KB at most (4 KB of custom claims and the factors, encoded); anything longer is refused unread. */
export const MAX_JWS_LENGTH = 16 * 1024;

const encodeJson = (value: unknown): string => base64urlnopad.encode(encoder.encode(JSON.stringify(value)));

/** `payload` signed under `key`, named `kid`: header.payload.signature. */
export function signHs256(payload: Record<string, unknown>, kid: string, key: Uint8Array, crypto: CryptoProvider): string {
  const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT', kid })}.${encodeJson(payload)}`;
  return `${signingInput}.${base64urlnopad.encode(crypto.hmac('SHA-256', key, encoder.encode(signingInput)))}`;
}

/**
 * The payload of `jws` when it is a well-formed HS256 compact JWS whose signature verifies under the key its `kid`
 * names (`keyFor` returns a copy, wiped here); null for anything else. Only the signature is judged: claims are the
 * caller's.
 */
export function verifyHs256(
  jws: string,
  keyFor: (kid: string) => Uint8Array | undefined,
  crypto: CryptoProvider,
): Record<string, unknown> | null {
  if (typeof jws !== 'string' || jws.length > MAX_JWS_LENGTH) return null;
  const parts = jws.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  const protectedHeader = decodeJson(header);
  if (protectedHeader === null || protectedHeader.alg !== 'HS256' || typeof protectedHeader.kid !== 'string') return null;
  if ('crit' in protectedHeader) return null; // RFC 7515 §4.1.11: we understand no extension
  const key = keyFor(protectedHeader.kid);
  if (key === undefined) return null;
  let expected: Uint8Array;
  try {
    expected = crypto.hmac('SHA-256', key, encoder.encode(`${header}.${payload}`));
  } finally {
    key.fill(0);
  }
  let presented: Uint8Array;
  try {
    presented = base64urlnopad.decode(signature);
  } catch {
    return null;
  }
  if (!constantTimeEqual(expected, presented)) return null;
  return decodeJson(payload);
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(decoder.decode(base64urlnopad.decode(part)));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Compares two byte strings in time that depends only on their lengths. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
