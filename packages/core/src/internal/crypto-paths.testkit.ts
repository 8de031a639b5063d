// For tests only (no shipped module imports it): run code on either implementation of internal/native-crypto.ts,
// node:crypto ('native') or @noble/@scure ('noble', also called 'fallback'), having checked the choice took.

import { expect } from 'vitest';
import { forceFallbackCryptoForTesting, usesNativeCrypto } from './native-crypto';

export type CryptoPath = 'native' | 'noble' | 'fallback';

export function onCryptoPath<T>(path: CryptoPath, action: () => T): T {
  forceFallbackCryptoForTesting(path !== 'native');
  try {
    expect(usesNativeCrypto()).toBe(path === 'native');
    return action();
  } finally {
    forceFallbackCryptoForTesting(false);
  }
}

/** As onCryptoPath, keeping the path chosen until the action's promise settles. */
export async function onCryptoPathAsync<T>(path: CryptoPath, action: () => Promise<T>): Promise<T> {
  forceFallbackCryptoForTesting(path !== 'native');
  try {
    expect(usesNativeCrypto()).toBe(path === 'native');
    return await action();
  } finally {
    forceFallbackCryptoForTesting(false);
  }
}
