import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISSUER_ELLIPSIS, otpauthQrCode } from './otpauth-qr-code';
import { parseOtpauthUri } from './otpauth-uri';
import { decodeQrWithZbar } from './qr-decoder.testkit';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** Text provisioning accepts in a name: no control characters, no lone surrogates; from every kind of script. */
const nameUnit = fc.oneof(
  fc.constantFrom('a', 'Z', '7', ' ', '-', '(', '&', '%', ':', '#', '+', '?', '/'),
  fc.integer({ min: 0xa0, max: 0x7ff }).map((c) => String.fromCodePoint(c)), // 2-byte UTF-8 (Latin-1, Greek, Cyrillic …)
  fc.integer({ min: 0x3040, max: 0x9fff }).map((c) => String.fromCodePoint(c)), // 3-byte UTF-8 (kana, CJK)
  fc.integer({ min: 0x1f300, max: 0x1faff }).map((c) => String.fromCodePoint(c)), // 4-byte UTF-8, two UTF-16 units
);
/** A string of `length` UTF-16 units (the length limits are in those units), cut before a split surrogate pair. */
const textOf = (unit: fc.Arbitrary<string>, length: number) =>
  fc.array(unit, { minLength: length, maxLength: length }).map((units) => {
    let text = '';
    for (const u of units) if (text.length + u.length <= length) text += u;
    return text;
  });
/** An e-mail address provisioning accepts: no spaces, controls or extra '@', at most 254 units in all. */
const emailUnit = nameUnit.filter((u) => u !== ' ' && u !== '@');

describe('otpauthQrCode', () => {
  it('keeps the issuer whole when the URI fits, and a QR reader decodes the exact URI', async () => {
    const fitted = await otpauthQrCode({ issuer: 'TOTP (Acme)', accountName: 'a@acme.test', secret: SECRET });
    expect(fitted.issuer).toBe('TOTP (Acme)');
    expect(decodeQrWithZbar(fitted.qrCode)).toBe(fitted.uri);
  });

  it('fits the 110-character Japanese organization name that once made every enrollment fail', async () => {
    const issuer = `TOTP (${'日本語の組織名'.repeat(16).slice(0, 110)})`;
    const fitted = await otpauthQrCode({ issuer, accountName: 'taro@example.jp', secret: SECRET });
    expect(decodeQrWithZbar(fitted.qrCode)).toBe(fitted.uri);
    expect(parseOtpauthUri(fitted.uri)).toMatchObject({ issuer: fitted.issuer, accountName: 'taro@example.jp', secret: SECRET });
  });

  it('fits every project name, organization name and e-mail address of maximum length, in any script', async () => {
    await fc.assert(
      fc.asyncProperty(
        textOf(nameUnit, 100),
        textOf(nameUnit, 128),
        fc.tuple(textOf(emailUnit, 64), textOf(emailUnit, 189)),
        async (project, organization, [local, domain]) => {
          fc.pre(project.trim() !== '' && organization.trim() !== '' && local !== '' && domain !== '' && !project.startsWith(' '));
          const issuer = `${project} (${organization})`;
          const accountName = `${local}@${domain}`;
          const fitted = await otpauthQrCode({ issuer, accountName, secret: SECRET });
          expect(decodeQrWithZbar(fitted.qrCode)).toBe(fitted.uri);
          const parsed = parseOtpauthUri(fitted.uri);
          expect(parsed).toMatchObject({ accountName, secret: SECRET, issuer: fitted.issuer });
          // Whole, or a prefix of whole code points followed by the ellipsis.
          if (fitted.issuer !== issuer) {
            expect(fitted.issuer.endsWith(ISSUER_ELLIPSIS)).toBe(true);
            expect(issuer.startsWith(fitted.issuer.slice(0, -ISSUER_ELLIPSIS.length))).toBe(true);
          }
        },
      ),
      { numRuns: 15, endOnFailure: true },
    );
  }, 120_000);
});
