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

  it('formats each second once, and never answers with the text of another second', () => {
    const base = Date.UTC(2026, 10, 29, 12, 0, 0);
    const text = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Every millisecond of a second gives that second; the next second, and seconds 256 apart (which share a slot
    // of the table), give their own; so do seconds before 1970, whose numbers are negative.
    for (const ms of [base, base + 999, base + 1000, base + 256_000, base - 256_000, base + 999, -1, -1000, -1001, 0, 256_000]) {
      expect(rfc3339(new Date(ms))).toBe(text(ms));
    }
    expect(rfc3339(new Date(base + 999))).toBe('2026-11-29T12:00:00Z');
    // An invalid date still throws after its slot has been filled by a valid one.
    rfc3339(new Date(0));
    expect(() => rfc3339(new Date(Number.NaN))).toThrow(RangeError);
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: -2, max: 2 }), (ms, slotsApart) => {
        const other = ms + slotsApart * 256_000;
        if (Math.abs(other) > 8.64e15) return;
        expect(rfc3339(new Date(ms))).toBe(text(ms));
        expect(rfc3339(new Date(other))).toBe(text(other));
        expect(rfc3339(new Date(ms))).toBe(text(ms));
      }),
      { numRuns: 2000 },
    );
  });
});
