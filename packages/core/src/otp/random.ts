// Randomness for the building blocks: a function that returns `length` bytes from a CSPRNG, injected where it matters.
// The default is the platform's Web Crypto `getRandomValues` (Node >= 20, browsers, workers, edge runtimes).

import { randomBytes as webRandomBytes } from '@noble/hashes/utils.js';

/** Fills a new array with `length` bytes from a CSPRNG. */
export type RandomBytes = (length: number) => Uint8Array;

/** `crypto.getRandomValues`, through @noble/hashes (which checks the platform has it). */
export const defaultRandomBytes: RandomBytes = (length) => webRandomBytes(length);
