// A registration's otpauth URI (Key Uri Format) as the QR code an authenticator app scans, always one that fits:
// the issuer is shortened, in label and parameter alike, only when the whole URI cannot fit in a QR code otherwise.

import { buildOtpauthUri, type OtpauthUriParameters } from './otpauth-uri';
import { qrCodeDataUri } from './qr-code';

/** What shortening leaves at the end of an issuer it cut. */
export const ISSUER_ELLIPSIS = '…';

/**
 * The otpauth URI for `parameters` and its QR code. Every issuer and account name the service accepts fits: first as
 * they are (error correction M, else L); when even level L cannot hold the URI (long names in scripts whose
 * characters take 9 bytes each once percent-encoded), the issuer is cut to the longest prefix, whole code points,
 * that fits with `…` after it. The account name (the member's e-mail address) is never cut: it alone always fits.
 * @throws RangeError when even a one-character issuer does not fit (an account name or secret far beyond what the
 *   service accepts); TypeError/RangeError from `buildOtpauthUri` for invalid parameters.
 */
export function otpauthQrCode(parameters: OtpauthUriParameters): { uri: string; qrCode: string; issuer: string } {
  const fitted = tryFit(parameters, parameters.issuer);
  if (fitted !== null) return fitted;
  const codePoints = Array.from(parameters.issuer);
  // Binary search for the longest prefix that fits: each try makes a QR matrix, and there are few tries.
  let low = 0; // longest prefix known to fit (0: not known to fit at all)
  let high = codePoints.length - 1;
  let best: { uri: string; qrCode: string; issuer: string } | null = null;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const attempt = tryFit(parameters, codePoints.slice(0, middle).join('').trimEnd() + ISSUER_ELLIPSIS);
    if (attempt === null) {
      high = middle - 1;
    } else {
      low = middle;
      best = attempt;
    }
  }
  best ??= tryFit(parameters, ISSUER_ELLIPSIS);
  if (best === null) throw new RangeError('the otpauth URI does not fit in a QR code even with the issuer shortened');
  return best;
}

function tryFit(parameters: OtpauthUriParameters, issuer: string): { uri: string; qrCode: string; issuer: string } | null {
  const uri = buildOtpauthUri({ ...parameters, issuer });
  try {
    return { uri, qrCode: qrCodeDataUri(uri), issuer };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
