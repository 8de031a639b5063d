import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3339 } from './api-objects';

describe('rfc3339', () => {
  it('is the ISO string without milliseconds, for every representable date', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(rfc3339(date)).toBe(date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes whole seconds, UTC, and extended years', () => {
    expect(rfc3339(new Date(Date.UTC(2026, 10, 29, 12, 0, 5, 999)))).toBe('2026-11-29T12:00:05Z');
    expect(rfc3339(new Date(0))).toBe('1970-01-01T00:00:00Z');
    expect(rfc3339(new Date(Date.UTC(10000, 0, 1)))).toBe('+010000-01-01T00:00:00Z');
    expect(() => rfc3339(new Date(Number.NaN))).toThrow(RangeError);
  });
});
