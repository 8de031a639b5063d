// The two effects every algorithm in @totp/core is given rather than reaching for: time and randomness.
// Injected so that every time-dependent rule is testable to the second (architecture.md, "Ports and adapters").

import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';

/** Milliseconds since the Unix epoch. */
export type Clock = () => number;

/** Fills a new array with `length` bytes from a CSPRNG. */
export type RandomBytes = (length: number) => Uint8Array;

/** The system clock. */
export const systemClock: Clock = () => Date.now();

/** `crypto.getRandomValues` (Web Crypto), available on Node >= 20 and in browsers. */
export const systemRandomBytes: RandomBytes = (length) => nobleRandomBytes(length);
