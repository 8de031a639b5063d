// Attack pinned here: an attacker who controls the code, or a polluted options object, tries to get a wrong code
// accepted (lenient parsing of " 123456", "+123456" or "１２３４５６", a window widened through Object.prototype), to
// learn the right code digit by digit from a comparison that stops early, or to crash or stall verification with
// huge strings, NaN/Infinity times and out-of-range counters, or to swap in an HMAC of their own through a polluted
// Object.prototype.hmac so that a code of their choosing matches.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSecret, generateSecret } from './secret';
import { generateTotp, hotp, isWellFormedTotpCode, nobleHmac, timeStepAt, verifyTotp, type HmacFunction } from './totp';

const SECRET = new TextEncoder().encode('12345678901234567890');
const NOW_MS = 1_700_000_012_345;
const VALID = generateTotp(SECRET, { nowMs: NOW_MS });

/** An hmac option that records the counter (the 8-byte big-endian message) of every step computed. */
function recordingSteps(): { hmac: HmacFunction; steps: number[] } {
  const steps: number[] = [];
  const hmac: HmacFunction = (hash, key, message) => {
    steps.push(Number(new DataView(message.buffer, message.byteOffset, message.byteLength).getBigUint64(0)));
    return nobleHmac(hash, key, message);
  };
  return { hmac, steps };
}

describe('codes that are not exactly `digits` ASCII digits are malformed_code, never accepted, never thrown', () => {
  const toFullWidth = (code: string) => [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
  const toArabicIndic = (code: string) => [...code].map((d) => String.fromCharCode(0x0660 + Number(d))).join('');
  const toPersian = (code: string) => [...code].map((d) => String.fromCharCode(0x06f0 + Number(d))).join('');
  const toDevanagari = (code: string) => [...code].map((d) => String.fromCharCode(0x0966 + Number(d))).join('');
  const toMathBold = (code: string) => [...code].map((d) => String.fromCodePoint(0x1d7ce + Number(d))).join('');

  // Each variant is built from the valid code, so a parser that normalised it would accept it.
  const variants: Array<[string, string]> = [
    ['leading space', ` ${VALID}`],
    ['trailing space', `${VALID} `],
    ['leading newline', `\n${VALID}`],
    ['trailing NUL', `${VALID}\0`],
    ['plus sign', `+${VALID}`],
    ['trailing letter', `${VALID}x`],
    ['one digit short', VALID.slice(0, 5)],
    ['one digit long', `${VALID}0`],
    ['decimal point', `${VALID.slice(0, 5)}.0`],
    ['full-width digits', toFullWidth(VALID)],
    ['Arabic-Indic digits', toArabicIndic(VALID)],
    ['Extended Arabic-Indic digits', toPersian(VALID)],
    ['Devanagari digits', toDevanagari(VALID)],
    ['mathematical bold digits (surrogate pairs)', toMathBold(VALID)],
    ['fixed "１２３４５６"', '１２３４５６'],
    ['negative', '-12345'],
    ['exponent', '1e5'],
    ['exponent, six characters', '12e345'],
    ['hex', '0x1E24'],
    ['spaces inside', `${VALID.slice(0, 3)} ${VALID.slice(3)}`],
    ['empty', ''],
    ['a megabyte of digits', '1'.repeat(1_000_000)],
    ['a megabyte of the valid code', VALID.repeat(200_000)],
  ];

  it.each(variants)('%s', (_what, code) => {
    expect(verifyTotp(SECRET, code, { nowMs: NOW_MS })).toEqual({ valid: false, reason: 'malformed_code' });
    expect(isWellFormedTotpCode(code)).toBe(false);
  });

  it.each([
    ['a number', Number(VALID)],
    ['a String object', new String(VALID)],
    ['an array of digits', [...VALID]],
    ['an object with toString', { toString: () => VALID }],
    ['null', null],
    ['undefined', undefined],
    ['a bigint', BigInt(VALID)],
  ])('a non-string code (%s)', (_what, code) => {
    expect(verifyTotp(SECRET, code as unknown as string, { nowMs: NOW_MS })).toEqual({ valid: false, reason: 'malformed_code' });
    expect(isWellFormedTotpCode(code)).toBe(false);
  });

  it('any string that is not six ASCII digits is malformed (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 12 }), (code) => {
        fc.pre(!/^[0-9]{6}$/.test(code));
        expect(verifyTotp(SECRET, code, { nowMs: NOW_MS })).toEqual({ valid: false, reason: 'malformed_code' });
      }),
    );
  });
});

