// Shared programmer-misuse checks for the keyring, secret box and recovery code modules.
// House style (docs/architecture.md): misuse throws TypeError/RangeError naming the parameter and what is allowed.

import type { Keyring } from '../keyring';

/** True for a Uint8Array, including one from another realm (an iframe or vm context) where instanceof fails. */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array');
}

export function assertOptionsObject(options: unknown, name = 'options'): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${name} must be an object`);
}

/** Own properties only, so a polluted Object.prototype cannot supply a key, a binding or a random source. */
export function ownOption<T extends object, K extends keyof T>(options: T, key: K): T[K] | undefined {
  return Object.hasOwn(options, key) ? options[key] : undefined;
}

/**
 * Checks the shape rather than the class, so a Keyring from a second copy of this package (ESM and CJS loaded
 * side by side) or a host's own implementation of the interface is accepted.
 */
export function assertKeyring(value: unknown, name: string): asserts value is Keyring {
  const candidate = value as Partial<Keyring> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.get !== 'function' ||
    typeof candidate.current !== 'object' ||
    candidate.current === null ||
    typeof candidate.current.id !== 'string' ||
    !isBytes(candidate.current.key)
  ) {
    throw new TypeError(`${name} must be a Keyring (see createKeyring)`);
  }
}
