import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3339, rfc3339OfMs } from './api-objects';

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

describe('rfc3339OfMs and the table of formatted seconds', () => {
  const MAX_MS = 8.64e15; // ECMA-262's time value range is ±8.64e15 ms
  /** The text, worked out without rfc3339 or its table: the ISO string at seconds precision. */
  const text = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  /** What a call did: its text, or the class and message of what it threw. */
  function outcome(format: () => string): string {
    try {
      return format();
    } catch (error) {
      return `threw ${(error as Error).constructor.name}: ${(error as Error).message}`;
    }
  }
  /** The first and last millisecond of the second `ms` is in, and of the seconds on either side. */
  const around = (ms: number) => {
    const start = Math.floor(ms / 1000) * 1000;
    return [start - 1000, start - 1, start, start + 999, start + 1000].filter((t) => Math.abs(t) <= MAX_MS);
  };
  /** Any time value a clock could give: whole or fractional, negative, extreme, or not a number at all. */
  const anyMs = fc.oneof(
    fc.integer({ min: -MAX_MS, max: MAX_MS }),
    fc.double({ min: -1e13, max: 1e13 }),
    // A fraction of a millisecond either side of a second's boundary: new Date truncates towards zero, the table's
    // second rounds down, so a negative fraction there belongs to the later second. (Not past 8.64e15: see below.)
    fc.tuple(fc.integer({ min: -8.64e12, max: 8.64e12 - 1 }), fc.double({ min: -1, max: 1, noNaN: true })).map(([second, f]) => second * 1000 + f),
    fc.integer({ min: -2000, max: 2000 }).map((d) => -MAX_MS + d),
    fc.integer({ min: -2000, max: 0 }).map((d) => MAX_MS + d),
    fc.double(), // NaN, ±Infinity, -0, and values far outside the range
  );

  it('is rfc3339(new Date(ms)) for any number, and leaves only right answers in the table', () => {
    fc.assert(
      fc.property(anyMs, (ms) => {
        const expected = outcome(() => text(ms));
        expect(outcome(() => rfc3339OfMs(ms))).toBe(expected);
        expect(outcome(() => rfc3339(new Date(ms)))).toBe(expected);
        // What the call put in the table answers the whole milliseconds around it correctly, either way asked.
        for (const t of around(ms)) {
          expect(rfc3339OfMs(t)).toBe(text(t));
          expect(rfc3339(new Date(t))).toBe(text(t));
        }
      }),
      {
        numRuns: 500,
        examples: [[-0.5], [-1000.5], [0.5], [-0], [Number.NaN], [Infinity], [-Infinity], [MAX_MS], [-MAX_MS], [-MAX_MS - 1], [2 ** 53], [1e300]],
      },
    );
    expect(() => rfc3339OfMs(Number.NaN)).toThrow(RangeError);
    expect(() => rfc3339OfMs(Infinity)).toThrow(RangeError);
  });

  // A whole number just past the last valid time value (8.64e15 + 1 to + 999 ms) has the last valid second: once that
  // second is in the table, only the range check keeps rfc3339OfMs from answering its text.
  it('throws for a time value just past the range even after the last valid second is in the table', () => {
    for (const past of [MAX_MS + 1, MAX_MS + 500, MAX_MS + 999]) {
      expect(rfc3339OfMs(MAX_MS)).toBe('+275760-09-13T00:00:00Z');
      expect(() => rfc3339(new Date(past))).toThrow(RangeError);
      expect(() => rfc3339OfMs(past)).toThrow(RangeError);
    }
  });

  it('keeps every second right while thousands of seconds collide in its 256 slots', () => {
    fc.assert(
      fc.property(
        // Seconds packed into an hour (pigeonhole: far more than 256 distinct ones) and spread over the whole range.
        fc.integer({ min: -8.64e12, max: 8.64e12 - 3600 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3_599_999 }), fc.integer({ min: -MAX_MS, max: MAX_MS })), { minLength: 2000, maxLength: 2000 }),
        (hourSecond, offsets) => {
          const times = offsets.map((offset) => (Math.abs(offset) < 3_600_000 ? hourSecond * 1000 + offset : offset));
          const texts = times.map((ms, i) => (i % 2 === 0 ? rfc3339(new Date(ms)) : rfc3339OfMs(ms)));
          // Every answer, given again after all the others evicted and refilled the slots, is still its own second's.
          times.forEach((ms, i) => {
            expect(texts[i]).toBe(text(ms));
            expect(rfc3339(new Date(ms))).toBe(text(ms));
            expect(rfc3339OfMs(ms)).toBe(text(ms));
          });
        },
      ),
      // Shrinking 2000 times is slow and pointless here: the failing second is in the message.
      { numRuns: 3, endOnFailure: true },
    );
  });
});