describe('the comparison does not short-circuit on the code', () => {
  // Timing is not asserted: tests never assert on time (architecture.md, "Benchmarks"), and a timing test on a
  // shared machine would be flaky. What is pinned instead is the structure that makes the time independent
  // of the code: the code is parsed to an integer once, and for a code that matches no step every step of the
  // window is computed and compared as a whole integer, the same for a guess wrong in its first digit as in
  // its last.
  const differIn = (code: string, index: number) => code.slice(0, index) + String((Number(code[index]) + 5) % 10) + code.slice(index + 1);

  it('a guess wrong in its first digit and one wrong in its last take the same path through every step', () => {
    const current = timeStepAt(NOW_MS);
    const inWindow = [current, current - 1, current + 1].map((step) => hotp(SECRET, step));
    const firstWrong = differIn(VALID, 0);
    const lastWrong = differIn(VALID, 5);
    // Neither may equal a neighbouring step's code by chance, or the test would measure a match.
    expect(inWindow).not.toContain(firstWrong);
    expect(inWindow).not.toContain(lastWrong);

    const first = recordingSteps();
    expect(verifyTotp(SECRET, firstWrong, { nowMs: NOW_MS, hmac: first.hmac })).toEqual({ valid: false, reason: 'no_match' });
    const last = recordingSteps();
    expect(verifyTotp(SECRET, lastWrong, { nowMs: NOW_MS, hmac: last.hmac })).toEqual({ valid: false, reason: 'no_match' });

    expect(first.steps).toEqual([current, current - 1, current + 1]);
    expect(last.steps).toEqual(first.steps);
  });

  it('computes all 2 × windowSteps + 1 steps for a wrong code, skipping only steps before t0', () => {
    const wrong = differIn(VALID, 2);
    for (const windowSteps of [0, 1, 5, 10]) {
      const { hmac, steps } = recordingSteps();
      const result = verifyTotp(SECRET, wrong, { nowMs: NOW_MS, windowSteps, hmac });
      if (result.valid) continue; // a chance collision with a neighbouring step; nothing to count
      expect(steps).toHaveLength(2 * windowSteps + 1);
    }
    // At step 0 there is no step -1: it is skipped, not computed as a negative (or wrapped) counter.
    const { hmac, steps } = recordingSteps();
    verifyTotp(SECRET, '000000', { nowMs: 0, windowSteps: 2, hmac });
    expect(steps).toEqual([0, 1, 2]);
  });
});

