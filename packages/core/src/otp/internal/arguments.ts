// Programmer-misuse checks shared by the building blocks (docs/architecture.md: misuse throws TypeError/RangeError
// naming the parameter and what is allowed). Options are read as own properties, so Object.prototype cannot supply one.

/** True for a Uint8Array, including one from another realm (an iframe or vm context) where instanceof fails. */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array');
}

export function assertOptionsObject(options: unknown, name = 'options'): asserts options is object {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${name} must be an object`);
}

/** Own properties only, so a polluted Object.prototype (say, `windowSteps: 10`) cannot widen a check. */
export function ownOption<T extends object, K extends keyof T>(options: T, key: K): T[K] | undefined {
  return Object.hasOwn(options, key) ? options[key] : undefined;
}
