// The two effects every algorithm in @totp/core is given rather than reaching for: time and randomness.
// Injected so that every time-dependent rule is testable to the second (architecture.md, "Ports and adapters").

import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

/** Fills a new array with `length` bytes from a CSPRNG. */
export type RandomBytes = (length: number) => Uint8Array;

/** The system clock. */
export const systemClock: Clock = () => Date.now();

// Each call to crypto.getRandomValues costs ~5 µs on Node whatever its size (4096 bytes: ~8 µs), and a request draws
// 32 bytes for a session token or 12 for a nonce. So small requests are served from a pool filled 4 KB at a time, as
// Node does for randomUUID: the same CSPRNG bytes, each handed out once and zeroed in the pool as it goes.
const POOL_BYTES = 4096;
/** Larger requests (none on a request path) go straight to the source. */
const MAX_POOLED_LENGTH = 256;
let pool: Uint8Array | undefined;
let poolOffset = POOL_BYTES;

/** `crypto.getRandomValues` (Web Crypto), available on Node >= 20 and in browsers. */
export const systemRandomBytes: RandomBytes = (length) => {
  // Anything but a small whole number keeps the source's own behaviour (and errors).
  if (!Number.isInteger(length) || length < 0 || length > MAX_POOLED_LENGTH) return nobleRandomBytes(length);
  if (pool === undefined || poolOffset + length > POOL_BYTES) {
    // The unused rest of the old pool is overwritten, never handed out.
    pool = nobleRandomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const bytes = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return bytes;
};

/** For tests only: empties the pool, so the next call draws from the source (e.g. a stubbed `crypto`). */
export function emptyRandomPoolForTesting(): void {
  pool?.fill(0);
  pool = undefined;
  poolOffset = POOL_BYTES;
}
