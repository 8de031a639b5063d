import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isId, newId, uuidV4 } from './ids';

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

  it('use the live prefix in the live environment', () => {
    expect(newId('organization', 'live')).toMatch(/^organization-live-/);
    expect(isId(newId('organization', 'live'), 'organization')).toBe(true);
  });

  it('refuses a random source that returns the wrong thing', () => {
    expect(() => uuidV4(() => new Uint8Array(15))).toThrow(TypeError);
  });

  it('isId rejects non-strings and look-alikes', () => {
    for (const bad of [undefined, null, 42, {}, 'member-test-', 'member-test-XYZ', `member-prod-${uuidV4()}`, `member-test-${uuidV4()} `]) {
      expect(isId(bad, 'member')).toBe(false);
    }
  });
});