describe('options polluted through the prototype chain are ignored', () => {
  const FAR_CODE = hotp(SECRET, timeStepAt(NOW_MS) + 5); // valid only with windowSteps >= 5

  function withPollutedPrototype(key: string, value: unknown, run: () => void): void {
    Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
    try {
      run();
    } finally {
      delete (Object.prototype as Record<string, unknown>)[key];
    }
  }

  it('a polluted Object.prototype.windowSteps does not widen the window', () => {
    withPollutedPrototype('windowSteps', 10, () => {
      expect(verifyTotp(SECRET, FAR_CODE, { nowMs: NOW_MS })).toEqual({ valid: false, reason: 'no_match' });
    });
    // The same code is accepted when the caller asks for the wider window itself.
    expect(verifyTotp(SECRET, FAR_CODE, { nowMs: NOW_MS, windowSteps: 5 })).toMatchObject({ valid: true, driftSteps: 5 });
  });

  it('polluted digits, algorithm, periodSeconds, t0Seconds, bytes or minBytes change nothing', () => {
    const before = {
      code: generateTotp(SECRET, { nowMs: NOW_MS }),
      step: timeStepAt(NOW_MS),
    };
    for (const [key, value] of [
      ['digits', 8],
      ['algorithm', 'SHA512'],
      ['periodSeconds', 1],
      ['t0Seconds', 1_000_000_000],
    ] as const) {
      withPollutedPrototype(key, value, () => {
        expect(generateTotp(SECRET, { nowMs: NOW_MS })).toBe(before.code);
        expect(timeStepAt(NOW_MS, {})).toBe(before.step);
        expect(hotp(SECRET, before.step)).toBe(before.code);
        expect(verifyTotp(SECRET, before.code, { nowMs: NOW_MS })).toMatchObject({ valid: true, driftSteps: 0 });
      });
    }
    withPollutedPrototype('bytes', 16, () => expect(generateSecret().length).toBe(20));
    withPollutedPrototype('minBytes', 1, () => expect(() => decodeSecret('MZXW6YTBOI')).toThrow(/at least 16 bytes/));
  });

  it('a polluted Object.prototype.hmac is never called: it cannot make a chosen code match', () => {
    // An HMAC that always yields the same digest would make one fixed code valid at every step.
    let called = 0;
    const constant: HmacFunction = () => {
      called++;
      return new Uint8Array(20);
    };
    const chosen = hotp(SECRET, 0, { hmac: constant });
    expect(called).toBe(1);
    expect(chosen).not.toBe(VALID);
    withPollutedPrototype('hmac', constant, () => {
      expect(verifyTotp(SECRET, chosen, { nowMs: NOW_MS })).toEqual({ valid: false, reason: 'no_match' });
      expect(generateTotp(SECRET, { nowMs: NOW_MS })).toBe(VALID);
      expect(hotp(SECRET, timeStepAt(NOW_MS))).toBe(VALID);
    });
    expect(called).toBe(1);
  });

  it('a JSON "__proto__" key or an inherited option is not read', () => {
    const fromJson = JSON.parse(`{"nowMs": ${NOW_MS}, "__proto__": {"windowSteps": 10, "digits": 8}}`) as { nowMs: number };
    expect(verifyTotp(SECRET, FAR_CODE, fromJson)).toEqual({ valid: false, reason: 'no_match' });
    expect(verifyTotp(SECRET, VALID, fromJson)).toMatchObject({ valid: true });
    const inherited = Object.assign(Object.create({ windowSteps: 10 }) as object, { nowMs: NOW_MS }) as { nowMs: number };
    expect(verifyTotp(SECRET, FAR_CODE, inherited)).toEqual({ valid: false, reason: 'no_match' });
    // nowMs itself must be an own property: an inherited one is as good as missing.
    const inheritedNow = Object.create({ nowMs: NOW_MS }) as { nowMs: number };
    expect(() => verifyTotp(SECRET, VALID, inheritedNow)).toThrow(TypeError);
  });

  it('algorithm names that exist on Object.prototype are refused, not looked up', () => {
    for (const algorithm of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'sha1', 'MD5', 'SHA-1', '']) {
      expect(() => generateTotp(SECRET, { nowMs: NOW_MS, algorithm: algorithm as 'SHA1' })).toThrow(RangeError);
    }
  });
});

describe('hostile times', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, -0.5, -1e15, 8.64e15 + 1, Number.MAX_VALUE])(
    'nowMs = %s is a RangeError naming nowMs, for every time-taking function',
    (nowMs) => {
      expect(() => timeStepAt(nowMs)).toThrow(RangeError);
      expect(() => timeStepAt(nowMs)).toThrow(/nowMs/);
      expect(() => generateTotp(SECRET, { nowMs })).toThrow(RangeError);
      expect(() => verifyTotp(SECRET, VALID, { nowMs })).toThrow(RangeError);
      // Misuse wins over a malformed code: the programmer error is not hidden behind 'malformed_code'.
      expect(() => verifyTotp(SECRET, 'junk', { nowMs })).toThrow(RangeError);
    },
  );

  it.each([
    ['a string', '1700000000000'],
    ['a bigint', 1_700_000_000_000n],
    ['a Date', new Date(NOW_MS)],
    ['missing', undefined],
  ])('nowMs as %s is a TypeError', (_what, nowMs) => {
    expect(() => timeStepAt(nowMs as unknown as number)).toThrow(TypeError);
    expect(() => generateTotp(SECRET, { nowMs: nowMs as unknown as number })).toThrow(TypeError);
    expect(() => verifyTotp(SECRET, VALID, { nowMs: nowMs as unknown as number })).toThrow(TypeError);
  });

  it('a time before t0 is a RangeError; -0 and the last Date millisecond are fine', () => {
    expect(() => timeStepAt(999_999, { t0Seconds: 1000 })).toThrow(/before t0Seconds/);
    expect(timeStepAt(-0)).toBe(0);
    expect(timeStepAt(8.64e15)).toBe(288_000_000_000);
    expect(generateTotp(SECRET, { nowMs: 8.64e15 })).toMatch(/^[0-9]{6}$/);
  });
});

describe('hostile counters', () => {
  it.each([-1, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_VALUE])('counter = %s is a RangeError', (counter) => {
    expect(() => hotp(SECRET, counter)).toThrow(RangeError);
    expect(() => hotp(SECRET, counter)).toThrow(/counter must be a safe integer from 0 to 2\^53 - 1/);
  });

  it('non-number counters are a TypeError', () => {
    for (const counter of ['1', 1n, null, undefined, {}]) {
      expect(() => hotp(SECRET, counter as unknown as number)).toThrow(TypeError);
    }
  });

  it('the largest safe counter works and differs from its low 32 bits', () => {
    expect(hotp(SECRET, Number.MAX_SAFE_INTEGER)).toMatch(/^[0-9]{6}$/);
    expect(hotp(SECRET, 2 ** 32 + 5)).not.toBe(hotp(SECRET, 5));
  });
});

