import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import {
  OtpauthUriError,
  buildOtpauthUri,
  parseOtpauthUri,
  type OtpauthUriErrorReason,
  type OtpauthUriParameters,
  type ParsedOtpauthUri,
} from './otpauth-uri';

const SECRET = 'JBSWY3DPEHPK3PXP';
const TAIL = '&algorithm=SHA1&digits=6&period=30';

function reasonOf(action: () => unknown): OtpauthUriErrorReason | 'no error' | 'other error' {
  try {
    action();
    return 'no error';
  } catch (error) {
    return error instanceof OtpauthUriError ? error.reason : 'other error';
  }
}

function withDefaults(parameters: OtpauthUriParameters): ParsedOtpauthUri {
  return {
    type: 'totp',
    issuer: parameters.issuer,
    accountName: parameters.accountName,
    secret: parameters.secret,
    algorithm: parameters.algorithm ?? 'SHA1',
    digits: parameters.digits ?? 6,
    periodSeconds: parameters.periodSeconds ?? 30,
  };
}

describe('buildOtpauthUri', () => {
  it('writes the Key Uri Format with the issuer in label and parameter, and the parameters in a fixed order', () => {
    expect(buildOtpauthUri({ issuer: 'Example', accountName: 'alice@google.com', secret: SECRET })).toBe(
      `otpauth://totp/Example:alice%40google.com?secret=${SECRET}&issuer=Example${TAIL}`,
    );
  });

  it('encodes a space as %20, never +', () => {
    expect(buildOtpauthUri({ issuer: 'ACME Co', accountName: 'john doe', secret: SECRET })).toBe(
      `otpauth://totp/ACME%20Co:john%20doe?secret=${SECRET}&issuer=ACME%20Co${TAIL}`,
    );
  });

  it('encodes a colon inside issuer or account as %3A, so the one literal colon separates them', () => {
    expect(buildOtpauthUri({ issuer: 'Big:Corp', accountName: 'a:b', secret: SECRET })).toBe(
      `otpauth://totp/Big%3ACorp:a%3Ab?secret=${SECRET}&issuer=Big%3ACorp${TAIL}`,
    );
  });

  it('encodes every reserved character and leaves only unreserved ones literal', () => {
    expect(buildOtpauthUri({ issuer: "A&B=C+D/E?F#G%H!'()*,;$[]@", accountName: 'x-y.z_~9', secret: SECRET })).toBe(
      `otpauth://totp/A%26B%3DC%2BD%2FE%3FF%23G%25H%21%27%28%29%2A%2C%3B%24%5B%5D%40:x-y.z_~9?secret=${SECRET}` +
        `&issuer=A%26B%3DC%2BD%2FE%3FF%23G%25H%21%27%28%29%2A%2C%3B%24%5B%5D%40${TAIL}`,
    );
  });

  it('encodes Unicode as the %XX escapes of its UTF-8 bytes', () => {
    expect(buildOtpauthUri({ issuer: 'Société 🔐', accountName: 'ёж@пример.рф', secret: SECRET })).toBe(
      'otpauth://totp/Soci%C3%A9t%C3%A9%20%F0%9F%94%90:%D1%91%D0%B6%40%D0%BF%D1%80%D0%B8%D0%BC%D0%B5%D1%80.%D1%80%D1%84' +
        `?secret=${SECRET}&issuer=Soci%C3%A9t%C3%A9%20%F0%9F%94%90${TAIL}`,
    );
  });

  it("writes the service's default issuer form and non-default parameters", () => {
    expect(
      buildOtpauthUri({
        issuer: 'TOTP (Acme, Inc.)',
        accountName: 'a@acme.test',
        secret: 'GEZDGNBV',
        algorithm: 'SHA512',
        digits: 8,
        periodSeconds: 60,
      }),
    ).toBe(
      'otpauth://totp/TOTP%20%28Acme%2C%20Inc.%29:a%40acme.test?secret=GEZDGNBV&issuer=TOTP%20%28Acme%2C%20Inc.%29&algorithm=SHA512&digits=8&period=60',
    );
  });

  it('refuses misuse with TypeError or RangeError naming the parameter', () => {
    const ok: OtpauthUriParameters = { issuer: 'Example', accountName: 'alice', secret: SECRET };
    const cases: [Partial<Record<keyof OtpauthUriParameters, unknown>>, ErrorConstructor, RegExp][] = [
      [{ issuer: '' }, RangeError, /^issuer must be 1 to 256 characters long$/],
      [{ issuer: 'x'.repeat(257) }, RangeError, /issuer/],
      [{ accountName: '🔐'.repeat(257) }, RangeError, /accountName/],
      [{ issuer: 7 }, TypeError, /issuer must be a string/],
      [{ accountName: undefined }, TypeError, /accountName/],
      [{ accountName: 'a\uD800' }, TypeError, /unpaired surrogate/],
      [{ issuer: '\uDC00x' }, TypeError, /unpaired surrogate/],
      [{ accountName: ' alice' }, TypeError, /must not start with a space/],
      [{ secret: '' }, TypeError, /secret/],
      [{ secret: 'jbswy3dp' }, TypeError, /upper-case base32/],
      [{ secret: 'JBSWY3DP====' }, TypeError, /padding/],
      [{ secret: 'JBSW 3DP' }, TypeError, /secret/],
      [{ algorithm: 'MD5' }, RangeError, /algorithm must be one of SHA1, SHA256, SHA512/],
      [{ algorithm: 'sha1' }, RangeError, /algorithm/],
      [{ digits: 5 }, RangeError, /digits must be an integer from 6 to 8, got 5/],
      [{ digits: 9 }, RangeError, /digits/],
      [{ digits: 6.5 }, RangeError, /digits/],
      [{ digits: '6' }, TypeError, /digits/],
      [{ periodSeconds: 0 }, RangeError, /periodSeconds must be a positive integer/],
      [{ periodSeconds: Number.NaN }, RangeError, /periodSeconds/],
      [{ periodSeconds: 2 ** 53 }, RangeError, /periodSeconds/],
    ];
    for (const [change, type, message] of cases) {
      const action = () => buildOtpauthUri({ ...ok, ...change } as OtpauthUriParameters);
      expect(action, JSON.stringify(change)).toThrow(type);
      expect(action).toThrow(message);
    }
    expect(buildOtpauthUri({ ...ok, issuer: '🔐'.repeat(256) })).toContain('%F0%9F%94%90');
    expect(() => buildOtpauthUri(null as unknown as OtpauthUriParameters)).toThrow(TypeError);
  });
});

