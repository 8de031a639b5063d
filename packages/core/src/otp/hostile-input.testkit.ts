// What the hostile-input tests share: recovery-code look-alikes and wrong types, and a way to see what an action threw.

/** Values posted as a `recovery_code` by someone trying to crash, confuse or slip past normalisation. */
export const HOSTILE_RECOVERY_CODES: readonly unknown[] = [
  undefined,
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -1,
  0n,
  true,
  Symbol('code'),
  () => 'abcd-efgh-2345',
  [],
  ['abcd-efgh-2345'],
  {},
  { toString: () => 'abcd-efgh-2345', valueOf: () => 'abcd-efgh-2345' },
  JSON.parse('{"__proto__": "abcd-efgh-2345"}'),
  '__proto__',
  'constructor',
  'a'.repeat(10_000_000),
  '-'.repeat(10_000_000),
  '\uD800'.repeat(12),
  '１２３４-５６７８-９０１２', // full-width digits
  '١٢٣٤٥٦٧٨٩٠١٢', // Arabic-Indic digits
  'abcd-efgh-2345\u200B', // zero-width space
  'abcd\u0000efgh\u00002345',
  'a\u0301bcd-efgh-2345', // combining accent
];

/** The error `action` threw, or undefined when it threw nothing. */
export function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
