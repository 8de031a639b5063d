// The otpauth URI as a QR code image that an authenticator app scans, returned as a PNG data URI (RFC 2397).
// QR Code symbology per ISO/IEC 18004 (the matrix from the `qrcode` package), drawn as a 1-bit PNG (RFC 2083).

import { base64 } from '@scure/base';
import { zlibSync } from 'fflate';
import QRCode from 'qrcode';

/**
 * The longest text tried: a version-40 QR code holds at most 7089 characters (digits only); anything longer cannot fit,
 * so it is refused before any work is done.
 */
export const MAX_QR_TEXT_LENGTH = 7089;
/** Pixels per module, and the quiet zone around the symbol in modules (ISO/IEC 18004's minimum is 4). */
export const QR_SCALE = 4;
export const QR_MARGIN = 4;

/** Error correction levels, most robust first: M (about 15% of the symbol recoverable), then L (about 7%). */
const LEVELS = ['M', 'L'] as const;

/**
 * `data:image/png;base64,…` of a QR code holding `text` (non-ASCII as UTF-8). Level M survives a glare or a smudged
 * screen and keeps the symbol small enough to scan from a phone at arm's length; a text too long for level M in a
 * version-40 symbol gets level L, which holds about a quarter more. The `qrcode` package picks the version and the
 * segment modes (byte, alphanumeric, numeric). The image is black and white, so it is a 1-bit grayscale PNG:
 * 4 pixels per module with a 4-module quiet zone. Pure JavaScript: it runs in browsers and workers alike.
 * @throws TypeError when `text` is not a non-empty, well-formed string; RangeError when it does not fit in the
 *   largest QR code even at level L.
 */
export function qrCodeDataUri(text: string): string {
  if (typeof text !== 'string' || text.length === 0) throw new TypeError('text must be a non-empty string');
  if (text.length > MAX_QR_TEXT_LENGTH) {
    throw new RangeError(`text must be at most ${MAX_QR_TEXT_LENGTH} characters long, got ${text.length}`);
  }
  // With the `u` flag a surrogate pair is one code point, so only unpaired halves match.
  if (/\p{Cs}/u.test(text)) throw new TypeError('text must be well-formed Unicode text (it contains an unpaired surrogate)');
  for (const errorCorrectionLevel of LEVELS) {
    let modules: { size: number; data: Uint8Array };
    try {
      modules = QRCode.create(text, { errorCorrectionLevel }).modules;
    } catch (error) {
      if (!(error instanceof Error && /too big/i.test(error.message))) throw error;
      if (errorCorrectionLevel === 'L') throw new RangeError('text is too long to fit in a QR code', { cause: error });
      continue;
    }
    return `data:image/png;base64,${base64.encode(png(modules))}`;
  }
  throw new Error('unreachable');
}

/** The PNG of a QR matrix (`data[row * size + column]`, 1 for a dark module): one bit a pixel, 1 being white. */
function png(modules: { size: number; data: Uint8Array }): Uint8Array {
  const { size, data } = modules;
  const side = (size + 2 * QR_MARGIN) * QR_SCALE;
  const rowBytes = 1 + Math.ceil(side / 8); // a filter-type byte (0: none), then the pixels
  const raw = new Uint8Array(rowBytes * side);
  // Each row of modules makes one line of pixels, repeated QR_SCALE times.
  for (let row = -QR_MARGIN; row < size + QR_MARGIN; row++) {
    const line = new Uint8Array(rowBytes);
    for (let x = 0; x < side; x++) {
      const column = Math.floor(x / QR_SCALE) - QR_MARGIN;
      const dark = row >= 0 && row < size && column >= 0 && column < size && data[row * size + column] === 1;
      if (!dark) line[1 + (x >> 3)]! |= 0x80 >> (x & 7);
    }
    for (let copy = 0; copy < QR_SCALE; copy++) raw.set(line, ((row + QR_MARGIN) * QR_SCALE + copy) * rowBytes);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, side);
  view.setUint32(4, side);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filtering, no interlace
  return concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', zlibSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG chunk: length, type, data, and the CRC-32 of type and data (RFC 2083 §3.2). */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** CRC-32 as PNG and zlib's gzip use it (ISO 3309, the reflected polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