describe('programmer misuse names the parameter and the allowed range', () => {
  it.each([
    [
      'a string secret',
      () => hotp('12345678901234567890' as unknown as Uint8Array, 0),
      TypeError,
      /secret must be a Uint8Array of 16 to 128 bytes/,
    ],
    ['a plain array secret', () => hotp(Array.from(SECRET) as unknown as Uint8Array, 0), TypeError, /secret/],
    ['a 3-byte secret', () => hotp(new Uint8Array(3), 0), RangeError, /secret must be 16 to 128 bytes long, got 3/],
    ['a 15-byte secret', () => verifyTotp(new Uint8Array(15), VALID, { nowMs: NOW_MS }), RangeError, /secret/],
    ['a 129-byte secret', () => generateTotp(new Uint8Array(129), { nowMs: NOW_MS }), RangeError, /secret/],
    ['digits 9', () => hotp(SECRET, 0, { digits: 9 }), RangeError, /digits must be an integer from 6 to 8, got 9/],
    ['digits 5', () => generateTotp(SECRET, { nowMs: NOW_MS, digits: 5 }), RangeError, /digits/],
    ['digits 6.5', () => verifyTotp(SECRET, VALID, { nowMs: NOW_MS, digits: 6.5 }), RangeError, /digits/],
    ['digits "6"', () => hotp(SECRET, 0, { digits: '6' as unknown as number }), TypeError, /digits/],
    ['algorithm MD5', () => hotp(SECRET, 0, { algorithm: 'MD5' as 'SHA1' }), RangeError, /algorithm must be 'SHA1', 'SHA256' or 'SHA512'/],
    ['algorithm 1', () => hotp(SECRET, 0, { algorithm: 1 as unknown as 'SHA1' }), TypeError, /algorithm/],
    ['periodSeconds 0', () => timeStepAt(NOW_MS, { periodSeconds: 0 }), RangeError, /periodSeconds must be an integer from 1 to 86400/],
    ['periodSeconds 86401', () => generateTotp(SECRET, { nowMs: NOW_MS, periodSeconds: 86_401 }), RangeError, /periodSeconds/],
    ['periodSeconds NaN', () => generateTotp(SECRET, { nowMs: NOW_MS, periodSeconds: Number.NaN }), RangeError, /periodSeconds/],
    ['t0Seconds -1', () => timeStepAt(NOW_MS, { t0Seconds: -1 }), RangeError, /t0Seconds must be an integer from 0/],
    ['t0Seconds 1e300', () => timeStepAt(NOW_MS, { t0Seconds: 1e300 }), RangeError, /t0Seconds/],
    [
      'windowSteps 11',
      () => verifyTotp(SECRET, VALID, { nowMs: NOW_MS, windowSteps: 11 }),
      RangeError,
      /windowSteps must be an integer from 0 to 10/,
    ],
    ['windowSteps -1', () => verifyTotp(SECRET, VALID, { nowMs: NOW_MS, windowSteps: -1 }), RangeError, /windowSteps/],
    ['windowSteps Infinity', () => verifyTotp(SECRET, VALID, { nowMs: NOW_MS, windowSteps: Infinity }), RangeError, /windowSteps/],
    ['options null', () => verifyTotp(SECRET, VALID, null as unknown as { nowMs: number }), TypeError, /options must be an object/],
    ['hmac a string', () => hotp(SECRET, 0, { hmac: 'SHA-1' as unknown as HmacFunction }), TypeError, /hmac must be a function/],
    ['hmac an object', () => verifyTotp(SECRET, VALID, { nowMs: NOW_MS, hmac: {} as unknown as HmacFunction }), TypeError, /hmac/],
    ['options a number', () => hotp(SECRET, 0, 6 as unknown as object), TypeError, /options/],
  ])('%s', (_what, run, errorClass, message) => {
    expect(run).toThrow(errorClass);
    expect(run).toThrow(message);
  });

  it('accepts a Buffer (a Uint8Array subclass) as the secret', () => {
    expect(generateTotp(Buffer.from(SECRET), { nowMs: NOW_MS })).toBe(VALID);
  });
});
