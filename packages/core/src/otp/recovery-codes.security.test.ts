// Attack pinned: someone posting hostile `recovery_code` values tries to crash or confuse normalisation, or to get a
// Unicode look-alike accepted as a real code; and a polluted Object.prototype tries to choose how many codes are made
// or the random source they are drawn from. Hostile input must give null (normalize) or TypeError/RangeError
// (generate), never anything else. What is stored for a code is pinned in crypto/recovery-code-hashes.security.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateRecoveryCodes, normalizeRecoveryCode } from './recovery-codes';
import { caught, HOSTILE_RECOVERY_CODES as HOSTILE } from './hostile-input.testkit';

describe('hostile input', () => {
  it('normalizeRecoveryCode returns null and never throws', () => {
    for (const input of HOSTILE) expect(normalizeRecoveryCode(input)).toBeNull();
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true }), (input) => {
        const result = normalizeRecoveryCode(input);
        expect(result === null || /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/.test(result)).toBe(true);
      }),
    );
  });

  it('only ASCII is folded, so no Unicode look-alike normalises into a real code', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (input) => {
        const result = normalizeRecoveryCode(input);
        if (result !== null) expect(input).toMatch(/^[A-Za-z0-9\t\n\v\f\r -]+$/);
      }),
    );
  });

  it('generateRecoveryCodes refuses hostile options with TypeError or RangeError and ignores inherited ones', () => {
    const options: unknown[] = [
      null,
      'x',
      { count: Number.NaN },
      { count: '10' },
      { count: 1e9 },
      { count: -0.5 },
      { count: 10n },
      { randomBytes: 42 },
    ];
    for (const option of options) {
      const error = caught(() => generateRecoveryCodes(option as object));
      expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
    }
    // A polluted prototype must not choose the count or the random source.
    const inherited = Object.create({ count: 1, randomBytes: (n: number) => new Uint8Array(n) }) as object;
    expect(generateRecoveryCodes(inherited)).toHaveLength(10);
    expect(generateRecoveryCodes(JSON.parse('{"__proto__": {"count": 1}}') as object)).toHaveLength(10);
  });
});
