// The otpauth URI as a QR code image that an authenticator app scans, returned as a PNG data URI (RFC 2397).
// QR Code symbology per ISO/IEC 18004, rendered by the `qrcode` package; error correction level M, else L.

import QRCode from 'qrcode';
import { isWellFormedText } from './internal/encoding-utf8';

/**
 * The longest text tried: a version-40 QR code holds at most 7089 characters (digits only); anything longer cannot fit,
 * so it is refused before any work is done.
 */
export const MAX_QR_TEXT_LENGTH = 7089;

/** Error correction levels, most robust first: M (about 15% of the symbol recoverable), then L (about 7%). */
const LEVELS = ['M', 'L'] as const;

/**
 * `data:image/png;base64,…` of a QR code holding `text` (non-ASCII as UTF-8). Level M survives a glare or a smudged
 * screen and keeps the symbol small enough to scan from a phone at arm's length; a text too long for level M in a
 * version-40 symbol gets level L, which holds about a quarter more. The `qrcode` package picks the version and the
 * segment modes (byte, alphanumeric, numeric). The 4-module quiet zone is the standard's minimum.
 * In browsers `qrcode` draws on a `<canvas>` from `document`, so call it on a page, not in a Web Worker.
 * @throws TypeError when `text` is not a non-empty, well-formed string; RangeError when it does not fit in the
 *   largest QR code even at level L.
 */
export async function qrCodeDataUri(text: string): Promise<string> {
  if (typeof text !== 'string' || text.length === 0) throw new TypeError('text must be a non-empty string');
  if (text.length > MAX_QR_TEXT_LENGTH) {
    throw new RangeError(`text must be at most ${MAX_QR_TEXT_LENGTH} characters long, got ${text.length}`);
  }
  // A lone surrogate would be encoded as U+FFFD, so the scanned text would differ from `text`.
  if (!isWellFormedText(text)) throw new TypeError('text must be well-formed Unicode text (it contains an unpaired surrogate)');
  for (const errorCorrectionLevel of LEVELS) {
    try {
      return await QRCode.toDataURL(text, { errorCorrectionLevel, type: 'image/png', margin: 4, scale: 4 });
    } catch (error) {
      if (!(error instanceof Error && /too big/i.test(error.message))) throw error;
      if (errorCorrectionLevel === 'L') throw new RangeError('text is too long to fit in a QR code', { cause: error });
    }
  }
  throw new Error('unreachable');
}
