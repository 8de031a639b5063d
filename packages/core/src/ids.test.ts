import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isId, newId, uuidV4 } from './ids';
import { emptyRandomPoolForTesting, systemRandomBytes } from './runtime';

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

  it('are a deterministic function of injected random bytes', () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(uuidV4(() => bytes)).toBe('00010203-0405-4607-8809-0a0b0c0d0e0f');
    expect(newId('member-session', 'test', () => bytes)).toBe('member-session-test-00010203-0405-4607-8809-0a0b0c0d0e0f');
    let calls = 0;
    const wrapped = (length: number) => (calls++, systemRandomBytes(length));
    expect(uuidV4(wrapped)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(calls).toBe(1);
  });

  describe('with the system source', () => {
    afterEach(() => {
      vi.restoreAllMocks();
      vi.unstubAllGlobals();
    });

    it("take the platform's randomUUID, which has the same format", () => {
      const randomUUID = vi.spyOn(globalThis.crypto, 'randomUUID');
      const id = newId('member-session', 'test');
      expect(randomUUID).toHaveBeenCalledTimes(1);
      expect(id).toBe(`member-session-test-${randomUUID.mock.results[0]?.value as string}`);
      expect(id).toMatch(/^member-session-test-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidV4(systemRandomBytes)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(randomUUID).toHaveBeenCalledTimes(2);
    });

    it('format 16 bytes of the system source where there is no randomUUID (an insecure browser context)', () => {
      const real = globalThis.crypto;
      let calls = 0;
      const getRandomValues = (array: Uint8Array<ArrayBuffer>) => (calls++, real.getRandomValues(array));
      vi.stubGlobal('crypto', { getRandomValues });
      emptyRandomPoolForTesting(); // so the bytes come from the stub, not from a pool filled before it
      expect(uuidV4()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(calls).toBe(1);
    });
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