describe('parseOtpauthUri', () => {
  it('reads the Key Uri Format example', () => {
    expect(parseOtpauthUri(`otpauth://totp/Example:alice@google.com?secret=${SECRET}&issuer=Example`)).toEqual({
      type: 'totp',
      issuer: 'Example',
      accountName: 'alice@google.com',
      secret: SECRET,
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
    });
  });

  it('reads the non-default parameters, case-insensitively, and normalises the secret', () => {
    expect(parseOtpauthUri('OTPAUTH://TOTP/Acme:bob?SECRET=gezdgnbv%3D%3D&Algorithm=sha256&DIGITS=8&period=60&image=x')).toEqual({
      type: 'totp',
      issuer: 'Acme',
      accountName: 'bob',
      secret: 'GEZDGNBV',
      algorithm: 'SHA256',
      digits: 8,
      periodSeconds: 60,
    });
  });

  it('splits the label on the first literal colon, and on %3A only when there is none', () => {
    expect(parseOtpauthUri(`otpauth://totp/Big%3ACorp:a%3Ab?secret=${SECRET}`)).toMatchObject({ issuer: 'Big:Corp', accountName: 'a:b' });
    expect(parseOtpauthUri(`otpauth://totp/Acme%3Aalice?secret=${SECRET}`)).toMatchObject({ issuer: 'Acme', accountName: 'alice' });
    expect(parseOtpauthUri(`otpauth://totp/Acme:alice:smith?secret=${SECRET}`)).toMatchObject({
      issuer: 'Acme',
      accountName: 'alice:smith',
    });
    expect(parseOtpauthUri(`otpauth://totp/alice?secret=${SECRET}`)).toMatchObject({ issuer: '', accountName: 'alice' });
  });

  it('drops spaces before the account name, literal or encoded, as the format allows', () => {
    expect(parseOtpauthUri(`otpauth://totp/Acme: alice?secret=${SECRET}`)).toMatchObject({ accountName: 'alice' });
    expect(parseOtpauthUri(`otpauth://totp/Acme:%20%20alice%20?secret=${SECRET}`)).toMatchObject({ accountName: 'alice ' });
  });

  it('takes the issuer from the parameter, else from the label', () => {
    expect(parseOtpauthUri(`otpauth://totp/alice?secret=${SECRET}&issuer=Acme`)).toMatchObject({ issuer: 'Acme', accountName: 'alice' });
    expect(parseOtpauthUri(`otpauth://totp/Acme:alice?secret=${SECRET}&issuer=`)).toMatchObject({ issuer: 'Acme' });
    expect(parseOtpauthUri(`otpauth://totp/:alice?secret=${SECRET}&issuer=Acme`)).toMatchObject({ issuer: 'Acme', accountName: 'alice' });
  });

  it("reads '+' as a plus sign (RFC 3986), not as a space (HTML forms)", () => {
    expect(parseOtpauthUri(`otpauth://totp/A+B:c+d?secret=${SECRET}&issuer=A+B`)).toMatchObject({ issuer: 'A+B', accountName: 'c+d' });
  });

  it('reads a URI written by the otpauth library, and the otpauth library reads ours', () => {
    const theirs = new OTPAuth.TOTP({
      issuer: 'ACME Co',
      label: 'john.doe@email.com',
      secret: OTPAuth.Secret.fromBase32(SECRET),
      digits: 8,
      period: 45,
      algorithm: 'SHA512',
    });
    expect(parseOtpauthUri(theirs.toString())).toEqual({
      type: 'totp',
      issuer: 'ACME Co',
      accountName: 'john.doe@email.com',
      secret: SECRET,
      algorithm: 'SHA512',
      digits: 8,
      periodSeconds: 45,
    });
    const ours = buildOtpauthUri({
      issuer: 'Société & Co',
      accountName: 'élise+1@example.com',
      secret: SECRET,
      algorithm: 'SHA256',
      digits: 7,
      periodSeconds: 20,
    });
    const parsed = OTPAuth.URI.parse(ours) as OTPAuth.TOTP;
    expect([parsed.issuer, parsed.label, parsed.secret.base32, parsed.algorithm, parsed.digits, parsed.period]).toEqual([
      'Société & Co',
      'élise+1@example.com',
      SECRET,
      'SHA256',
      7,
      20,
    ]);
  });

  it('throws OtpauthUriError with a reason for each malformed URI', () => {
    const cases: [unknown, OtpauthUriErrorReason][] = [
      [42, 'not_a_string'],
      [null, 'not_a_string'],
      [`otpauth://totp/a:b?secret=${'A'.repeat(8192)}`, 'too_long'],
      ['https://totp/a:b?secret=AAAA', 'wrong_scheme'],
      ['otpauth:/totp/a:b?secret=AAAA', 'wrong_scheme'],
      ['otpauth://hotp/a:b?secret=AAAA&counter=0', 'unsupported_type'],
      ['otpauth://xotp/a:b?secret=AAAA', 'unsupported_type'],
      ['otpauth://?secret=AAAA', 'unsupported_type'],
      ['otpauth://totp?secret=AAAA', 'missing_label'],
      ['otpauth://totp/?secret=AAAA', 'missing_label'],
      ['otpauth://totp/Acme:?secret=AAAA', 'missing_account_name'],
      ['otpauth://totp/Acme:%20%20?secret=AAAA', 'missing_account_name'],
      ['otpauth://totp/a:b', 'missing_secret'],
      ['otpauth://totp/a:b?secret=', 'missing_secret'],
      ['otpauth://totp/a:b?issuer=a', 'missing_secret'],
      ['otpauth://totp/a:b?secret=AB1C', 'invalid_secret'],
      ['otpauth://totp/a:b?secret=AB=C', 'invalid_secret'],
      ['otpauth://totp/a:b?secret=%C4%B1', 'invalid_secret'], // dotless ı, which toUpperCase() would make I
      ['otpauth://totp/a%ZZ:b?secret=AAAA', 'bad_percent_encoding'],
      ['otpauth://totp/a:b%E0%A4?secret=AAAA', 'bad_percent_encoding'],
      ['otpauth://totp/a:b?secret=AAAA&issuer=%', 'bad_percent_encoding'],
      ['otpauth://totp/a:b?secret=AAAA&issuer=%ED%A0%80', 'bad_percent_encoding'], // an encoded lone surrogate
      ['otpauth://totp/Acme:b?secret=AAAA&issuer=Other', 'issuer_mismatch'],
      ['otpauth://totp/Acme:b?secret=AAAA&issuer=acme', 'issuer_mismatch'],
      ['otpauth://totp/a:b?secret=AAAA&secret=BBBB', 'duplicate_parameter'],
      ['otpauth://totp/a:b?secret=AAAA&digits=6&DIGITS=6', 'duplicate_parameter'],
      ['otpauth://totp/a:b?secret=AAAA&algorithm=MD5', 'unsupported_algorithm'],
      ['otpauth://totp/a:b?secret=AAAA&algorithm=', 'unsupported_algorithm'],
      ['otpauth://totp/a:b?secret=AAAA&digits=5', 'invalid_digits'],
      ['otpauth://totp/a:b?secret=AAAA&digits=9', 'invalid_digits'],
      ['otpauth://totp/a:b?secret=AAAA&digits=6.0', 'invalid_digits'],
      ['otpauth://totp/a:b?secret=AAAA&digits=%D9%A6', 'invalid_digits'], // Arabic-Indic six
      ['otpauth://totp/a:b?secret=AAAA&period=0', 'invalid_period'],
      ['otpauth://totp/a:b?secret=AAAA&period=-30', 'invalid_period'],
      ['otpauth://totp/a:b?secret=AAAA&period=1e3', 'invalid_period'],
      ['otpauth://totp/a:b?secret=AAAA&period=%2030', 'invalid_period'],
      ['otpauth://totp/a:b?secret=AAAA&period=99999999999999999', 'invalid_period'],
      ['otpauth://totp/a:b?secret=AAAA#fragment', 'malformed'],
      ['otpauth://totp/a#b:c?secret=AAAA', 'malformed'],
      ['otpauth://totp/a\uD800:b?secret=AAAA', 'malformed'],
    ];
    for (const [uri, reason] of cases)
      expect(
        reasonOf(() => parseOtpauthUri(uri as string)),
        String(uri),
      ).toBe(reason);
  });

  it('names the error and says what to fix', () => {
    try {
      parseOtpauthUri('otpauth://totp/Acme:b?secret=AAAA&issuer=Other');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OtpauthUriError);
      expect(error).toBeInstanceOf(Error);
      expect((error as OtpauthUriError).name).toBe('OtpauthUriError');
      expect((error as OtpauthUriError).message).toBe('the issuer in the label differs from the "issuer" parameter');
    }
  });
});

