// preparedStatementNames: one stable name per distinct SQL text, per generator, and none past its limit.

import { describe, expect, it } from 'vitest';
import { preparedStatementNames } from './prepared-statements';

describe('preparedStatementNames', () => {
  it('gives each distinct SQL text one stable name, and none past the limit', () => {
    const name = preparedStatementNames({ max: 2 });
    expect(name({ sql: 'SELECT 1' })).toBe('totp_0');
    expect(name({ sql: 'SELECT 2' })).toBe('totp_1');
    expect(name({ sql: 'SELECT 1' })).toBe('totp_0');
    expect(name({ sql: 'SELECT 3' })).toBeUndefined();
    expect(name({ sql: 'SELECT 2' })).toBe('totp_1');
  });

  it('keeps names per generator', () => {
    const [a, b] = [preparedStatementNames(), preparedStatementNames()];
    expect(a({ sql: 'SELECT 9' })).toBe('totp_0');
    expect(b({ sql: 'SELECT 8' })).toBe('totp_0');
  });

  it('refuses a bad limit', () => {
    expect(() => preparedStatementNames({ max: -1 })).toThrow(RangeError);
    expect(() => preparedStatementNames({ max: 1.5 })).toThrow(RangeError);
  });
});
