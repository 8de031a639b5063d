// The reference server's configuration, read from the environment: port, database, project credentials and keys.
// For local use on SQLite, what is not given is generated once and kept beside the database file (mode 0600).

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { decodeKeyMaterial, type KeyInput } from '@totp/core';

export type DatabaseConfig = { provider: 'sqlite'; file: string } | { provider: 'postgresql'; url: string };

export interface ServerConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  projectId: string;
  secret: string;
  /** Shown in authenticator apps as `<projectName> (<organization name>)`. */
  projectName: string;
  encryptionKeys: KeyInput[];
  recoveryCodePepper: KeyInput[];
  sessionSigningKeys: KeyInput[];
  /**
   * Set when some values come from the local secrets file (SQLite only): the file, whether it was created just now,
   * and which values it supplied (so that main can warn that they are for local use).
   */
  localSecrets: { file: string; created: boolean; used: Array<keyof LocalSecrets> } | null;
}

/** What is generated for local use when the environment does not give it. */
export interface LocalSecrets {
  projectId: string;
  secret: string;
  encryptionKey: string;
  recoveryCodePepper: string;
  sessionSigningKey: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const LOCAL_SECRETS_FILE = 'totp-local-secrets.json';
const DEFAULT_SQLITE_FILE = join('.data', 'totp.db');
const PROJECT_ID = /^project-(test|live)-[^\s:]+$/;

const ENV = {
  projectId: 'TOTP_PROJECT_ID',
  secret: 'TOTP_SECRET',
  encryptionKey: 'TOTP_ENCRYPTION_KEY',
  recoveryCodePepper: 'TOTP_RECOVERY_CODE_PEPPER',
  sessionSigningKey: 'TOTP_SESSION_SIGNING_KEY',
} as const satisfies Record<keyof LocalSecrets, string>;

function readPort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${value}"`);
  return port;
}

function readDatabase(value: string | undefined, baseDir: string): DatabaseConfig {
  if (value === undefined || value === '') return { provider: 'sqlite', file: resolve(baseDir, DEFAULT_SQLITE_FILE) };
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new ConfigError('DATABASE_URL "file:" names no file');
    return { provider: 'sqlite', file: isAbsolute(path) ? path : resolve(baseDir, path) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) return { provider: 'postgresql', url: value };
  throw new ConfigError('DATABASE_URL must be file:<path> (SQLite) or postgresql://… (PostgreSQL)');
}

/**
 * A key list from the environment: key material separated by commas, the first one in use, the others still
 * accepted (rotation). Each key's ID is a fingerprint of its bytes, so reordering the list never changes an ID.
 */
export function readKeys(name: string, text: string): KeyInput[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new ConfigError(`${name} has an empty entry`);
  return parts.map((part, i) => {
    let key: Uint8Array;
    try {
      key = decodeKeyMaterial(part);
    } catch (error) {
      throw new ConfigError(`${name}${parts.length > 1 ? ` (entry ${i + 1})` : ''}: ${(error as Error).message}`);
    }
    return { id: `k-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`, key };
  });
}

function generate(): LocalSecrets {
  const key = () => `base64url:${randomBytes(32).toString('base64url')}`;
  return {
    projectId: `project-test-${randomUUID()}`,
    secret: `secret-test-${randomBytes(32).toString('base64url')}`,
    encryptionKey: key(),
    recoveryCodePepper: key(),
    sessionSigningKey: key(),
  };
}

/** Reads the local secrets file, creating it (0600, in a 0700 folder) with fresh values the first time. */
function localSecretsAt(file: string): { secrets: LocalSecrets; created: boolean } {
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(file, 0o600);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new ConfigError(`${file} is not valid JSON; delete it to generate new local secrets`);
    }
    const missing = (Object.keys(ENV) as Array<keyof LocalSecrets>).filter(
      (k) => typeof (parsed as Record<string, unknown> | null)?.[k] !== 'string',
    );
    if (missing.length > 0) throw new ConfigError(`${file} lacks ${missing.join(', ')}; delete it to generate new local secrets`);
    return { secrets: parsed as LocalSecrets, created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const secrets = generate();
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { secrets, created: true };
}

/**
 * The configuration from `env`. Relative SQLite paths are resolved against `baseDir` (where `pnpm start` was run).
 * Throws ConfigError with a message meant for the person starting the server.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, baseDir: string): ServerConfig {
  const database = readDatabase(env.DATABASE_URL, baseDir);
  const given = Object.fromEntries(
    Object.entries(ENV).map(([k, name]) => [k, env[name] === '' ? undefined : env[name]]),
  ) as Partial<LocalSecrets>;
  const missing = (Object.keys(ENV) as Array<keyof LocalSecrets>).filter((k) => given[k] === undefined);

  let values: LocalSecrets;
  let localSecrets: ServerConfig['localSecrets'] = null;
  if (missing.length === 0) {
    values = given as LocalSecrets;
  } else if (database.provider === 'postgresql') {
    throw new ConfigError(
      `With PostgreSQL, every secret must be given explicitly; missing: ${missing.map((k) => ENV[k]).join(', ')}.\n` +
        'Generate each key with `openssl rand -base64 32`, the secret likewise; TOTP_PROJECT_ID is project-live-<anything> ' +
        'or project-test-<anything>. (Generated secrets are for local use with SQLite only.)',
    );
  } else if (env.NODE_ENV === 'production') {
    // Generated keys live beside the database file: fine on a laptop, a leak waiting to happen anywhere else.
    throw new ConfigError(
      `NODE_ENV is production, so keys are not generated: set ${missing.map((k) => ENV[k]).join(', ')} from your secret store ` +
        '(generate each key with `openssl rand -base64 32`). Generated keys are for local use with SQLite only.',
    );
  } else {
    const file = join(dirname(database.file), LOCAL_SECRETS_FILE);
    const { secrets, created } = localSecretsAt(file);
    values = { ...secrets, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
    localSecrets = { file, created, used: missing };
  }

  if (!PROJECT_ID.test(values.projectId)) {
    throw new ConfigError('TOTP_PROJECT_ID must start with "project-test-" or "project-live-" and contain no spaces or ":"');
  }
  const projectName = env.TOTP_PROJECT_NAME ?? 'TOTP';
  if (projectName.length === 0 || projectName.length > 100) throw new ConfigError('TOTP_PROJECT_NAME must be 1 to 100 characters');

  return {
    port: readPort(env.PORT),
    host: env.HOST === undefined || env.HOST === '' ? '127.0.0.1' : env.HOST,
    database,
    projectId: values.projectId,
    secret: values.secret,
    projectName,
    encryptionKeys: readKeys(ENV.encryptionKey, values.encryptionKey),
    recoveryCodePepper: readKeys(ENV.recoveryCodePepper, values.recoveryCodePepper),
    sessionSigningKeys: readKeys(ENV.sessionSigningKey, values.sessionSigningKey),
    localSecrets,
  };
}
