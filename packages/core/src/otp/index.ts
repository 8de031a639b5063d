// @totp/core/otp: the building blocks, usable on their own: RFC 4226/6238 codes, secrets, otpauth URIs, QR codes and
// recovery codes. No store, no service; randomness and HMAC default to the platform's Web Crypto and @noble/hashes.

export {
  DEFAULT_ALGORITHM,
  DEFAULT_DIGITS,
  DEFAULT_PERIOD_SECONDS,
  DEFAULT_WINDOW_STEPS,
  generateTotp,
  hotp,
  isWellFormedTotpCode,
  nobleHmac,
  timeStepAt,
  verifyTotp,
  type HmacFunction,
  type TotpAlgorithmName,
  type TotpParameters,
  type TotpVerification,
} from './totp';
export {
  DEFAULT_SECRET_BYTES,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  SecretFormatError,
  decodeSecret,
  encodeSecret,
  generateSecret,
} from './secret';
export {
  OtpauthUriError,
  buildOtpauthUri,
  parseOtpauthUri,
  type OtpauthUriErrorReason,
  type OtpauthUriParameters,
  type ParsedOtpauthUri,
} from './otpauth-uri';
export { qrCodeDataUri } from './qr-code';
export { ISSUER_ELLIPSIS, otpauthQrCode } from './otpauth-qr-code';
export { RECOVERY_CODE_COUNT, generateRecoveryCodes, normalizeRecoveryCode } from './recovery-codes';
export { defaultRandomBytes, type RandomBytes } from './random';
