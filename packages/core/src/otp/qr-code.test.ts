import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { buildOtpauthUri } from './otpauth-uri';
import QRCode from 'qrcode';
import { qrCodeDataUri } from './qr-code';
import { decodeQrWithZbar } from './qr-decoder.testkit';

const PREFIX = 'data:image/png;base64,';

/** Reads the QR code back with a real decoder, as a phone camera would. */
function decode(dataUri: string): string | null {
  expect(dataUri.startsWith(PREFIX)).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUri.slice(PREFIX.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data ?? null;
}

describe('qrCodeDataUri', () => {
  it('encodes an otpauth URI that a QR reader decodes back exactly (ASCII issuer)', async () => {
    const uri = buildOtpauthUri({
      issuer: 'TOTP (Acme, Inc.)',
      accountName: 'alice@acme.test',
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    });
    const dataUri = await qrCodeDataUri(uri);
    expect(dataUri).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(decode(dataUri)).toBe(uri);
  });

  it('encodes an otpauth URI with a Unicode issuer and account that a QR reader decodes back exactly', async () => {
    const uri = buildOtpauthUri({
      issuer: 'Société Générale 🔐 東京',
      accountName: 'ёлка@пример.рф',
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    });
    expect(decode(await qrCodeDataUri(uri))).toBe(uri);
  });

  it('encodes raw Unicode text as UTF-8', async () => {
    const text = 'Grüße, 世界 🔐';
    expect(decode(await qrCodeDataUri(text))).toBe(text);
  });

  it('draws every module of the QR matrix as 4×4 pixels, in a 1-bit PNG with a 4-module quiet zone, that zbarimg reads', () => {
    const uri = buildOtpauthUri({ issuer: 'TOTP (Acme)', accountName: 'ada@acme.test', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' });
    const dataUri = qrCodeDataUri(uri);
    const bytes = Buffer.from(dataUri.slice(PREFIX.length), 'base64');
    // IHDR: bit depth 1, colour type 0 (grayscale).
    expect([bytes[24], bytes[25]]).toEqual([1, 0]);
    const { modules } = QRCode.create(uri, { errorCorrectionLevel: 'M' });
    const png = PNG.sync.read(bytes);
    expect(png.width).toBe((modules.size + 8) * 4);
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const row = Math.floor(y / 4) - 4;
        const column = Math.floor(x / 4) - 4;
        const dark =
          row >= 0 && row < modules.size && column >= 0 && column < modules.size && modules.data[row * modules.size + column] === 1;
        expect(png.data[(y * png.width + x) * 4]).toBe(dark ? 0 : 255);
      }
    }
    expect(decodeQrWithZbar(dataUri)).toBe(uri);
  });

  it('is a PNG whose quiet zone is at least 4 modules', async () => {
    const dataUri = await qrCodeDataUri('otpauth://totp/a:b?secret=AAAA');
    const png = PNG.sync.read(Buffer.from(dataUri.slice(PREFIX.length), 'base64'));
    expect(png.width).toBe(png.height);
    // scale 4 px per module × margin 4 modules: the first 16 rows are all white.
    const firstRows = png.data.subarray(0, png.width * 16 * 4);
    expect(firstRows.every((byte) => byte === 255)).toBe(true);
  });

  it('takes level M while the text fits in it, and level L (a quarter more) beyond', async () => {
    // Version 40 in byte mode holds 2331 bytes at level M and 2953 at level L.
    const atM = `otpauth://totp/a:b?secret=${'a'.repeat(2331 - 26)}`;
    const atL = `otpauth://totp/a:b?secret=${'a'.repeat(2953 - 26)}`;
    const levelOf = async (text: string) => {
      const dataUri = await qrCodeDataUri(text);
      expect(decode(dataUri)).toBe(text);
      return PNG.sync.read(Buffer.from(dataUri.slice(PREFIX.length), 'base64')).width;
    };
    // Both are version 40 (177 modules + 2 × 4 quiet zone, 4 px each): the larger text got the weaker level.
    expect(await levelOf(atM)).toBe((177 + 8) * 4);
    expect(await levelOf(atL)).toBe((177 + 8) * 4);
  });

  it('refuses a non-string or empty text with TypeError', async () => {
    for (const text of [undefined, null, 42, {}, ['x'], '']) {
      expect(() => qrCodeDataUri(text as string)).toThrow(TypeError);
    }
    expect(() => qrCodeDataUri('a\uD800b')).toThrow(/unpaired surrogate/);
  });

  it('refuses text that fits no QR code, even at level L, with RangeError', async () => {
    expect(() => qrCodeDataUri('A'.repeat(7090))).toThrow(new RangeError('text must be at most 7089 characters long, got 7090'));
    expect(() => qrCodeDataUri('x'.repeat(10_000_000))).toThrow(RangeError);
    expect(() => qrCodeDataUri(`otpauth://totp/a:b?secret=${'a'.repeat(2953 - 25)}`)).toThrow(/too long to fit in a QR code/);
    expect(() => qrCodeDataUri('€'.repeat(2000))).toThrow(/too long to fit in a QR code/);
  });
});
