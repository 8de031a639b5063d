// Configuration from the environment: defaults, SQLite and PostgreSQL URLs, key lists, and the local secrets that are
// generated once for SQLite (mode 0600, reused on restart) and refused for PostgreSQL.

import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, LOCAL_SECRETS_FILE, loadConfig, readKeys } from '../src/config';

const KEY_A = 'base64:' + Buffer.alloc(32, 1).toString('base64');
const KEY_B = 'hex:' + Buffer.alloc(32, 2).toString('hex');
const EXPLICIT = {
  TOTP_PROJECT_ID: 'project-live-acme',
  TOTP_SECRET: 'secret-live-xyz',
  TOTP_ENCRYPTION_KEY: KEY_A,
  TOTP_RECOVERY_CODE_PEPPER: KEY_B,
  TOTP_SESSION_SIGNING_KEY: KEY_A,
};
const tmp = () => mkdtempSync(join(tmpdir(), 'totp-config-'));

describe('loadConfig', () => {
  it('defaults to port 3000 on 127.0.0.1 and a SQLite file under ./.data/', () => {
    const dir = tmp();
    const config = loadConfig({}, dir);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database).toEqual({ provider: 'sqlite', file: join(dir, '.data', 'totp.db') });
    expect(config.projectName).toBe('TOTP');
  });

  it('generates local secrets once, in a 0600 file beside the SQLite file, and reuses them', () => {
    const dir = tmp();
    const first = loadConfig({}, dir);
    const file = join(dir, '.data', LOCAL_SECRETS_FILE);
    expect(first.localSecrets).toEqual({
      file,
      created: true,
      used: ['projectId', 'secret', 'encryptionKey', 'recoveryCodePepper', 'sessionSigningKey'],
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.data')).mode & 0o777).toBe(0o700);
    expect(first.projectId).toMatch(/^project-test-[0-9a-f-]{36}$/);
    expect(first.secret.length).toBeGreaterThan(40);
    for (const keys of [first.encryptionKeys, first.recoveryCodePepper, first.sessionSigningKeys]) {
      expect(keys).toHaveLength(1);
      expect(keys[0]?.key).toHaveLength(32);
    }
    expect(first.encryptionKeys[0]?.key).not.toEqual(first.recoveryCodePepper[0]?.key);
    const second = loadConfig({}, dir);
    expect(second.localSecrets?.created).toBe(false);
    expect(second.projectId).toBe(first.projectId);
    expect(second.secret).toBe(first.secret);
    expect(second.encryptionKeys).toEqual(first.encryptionKeys);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(stored).sort()).toEqual(['encryptionKey', 'projectId', 'recoveryCodePepper', 'secret', 'sessionSigningKey']);
  });

  it('prefers the environment, using the local file only for what is missing', () => {
    const dir = tmp();
    const config = loadConfig({ TOTP_PROJECT_ID: 'project-test-mine', TOTP_SECRET: 'mine' }, dir);
    expect(config.projectId).toBe('project-test-mine');
    expect(config.secret).toBe('mine');
    expect(config.localSecrets?.used).toEqual(['encryptionKey', 'recoveryCodePepper', 'sessionSigningKey']);
    const all = loadConfig(EXPLICIT, dir);
    expect(all.localSecrets).toBeNull();
    expect(all.projectId).toBe('project-live-acme');
  });

  it('tightens a local secrets file that others can read', () => {
    const dir = tmp();
    loadConfig({}, dir);
    const file = join(dir, '.data', LOCAL_SECRETS_FILE);
    chmodSync(file, 0o644);
    loadConfig({}, dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged local secrets file', () => {
    const dir = tmp();
    loadConfig({}, dir);
    writeFileSync(join(dir, '.data', LOCAL_SECRETS_FILE), '{"projectId":"x"}');
    expect(() => loadConfig({}, dir)).toThrow(/lacks secret/);
  });

  it('reads file: URLs, relative to the base folder', () => {
    const dir = tmp();
    expect(loadConfig({ ...EXPLICIT, DATABASE_URL: 'file:./db/x.db' }, dir).database).toEqual({
      provider: 'sqlite',
      file: join(dir, 'db', 'x.db'),
    });
    expect(loadConfig({ ...EXPLICIT, DATABASE_URL: 'file:/var/x.db' }, dir).database).toEqual({ provider: 'sqlite', file: '/var/x.db' });
  });

  it('uses PostgreSQL for postgres:// URLs and then requires every secret explicitly', () => {
    const dir = tmp();
    const url = 'postgresql://u@127.0.0.1:5432/db';
    expect(loadConfig({ ...EXPLICIT, DATABASE_URL: url }, dir).database).toEqual({ provider: 'postgresql', url });
    const { TOTP_SECRET: _s, TOTP_SESSION_SIGNING_KEY: _k, ...partial } = EXPLICIT;
    expect(() => loadConfig({ ...partial, DATABASE_URL: url }, dir)).toThrow(ConfigError);
    expect(() => loadConfig({ ...partial, DATABASE_URL: url }, dir)).toThrow(/missing: TOTP_SECRET, TOTP_SESSION_SIGNING_KEY/);
  });

  it('refuses to generate keys when NODE_ENV is production, and writes no secrets file', () => {
    const dir = tmp();
    expect(() => loadConfig({ NODE_ENV: 'production' }, dir)).toThrow(/NODE_ENV is production.*TOTP_ENCRYPTION_KEY/);
    const { TOTP_RECOVERY_CODE_PEPPER: _p, ...partial } = EXPLICIT;
    expect(() => loadConfig({ ...partial, NODE_ENV: 'production' }, dir)).toThrow(/TOTP_RECOVERY_CODE_PEPPER/);
    expect(() => readFileSync(join(dir, '.data', LOCAL_SECRETS_FILE))).toThrow();
    // Everything given: SQLite in production is allowed (a single-process deployment), with keys from the environment.
    expect(loadConfig({ ...EXPLICIT, NODE_ENV: 'production' }, dir).localSecrets).toBeNull();
  });

  it.each([
    [{ PORT: 'http' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ PORT: '-1' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ DATABASE_URL: 'file:' }, /DATABASE_URL/],
    [{ TOTP_PROJECT_ID: 'acme' }, /TOTP_PROJECT_ID/],
    [{ TOTP_ENCRYPTION_KEY: 'deadbeef' }, /TOTP_ENCRYPTION_KEY/],
    [{ TOTP_PROJECT_NAME: 'x'.repeat(101) }, /TOTP_PROJECT_NAME/],
  ])('refuses %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ ...EXPLICIT, ...env }, tmp())).toThrow(message);
  });
});

describe('readKeys', () => {
  it('reads a comma-separated list, first in use, with IDs that are fingerprints of the key bytes', () => {
    const keys = readKeys('K', `${KEY_A}, ${KEY_B}`);
    expect(keys.map((k) => k.id)).toEqual([expect.stringMatching(/^k-[0-9a-f]{16}$/), expect.stringMatching(/^k-[0-9a-f]{16}$/)]);
    expect(readKeys('K', `${KEY_B},${KEY_A}`).map((k) => k.id)).toEqual([keys[1]?.id, keys[0]?.id]);
    expect(() => readKeys('K', `${KEY_A},`)).toThrow(/empty entry/);
  });
});
