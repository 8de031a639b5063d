// For tests only (no shipped module imports it): reads a QR code PNG data URI back with zbarimg (Debian's zbar-tools),
// a real decoder independent of the `qrcode` package that drew it, as a phone camera's reader would.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'data:image/png;base64,';

/** The text of the QR code in `dataUri`, exactly as encoded (binary: no charset guessing), or throws. */
export function decodeQrWithZbar(dataUri: string): string {
  if (!dataUri.startsWith(PREFIX)) throw new Error('not a PNG data URI');
  const dir = mkdtempSync(join(tmpdir(), 'totp-qr-'));
  try {
    const file = join(dir, 'code.png');
    writeFileSync(file, Buffer.from(dataUri.slice(PREFIX.length), 'base64'));
    const out = execFileSync('zbarimg', ['--quiet', '--raw', '-Sbinary', file], { stdio: ['ignore', 'pipe', 'ignore'] });
    // --raw ends the text with one newline of its own.
    return out.toString('utf8').replace(/\n$/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
