// Tests for Stytch-format IDs: `<kind>-<environment>-<uuid v4>` (RFC 9562 §5.4 layout), from injected randomness.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRandomBytes, type RandomBytes } from '../otp/random';
import { ID_SHAPE, isId, newId, uuidV4, type IdKind } from './ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const KINDS: IdKind[] = ['organization', 'member', 'member-totp', 'member-session', 'request-id'];

describe('IDs', () => {
  it('are Stytch-shaped with a version 4, variant 1 UUID, for any random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = newId('member-totp', 'test', () => bytes);
        expect(id).toMatch(/^member-totp-test-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(isId(id, 'member-totp')).toBe(true);
        expect(isId(id, 'member')).toBe(false);
      }),
    );
  });

  it('keep every random bit but the 6 the version and variant fix (RFC 9562 §5.4)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const hex = uuidV4(() => bytes.slice()).replace(/-/g, '');
        const out = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));
        for (let i = 0; i < 16; i++) {
          const mask = i === 6 ? 0x0f : i === 8 ? 0x3f : 0xff;
          expect(out[i]! & mask).toBe(bytes[i]! & mask);
        }
        expect(out[6]! >> 4).toBe(4);
        expect(out[8]! >> 6).toBe(2);
      }),
    );
  });

  it('use the live prefix in the live environment', () => {
    const id = newId('organization', 'live', defaultRandomBytes);
    expect(id).toMatch(/^organization-live-/);
    expect(isId(id, 'organization')).toBe(true);
  });

  it('are a deterministic function of injected random bytes, which are asked for once, 16 bytes', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(uuidV4(() => bytes.slice())).toBe('00010203-0405-4607-8809-0a0b0c0d0e0f');
    expect(newId('member-session', 'test', () => bytes.slice())).toBe('member-session-test-00010203-0405-4607-8809-0a0b0c0d0e0f');
    const asked: number[] = [];
    const wrapped: RandomBytes = (length) => (asked.push(length), defaultRandomBytes(length));
    expect(uuidV4(wrapped)).toMatch(UUID_V4);
    expect(asked).toEqual([16]);
  });

  it('are distinct from the default source', () => {
    const ids = Array.from({ length: 1000 }, () => newId('member', 'test', defaultRandomBytes));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(isId(id, 'member')).toBe(true);
  });

  it('refuse a random source that returns the wrong thing', () => {
    for (const randomBytes of [
      () => new Uint8Array(15),
      () => new Uint8Array(17),
      () => Array(16).fill(1),
      () => 'x'.repeat(16),
      () => undefined,
    ]) {
      expect(() => uuidV4(randomBytes as unknown as RandomBytes)).toThrow(
        new TypeError('randomBytes(16) must return a Uint8Array of 16 bytes'),
      );
    }
    expect(() => newId('member', 'test', undefined as unknown as RandomBytes)).toThrow(TypeError);
  });

  it('isId rejects non-strings and look-alikes', () => {
    const uuid = uuidV4(defaultRandomBytes);
    for (const bad of [
      undefined,
      null,
      42,
      {},
      'member-test-',
      'member-test-XYZ',
      `member-prod-${uuid}`,
      `member-test-${uuid} `,
      `member-test-${uuid.toUpperCase()}`,
    ]) {
      expect(isId(bad, 'member')).toBe(false);
    }
  });

  it('every kind has a shape no other kind has, and ID_SHAPE recognises all of them', () => {
    for (const kind of KINDS) {
      const id = newId(kind, 'test', defaultRandomBytes);
      expect(KINDS.filter((other) => isId(id, other))).toEqual([kind]);
      expect(ID_SHAPE.test(id)).toBe(true);
    }
  });
});
