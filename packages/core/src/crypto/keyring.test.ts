import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import { base64, base64url, base64urlnopad, hex } from '@scure/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertKeyring, createKeyring, decodeKeyMaterial, isKeyring, type KeyInput, type Keyring } from './keyring';

const key32 = (fill: number) => new Uint8Array(32).fill(fill);
const encryptionKeys = (keys: readonly KeyInput[] | undefined) => createKeyring('encryption keys', keys, { exactBytes: 32 });

describe('createKeyring', () => {
  it('makes the first key current and finds every key by id', () => {
    const ring = encryptionKeys([
      { id: 'k2', key: key32(2) },
      { id: 'k1', key: key32(1) },
    ]);
    expect(ring.purpose).toBe('encryption keys');
    expect(ring.current.id).toBe('k2');
    expect(ring.current.key).toEqual(key32(2));
    expect(ring.ids).toEqual(['k2', 'k1']);
    expect(ring.get('k1')).toEqual(key32(1));
    expect(ring.get('k3')).toBeUndefined();
    expect(ring.get(undefined as unknown as string)).toBeUndefined();
  });

  it('copies key bytes in and out, so no caller can change a key in the ring', () => {
    const input = key32(1);
    const ring = encryptionKeys([{ id: 'k1', key: input }]);
    input.fill(0xff);
    ring.get('k1')?.fill(0xee);
    ring.current.key.fill(0xdd);
    expect(ring.get('k1')).toEqual(key32(1));
    expect(ring.current.key).toEqual(key32(1));
    expect(Object.isFrozen(ring)).toBe(true);
    expect(Object.isFrozen(ring.ids)).toBe(true);
  });

  it('shows the purpose and ids, never key bytes, when serialised or printed', () => {
    const key = hex.decode('a1'.repeat(32));
    const ring = encryptionKeys([{ id: 'k1', key }]);
    const views = [
      JSON.stringify(ring),
      JSON.stringify(ring.current),
      JSON.stringify({ ...ring.current }),
      String(ring),
      inspect(ring),
      inspect(ring, { showHidden: true, depth: 5 }),
      inspect(ring.current),
    ];
    for (const view of views) {
      expect(view).not.toMatch(/161|a1a1|oaGh/i); // 0xa1 as decimal, hex, base64
    }
    expect(JSON.parse(JSON.stringify(ring))).toEqual({ purpose: 'encryption keys', ids: ['k1'] });
    expect(JSON.stringify(ring.current)).toBe('{"id":"k1"}');
    expect(String(ring)).toBe('Keyring(encryption keys: k1)');
  });

  it('accepts a Uint8Array from another realm and a Buffer', () => {
    const foreign = runInNewContext('new Uint8Array(32).fill(3)') as Uint8Array;
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(encryptionKeys([{ id: 'k1', key: foreign }]).current.key).toEqual(key32(3));
    expect(encryptionKeys([{ id: 'k1', key: Buffer.alloc(32, 4) }]).current.key).toEqual(key32(4));
  });

  it('names the purpose when the list is missing, empty or not a list', () => {
    expect(() => encryptionKeys(undefined)).toThrow(
      new TypeError('encryption keys are required: pass a list of { id, key } with at least one key'),
    );
    expect(() => encryptionKeys([])).toThrow(new RangeError('encryption keys: at least one key is required'));
    expect(() => encryptionKeys({} as unknown as KeyInput[])).toThrow(TypeError);
    expect(() => encryptionKeys('k1' as unknown as KeyInput[])).toThrow(/encryption keys must be an array/);
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `k${i}`, key: key32(1) }));
    expect(() => encryptionKeys(many)).toThrow(RangeError);
    expect(encryptionKeys(many.slice(0, 100)).ids).toHaveLength(100);
  });

  it('says which key has the wrong length, in bytes', () => {
    expect(() => encryptionKeys([{ id: 'k1', key: new Uint8Array(16) }])).toThrow(
      new RangeError("encryption key 'k1' must be 32 bytes, got 16"),
    );
    expect(() => createKeyring('recovery code pepper', [{ id: 'p1', key: new Uint8Array(16) }], { minBytes: 32 })).toThrow(
      new RangeError("recovery code pepper key 'p1' must be at least 32 bytes, got 16"),
    );
    expect(createKeyring('recovery code pepper', [{ id: 'p1', key: new Uint8Array(64) }], { minBytes: 32 }).current.key).toHaveLength(64);
    expect(() => createKeyring('test keys', [{ id: 'p1', key: new Uint8Array(0) }], {})).toThrow(RangeError);
  });

  it('refuses a key that is not a Uint8Array', () => {
    for (const key of [
      undefined,
      null,
      'a'.repeat(32),
      Array(32).fill(1),
      new Uint16Array(16),
      new ArrayBuffer(32),
      new DataView(new ArrayBuffer(32)),
    ]) {
      expect(() => encryptionKeys([{ id: 'k1', key } as unknown as KeyInput])).toThrow(
        new TypeError("encryption key 'k1' must be a Uint8Array"),
      );
    }
  });

  it('refuses malformed ids without quoting them, and duplicate ids', () => {
    for (const id of ['', 'k 1', 'k/1', 'ключ', 'k:1', 'x'.repeat(65), 'AAAA+/==']) {
      let error: unknown;
      try {
        encryptionKeys([{ id, key: key32(1) }]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe("encryption keys[0].id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
    }
    expect(encryptionKeys([{ id: 'A.b_c-9'.padEnd(64, 'x'), key: key32(1) }]).ids[0]).toHaveLength(64);
    expect(() => encryptionKeys([{ id: 42, key: key32(1) } as unknown as KeyInput])).toThrow(TypeError);
    expect(() =>
      encryptionKeys([
        { id: 'k1', key: key32(1) },
        { id: 'k1', key: key32(2) },
      ]),
    ).toThrow(new RangeError("encryption keys: the id 'k1' is used more than once; ids must be unique"));
  });

  it('reads only own properties of an entry, so a prototype cannot supply a key', () => {
    const entry = Object.create({ key: key32(9) }) as KeyInput;
    entry.id = 'k1';
    expect(() => encryptionKeys([entry])).toThrow(TypeError);
    expect(() => encryptionKeys([null as unknown as KeyInput])).toThrow(
      new TypeError('encryption keys[0] must be an object { id: string, key: Uint8Array }'),
    );
  });

  it('refuses a malformed purpose or rule', () => {
    expect(() => createKeyring('', [{ id: 'k1', key: key32(1) }], {})).toThrow(RangeError);
    expect(() => createKeyring(1 as unknown as string, [{ id: 'k1', key: key32(1) }], {})).toThrow(TypeError);
    expect(() => createKeyring('keys', [{ id: 'k1', key: key32(1) }], null as unknown as object)).toThrow(TypeError);
    for (const bad of [0, -1, 1.5, Number.NaN, '32', 4096]) {
      expect(() => createKeyring('keys', [{ id: 'k1', key: key32(1) }], { exactBytes: bad as number })).toThrow(RangeError);
      expect(() => createKeyring('keys', [{ id: 'k1', key: key32(1) }], { minBytes: bad as number })).toThrow(RangeError);
    }
  });
});

describe('isKeyring and assertKeyring (the misuse check of every function that takes a Keyring)', () => {
  const ring = encryptionKeys([{ id: 'k1', key: key32(1) }]);

  it("accept a ring from createKeyring, and a host's own object of the Keyring shape", () => {
    const host: Keyring = { purpose: 'encryption keys', ids: ['h1'], get: () => key32(7), current: { id: 'h1', key: key32(7) } };
    for (const value of [ring, host]) {
      expect(isKeyring(value)).toBe(true);
      expect(() => assertKeyring(value, 'keyring')).not.toThrow();
    }
  });

  it('refuse anything else with a TypeError that names the parameter', () => {
    const shapes: unknown[] = [
      undefined,
      null,
      'k1',
      [ring],
      {},
      { get: () => undefined, ids: ['k1'] },
      { current: { id: 'k1' }, ids: ['k1'] },
      { current: null, get: () => undefined, ids: ['k1'] },
      { current: { id: 1 }, get: () => undefined, ids: ['k1'] },
      { current: { id: 'k1' }, get: () => undefined },
      { current: { id: 'k1' }, get: () => undefined, ids: 'k1' },
      JSON.parse(JSON.stringify(ring)) as unknown, // what a ring serialises to: purpose and IDs, no key and no get
    ];
    for (const value of shapes) {
      expect(isKeyring(value), String(JSON.stringify(value))).toBe(false);
      expect(() => assertKeyring(value, 'pepper')).toThrow(new TypeError('pepper must be a Keyring (see createKeyring)'));
    }
  });
});

describe('decodeKeyMaterial', () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);

  it('reads exactly 64 hex digits as hex, in either case', () => {
    expect(decodeKeyMaterial(hex.encode(bytes))).toEqual(bytes);
    expect(decodeKeyMaterial(hex.encode(bytes).toUpperCase())).toEqual(bytes);
  });

  it('reads base64 and base64url, padded or not', () => {
    expect(decodeKeyMaterial(base64.encode(bytes))).toEqual(bytes);
    expect(decodeKeyMaterial(base64.encode(bytes).replace(/=+$/, ''))).toEqual(bytes);
    expect(decodeKeyMaterial(base64url.encode(bytes))).toEqual(bytes);
    expect(decodeKeyMaterial(base64urlnopad.encode(bytes))).toEqual(bytes);
  });

  it('honours explicit prefixes, including for text that is all hex digits', () => {
    expect(decodeKeyMaterial('hex:00ff10')).toEqual(Uint8Array.of(0, 255, 16));
    expect(decodeKeyMaterial('HEX:00FF10')).toEqual(Uint8Array.of(0, 255, 16));
    expect(decodeKeyMaterial('base64:deadbeef')).toEqual(base64.decode('deadbeef'));
    expect(decodeKeyMaterial('base64url:_-8')).toEqual(Uint8Array.of(0xff, 0xef));
    expect(decodeKeyMaterial(`base64:${base64.encode(bytes)}`)).toEqual(bytes);
  });

  it('drops surrounding whitespace, as a secret file or env var often has a trailing newline', () => {
    expect(decodeKeyMaterial(`  ${base64.encode(bytes)}\n`)).toEqual(bytes);
    expect(decodeKeyMaterial(`\t${hex.encode(bytes)}\r\n`)).toEqual(bytes);
  });

  it('refuses hex-only text of another length as ambiguous', () => {
    expect(() => decodeKeyMaterial('deadbeef')).toThrow(/ambiguous.*"hex:" or "base64:"/);
    expect(() => decodeKeyMaterial('ab'.repeat(48))).toThrow(TypeError);
  });

  it('refuses malformed text without quoting it', () => {
    const cases = [
      '',
      '   ',
      'hex:',
      'hex:abc',
      'hex:zz',
      'base64:',
      'base64:A',
      'base64:AB=',
      'base64:AB===',
      'AAAA+_',
      'ab cd ef gh',
      'AB%C',
      'base64:AR',
      'QUJD\nREVG',
      'ключ',
    ];
    for (const text of cases) {
      let error: unknown;
      try {
        decodeKeyMaterial(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(text)).toBeInstanceOf(TypeError);
      const payload = text.replace(/^(hex|base64|base64url):/i, '').trim();
      if (payload.length > 3) expect((error as Error).message).not.toContain(payload);
    }
    expect(() => decodeKeyMaterial(undefined as unknown as string)).toThrow(TypeError);
    expect(() => decodeKeyMaterial('A'.repeat(4097))).toThrow(RangeError);
  });

  it('round-trips any bytes through every documented spelling', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 96 }), (value) => {
        expect(decodeKeyMaterial(`hex:${hex.encode(value)}`)).toEqual(value);
        expect(decodeKeyMaterial(`base64:${base64.encode(value)}`)).toEqual(value);
        expect(decodeKeyMaterial(`base64url:${base64urlnopad.encode(value)}`)).toEqual(value);
      }),
    );
  });

  it('feeds createKeyring, as a server reading its keys from the environment does', () => {
    const ring = createKeyring('encryption keys', [{ id: '2026-11', key: decodeKeyMaterial(base64.encode(bytes)) }], { exactBytes: 32 });
    expect(ring.current.key).toEqual(bytes);
  });
});
