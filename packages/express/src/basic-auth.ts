// The project credentials check: HTTP Basic authentication (RFC 7617) of `project_id:secret`, as Stytch's API uses.
// Both halves are compared in constant time over SHA-256 digests, so neither their content nor their length leaks.

import { hash, timingSafeEqual } from 'node:crypto';

// One-shot: no Hash object per request for the garbage collector to finalize (crypto.hash, Node >= 20.12).
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/** Longer headers are refused unread: no credential this check accepts is anywhere near this long. */
const MAX_HEADER_LENGTH = 4096;

export type CredentialCheck = (authorizationHeader: string | undefined) => boolean;

/**
 * Returns a check that accepts `Basic base64(projectId:secret)` for any one of `secrets` (several during a rotation).
 * Every secret is compared on every call, and the project ID and secret comparisons are combined without
 * short-circuiting, so the time taken does not say which part was wrong.
 */
export function createCredentialCheck(projectId: string, secrets: readonly string[]): CredentialCheck {
  const expectedProjectId = digest(projectId);
  const expectedSecrets = secrets.map(digest);
  // Fast path: the exact header every client builds (`Basic ` + padded base64), one digest compared per secret.
  const canonical = secrets.map((secret) => digest(`Basic ${Buffer.from(`${projectId}:${secret}`, 'utf8').toString('base64')}`));
  return (header) => {
    if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return false;
    const whole = digest(header);
    let canonicalOk = 0;
    for (const expected of canonical) canonicalOk |= timingSafeEqual(whole, expected) ? 1 : 0;
    if (canonicalOk === 1) return true;
    // Other spellings RFC 7617 allows (scheme case, spacing): parse, then compare each half in constant time.
    // RFC 7617 §2: the scheme is case-insensitive; the credentials are a single token68.
    const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
    if (match === null || match[1] === undefined) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    let ok = timingSafeEqual(digest(decoded.slice(0, colon)), expectedProjectId) ? 1 : 0;
    const given = digest(decoded.slice(colon + 1));
    let secretOk = 0;
    for (const expected of expectedSecrets) secretOk |= timingSafeEqual(given, expected) ? 1 : 0;
    ok &= secretOk;
    return ok === 1;
  };
}
