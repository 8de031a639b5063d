// The otpauth URI as a QR code image that an authenticator app scans, returned as a PNG data URI (RFC 2397).
// QR Code symbology per ISO/IEC 18004, rendered by the `qrcode` package; error correction level M.

import QRCode from 'qrcode';
import { isWellFormedText } from './internal/encoding-utf8';

/** An otpauth URI with a 128-byte secret and two long encoded names stays well under this; QR version 40-M holds 2331 bytes. */
export const MAX_QR_TEXT_LENGTH = 2048;

/**
 * `data:image/png;base64,…` of a QR code holding `text` as UTF-8 in byte mode.
 * Level M (about 15% of the symbol recoverable) survives a glare or a smudged screen and keeps the symbol small
 * enough to scan from a phone at arm's length; the 4-module quiet zone is the standard's minimum.
 * In browsers `qrcode` draws on a `<canvas>` from `document`, so call it on a page, not in a Web Worker.
 * @throws TypeError when `text` is not a non-empty, well-formed string; RangeError when it is over 2048 characters
 *   or its UTF-8 does not fit in the largest QR code at level M.
 */
export async function qrCodeDataUri(text: string): Promise<string> {
  if (typeof text !== 'string' || text.length === 0) throw new TypeError('text must be a non-empty string');
  if (text.length > MAX_QR_TEXT_LENGTH) {
    throw new RangeError(`text must be at most ${MAX_QR_TEXT_LENGTH} characters long, got ${text.length}`);
  }
  // A lone surrogate would be encoded as U+FFFD, so the scanned text would differ from `text`.
  if (!isWellFormedText(text)) throw new TypeError('text must be well-formed Unicode text (it contains an unpaired surrogate)');
  try {
    return await QRCode.toDataURL(text, { errorCorrectionLevel: 'M', type: 'image/png', margin: 4, scale: 4 });
  } catch (error) {
    if (error instanceof Error && /too big/i.test(error.message)) {
      throw new RangeError('text is too long to fit in a QR code at error correction level M', { cause: error });
    }
    throw error;
  }
}
