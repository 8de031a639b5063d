import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyRandomPoolForTesting, systemRandomBytes } from './runtime';

afterEach(() => {
  vi.unstubAllGlobals();
  emptyRandomPoolForTesting();
});

/** Stubs crypto.getRandomValues with the real one, keeping a copy of every array it filled. */
function recordingSource(): { fills: Uint8Array[] } {
  const real = globalThis.crypto;
  const fills: Uint8Array[] = [];
  vi.stubGlobal('crypto', {
    getRandomValues: <T extends ArrayBufferView | null>(array: T): T => {
      real.getRandomValues(array as unknown as Uint8Array<ArrayBuffer>);
      fills.push(Uint8Array.from(array as unknown as Uint8Array));
      return array;
    },
  });
  emptyRandomPoolForTesting();
  return { fills };
}

const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

describe('systemRandomBytes', () => {
  it('returns the requested number of bytes, each a plain array of its own, not a view into a shared pool', () => {
    for (const length of [0, 1, 12, 32, 255, 256, 257, 4096, 65536]) {
      const bytes = systemRandomBytes(length);
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
      expect(bytes.length).toBe(length);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(length);
    }
  });

  it('draws small requests from the CSPRNG in batches: 128 session tokens cost one getRandomValues call', () => {
    const { fills } = recordingSource();
    for (let i = 0; i < 128; i++) systemRandomBytes(32);
    expect(fills).toHaveLength(1);
    systemRandomBytes(32);
    expect(fills).toHaveLength(2);
  });

  it('hands out every byte of the source at most once, in order, and never the rest of a batch it skipped', () => {
    const { fills } = recordingSource();
    // 20 × 200 bytes use 4000 of the first 4096; the 21st does not fit, so the 96 left over are dropped.
    const out = Array.from({ length: 22 }, () => systemRandomBytes(200));
    expect(fills).toHaveLength(2);
    const [first, second] = fills as [Uint8Array, Uint8Array];
    expect(concat(out.slice(0, 20))).toEqual(first.subarray(0, 4000));
    expect(concat(out.slice(20))).toEqual(second.subarray(0, 400));
  });

  it('does not change what it handed out when the caller wipes one result or the pool moves on', () => {
    const a = systemRandomBytes(32);
    const copy = Uint8Array.from(a);
    const b = systemRandomBytes(32);
    const bCopy = Uint8Array.from(b);
    a.fill(0);
    for (let i = 0; i < 300; i++) systemRandomBytes(32);
    expect(b).toEqual(bCopy);
    expect(copy).not.toEqual(bCopy);
  });

  it('sends large and malformed requests straight to the source, with its errors', () => {
    const { fills } = recordingSource();
    expect(systemRandomBytes(1000)).toEqual(fills[0]);
    expect(() => systemRandomBytes(-1)).toThrow();
    expect(() => systemRandomBytes(1.5)).toThrow();
    expect(() => systemRandomBytes(65537)).toThrow();
  });

  it('fails as before where there is no crypto.getRandomValues', () => {
    vi.stubGlobal('crypto', undefined);
    emptyRandomPoolForTesting();
    expect(() => systemRandomBytes(32)).toThrow('crypto.getRandomValues must be defined');
  });
});