describe('build → parse round trip', () => {
  const special = fc.constantFrom(
    ' ',
    ':',
    '&',
    '%',
    '#',
    '+',
    '=',
    '/',
    '?',
    '@',
    '%3A',
    '%20',
    '+%2B',
    'é',
    '🔐',
    '漢',
    '\u0000',
    '\n',
    '\u200B',
    '\u{10FFFF}',
  );
  const name = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    fc.array(fc.oneof(special, fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')),
  );
  const parameters: fc.Arbitrary<OtpauthUriParameters> = fc
    .record(
      {
        issuer: name,
        accountName: name.map((account) => account.replace(/^ +/, '')),
        secret: fc.stringMatching(/^[A-Z2-7]{1,64}$/),
        algorithm: fc.constantFrom('SHA1', 'SHA256', 'SHA512'),
        digits: fc.integer({ min: 6, max: 8 }),
        periodSeconds: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      },
      { requiredKeys: ['issuer', 'accountName', 'secret'] },
    )
    .filter(
      (p) =>
        p.issuer.length > 0 &&
        p.accountName.length > 0 &&
        [...p.issuer].length <= 256 &&
        [...p.accountName].length <= 256 &&
        !/\p{Cs}/u.test(p.issuer + p.accountName),
    );

  it('parse(build(p)) equals p with defaults, for any issuer and account', () => {
    fc.assert(
      fc.property(parameters, (p) => {
        expect(parseOtpauthUri(buildOtpauthUri(p))).toEqual(withDefaults(p));
      }),
      { numRuns: 1000 },
    );
  });

  it('the URI holds only unreserved characters, %XX escapes and its own delimiters', () => {
    fc.assert(
      fc.property(parameters, (p) => {
        const uri = buildOtpauthUri(p);
        expect(uri).toMatch(
          /^otpauth:\/\/totp\/[A-Za-z0-9\-._~%]+:[A-Za-z0-9\-._~%]+\?secret=[A-Z2-7]+&issuer=[A-Za-z0-9\-._~%]+&algorithm=SHA(1|256|512)&digits=[678]&period=[0-9]+$/,
        );
        expect(uri.match(/:/g)).toHaveLength(2); // the scheme's and the label separator
      }),
    );
  });
});

describe('hostile input', () => {
  it('parse throws nothing but OtpauthUriError, for any value', () => {
    const values: unknown[] = [
      undefined,
      Number.NaN,
      {},
      [],
      Symbol('uri'),
      10n,
      { toString: () => 'otpauth://totp/a:b?secret=AAAA' },
      'x'.repeat(10_000_000),
    ];
    for (const value of values) expect(reasonOf(() => parseOtpauthUri(value as string))).not.toMatch(/no error|other error/);
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(reasonOf(() => parseOtpauthUri(value as string))).not.toBe('other error');
      }),
    );
  });

  it('parse throws nothing but OtpauthUriError, for any text after the scheme', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .array(
          fc.constantFrom(
            'totp',
            '/',
            ':',
            '?',
            '&',
            '=',
            '%',
            '%3A',
            '%E0',
            'secret',
            'issuer',
            'digits',
            'period',
            'algorithm',
            '__proto__',
            'constructor',
            'AAAA',
            '6',
            '-1',
            'SHA1',
            '#',
            '\uD800',
          ),
          { maxLength: 20 },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (rest) => {
        for (const uri of [`otpauth://${rest}`, `otpauth://totp/${rest}`, `otpauth://totp/a:b?secret=AAAA&${rest}`]) {
          expect(reasonOf(() => parseOtpauthUri(uri))).not.toBe('other error');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('parameter names such as __proto__ are plain strings', () => {
    expect(parseOtpauthUri('otpauth://totp/a:b?__proto__=x&constructor=y&secret=AAAA')).toMatchObject({ secret: 'AAAA' });
    expect(reasonOf(() => parseOtpauthUri('otpauth://totp/a:b?secret=AAAA&__proto__=1&__proto__=2'))).toBe('duplicate_parameter');
  });

  it('build throws only TypeError or RangeError, and reads only own properties', () => {
    const values: unknown[] = [
      undefined,
      null,
      'uri',
      1,
      [],
      {},
      JSON.parse('{"__proto__": {"issuer": "a", "accountName": "b", "secret": "AAAA"}}'),
      Object.create({ issuer: 'a', accountName: 'b', secret: 'AAAA' }),
    ];
    for (const value of values) {
      let error: unknown;
      try {
        buildOtpauthUri(value as OtpauthUriParameters);
      } catch (caught) {
        error = caught;
      }
      expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
    }
    fc.assert(
      fc.property(
        fc.record(
          {
            issuer: fc.anything(),
            accountName: fc.anything(),
            secret: fc.anything(),
            digits: fc.anything(),
            periodSeconds: fc.anything(),
            algorithm: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (value) => {
          try {
            buildOtpauthUri(value as OtpauthUriParameters);
          } catch (error) {
            expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
          }
        },
      ),
    );
  });
});
