// Server-side keys with IDs, so they can be rotated: the first key writes new data, every key reads old data.
// Key text from configuration is read as RFC 4648 base64 / base64url (§4, §5) or base16 (§8) via @scure/base.

import { base64nopad, hex } from '@scure/base';
import { isBytes } from '../otp/internal/arguments';

/** One key as configured: an ID stored next to everything it protects, and the secret bytes. */
export interface KeyInput {
  id: string;
  key: Uint8Array;
}

/**
 * Validated keys for one purpose. `current` (the first key given) encrypts or hashes new data; `get` finds any
 * key by the ID stored with old data. Key bytes are copies: mutating them changes nothing in the ring.
 * `JSON.stringify`, `String()` and Node's `util.inspect` show the purpose and IDs, never key bytes.
 */
export interface Keyring {
  readonly purpose: string;
  /** The key new data is written under; `current.key` is a fresh copy on every read. */
  readonly current: Readonly<KeyInput>;
  /** A copy of the key with this ID, or undefined. */
  get(id: string): Uint8Array | undefined;
  /** Every ID, current first. */
  readonly ids: readonly string[];
}

/** Key IDs are stored in every row next to the data, so they are short, printable and not secret. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Past a handful of rotations old keys should be retired; the cap also bounds per-lookup work (one HMAC per key). */
export const MAX_KEYS = 100;
/** Bounds the work done on configuration text before it is known to be a key. */
export const MAX_KEY_MATERIAL_LENGTH = 4096;

export interface KeyLengthRule {
  exactBytes?: number;
  minBytes?: number;
}

/**
 * Validates and copies `keys` into a Keyring.
 * @param purpose names the keys in error messages, e.g. `'encryption keys'`.
 * @throws TypeError when the list is missing or not an array, an entry is not an object, an ID is not a string
 *   or a key is not a Uint8Array; RangeError when the list is empty or longer than 100, an ID does not match
 *   `/^[A-Za-z0-9._-]{1,64}$/`, two IDs are equal, or a key's length breaks `rule`. Messages never quote key bytes.
 */
export function createKeyring(purpose: string, keys: readonly KeyInput[] | undefined, rule: KeyLengthRule): Keyring {
  if (typeof purpose !== 'string') {
    throw new TypeError('createKeyring: purpose must be a string of 1 to 100 characters, e.g. "encryption keys"');
  }
  if (purpose.length === 0 || purpose.length > 100) {
    throw new RangeError('createKeyring: purpose must be 1 to 100 characters long, e.g. "encryption keys"');
  }
  const { exactBytes, minBytes } = checkRule(purpose, rule);
  if (keys === undefined || keys === null) {
    throw new TypeError(`${purpose} are required: pass a list of { id, key } with at least one key`);
  }
  if (!Array.isArray(keys)) {
    throw new TypeError(`${purpose} must be an array of { id: string, key: Uint8Array }`);
  }
  if (keys.length === 0) throw new RangeError(`${purpose}: at least one key is required`);
  if (keys.length > MAX_KEYS) throw new RangeError(`${purpose}: at most ${MAX_KEYS} keys are allowed, got ${keys.length}`);

  const noun = singular(purpose);
  const byId = new Map<string, Uint8Array>();
  const ids: string[] = [];
  for (let index = 0; index < keys.length; index++) {
    const entry: unknown = keys[index];
    if (typeof entry !== 'object' || entry === null) {
      throw new TypeError(`${purpose}[${index}] must be an object { id: string, key: Uint8Array }`);
    }
    const id = Object.hasOwn(entry, 'id') ? (entry as { id: unknown }).id : undefined;
    const key = Object.hasOwn(entry, 'key') ? (entry as { key: unknown }).key : undefined;
    if (typeof id !== 'string') throw new TypeError(`${purpose}[${index}].id must be a string`);
    // The ID is not echoed when malformed: a misconfigured ID is sometimes the key itself pasted in the wrong place.
    if (!KEY_ID_PATTERN.test(id)) {
      throw new RangeError(`${purpose}[${index}].id must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'`);
    }
    if (byId.has(id)) throw new RangeError(`${purpose}: the id '${id}' is used more than once; ids must be unique`);
    if (!isBytes(key)) throw new TypeError(`${noun} '${id}' must be a Uint8Array`);
    if (exactBytes !== undefined && key.length !== exactBytes) {
      throw new RangeError(`${noun} '${id}' must be ${exactBytes} bytes, got ${key.length}`);
    }
    if (minBytes !== undefined && key.length < minBytes) {
      throw new RangeError(`${noun} '${id}' must be at least ${minBytes} bytes, got ${key.length}`);
    }
    if (key.length === 0) throw new RangeError(`${noun} '${id}' must not be empty`);
    byId.set(id, Uint8Array.from(key));
    ids.push(id);
  }
  return new KeyringImpl(purpose, byId, Object.freeze(ids));
}

class KeyringImpl implements Keyring {
  readonly purpose: string;
  readonly current: Readonly<KeyInput>;
  readonly ids: readonly string[];
  // A private field, so neither JSON.stringify, util.inspect nor a property walk can reach the bytes.
  readonly #keys: ReadonlyMap<string, Uint8Array>;

  constructor(purpose: string, keys: ReadonlyMap<string, Uint8Array>, ids: readonly string[]) {
    this.purpose = purpose;
    this.#keys = keys;
    this.ids = ids;
    const currentId = ids[0] as string;
    const currentKey = keys.get(currentId) as Uint8Array;
    const current = { id: currentId } as KeyInput;
    // Non-enumerable, so serialising or spreading `keyring.current` shows only its ID.
    Object.defineProperty(current, 'key', { enumerable: false, get: () => currentKey.slice() });
    this.current = Object.freeze(current);
    Object.freeze(this);
  }

  get(id: string): Uint8Array | undefined {
    if (typeof id !== 'string') return undefined;
    return this.#keys.get(id)?.slice();
  }

  toJSON(): { purpose: string; ids: readonly string[] } {
    return { purpose: this.purpose, ids: this.ids };
  }

  toString(): string {
    return `Keyring(${this.purpose}: ${this.ids.join(', ')})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** True when `value` has the shape of a Keyring: a ring from a second copy of this package, or a host's own, passes. */
export function isKeyring(value: unknown): value is Keyring {
  const candidate = value as Partial<Keyring> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.get === 'function' &&
    typeof candidate.current === 'object' &&
    candidate.current !== null &&
    typeof candidate.current.id === 'string' &&
    Array.isArray(candidate.ids)
  );
}

/**
 * A fresh copy of the key with this ID (the current one when `id` is absent), for the caller to use and then wipe.
 * Rings promise copies, but a host's own ring might hand out the array it keeps, and wiping that would zero its key
 * for good: so the bytes are copied here, whoever built the ring. Undefined when the ring has no such key.
 * @throws TypeError when the ring gives something other than bytes for it.
 */
export function keyCopy(keyring: Keyring, id?: string): { id: string; key: Uint8Array } | undefined {
  const keyId = id ?? keyring.current.id;
  const key: unknown = id === undefined ? keyring.current.key : keyring.get(id);
  if (key === undefined) return undefined;
  if (!isBytes(key)) throw new TypeError(`the ${keyring.purpose} ring must give key '${keyId}' as a Uint8Array`);
  return { id: keyId, key: Uint8Array.from(key) };
}

/** Misuse check for functions that take a Keyring. */
export function assertKeyring(value: unknown, name: string): asserts value is Keyring {
  if (!isKeyring(value)) throw new TypeError(`${name} must be a Keyring (see createKeyring)`);
}

function checkRule(purpose: string, rule: KeyLengthRule): { exactBytes: number | undefined; minBytes: number | undefined } {
  if (typeof rule !== 'object' || rule === null) {
    throw new TypeError('createKeyring: rule must be an object { exactBytes?: number; minBytes?: number }');
  }
  const exactBytes = Object.hasOwn(rule, 'exactBytes') ? rule.exactBytes : undefined;
  const minBytes = Object.hasOwn(rule, 'minBytes') ? rule.minBytes : undefined;
  for (const [name, value] of [
    ['exactBytes', exactBytes],
    ['minBytes', minBytes],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1024)) {
      throw new RangeError(`createKeyring(${purpose}): rule.${name} must be an integer from 1 to 1024`);
    }
  }
  return { exactBytes, minBytes };
}

/** "encryption keys" → "encryption key"; "recovery code pepper" → "recovery code pepper key". */
function singular(purpose: string): string {
  return purpose.endsWith(' keys') ? purpose.slice(0, -1) : `${purpose} key`;
}

/**
 * Reads key bytes from configuration text (an environment variable, a secrets manager value). The rule, in order:
 * 1. Surrounding ASCII whitespace is dropped (a trailing newline is common in secret files).
 * 2. `hex:` prefix: base16, either case, even length.
 * 3. `base64:` or `base64url:` prefix: base64 in either alphabet (`+/` or `-_`, not mixed), `=` padding optional.
 * 4. No prefix, exactly 64 hex digits: hex (a 32-byte key from `openssl rand -hex 32`).
 * 5. No prefix, only hex digits but another length: refused as ambiguous, since such text is valid base64 too.
 * 6. Otherwise: base64 as in 3 (`openssl rand -base64 32`).
 * @throws TypeError when `text` is not a string or is not key material by that rule; RangeError when it is longer
 *   than 4096 characters. Messages never quote the text.
 */
export function decodeKeyMaterial(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('key material must be a string (hex or base64)');
  if (text.length > MAX_KEY_MATERIAL_LENGTH) {
    throw new RangeError(`key material must be at most ${MAX_KEY_MATERIAL_LENGTH} characters long, got ${text.length}`);
  }
  const trimmed = text.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
  if (trimmed.length === 0) throw new TypeError('key material is empty');
  const prefix = /^(hex|base64|base64url):/i.exec(trimmed);
  if (prefix !== null) {
    const body = trimmed.slice(prefix[0].length);
    return (prefix[1] as string).toLowerCase() === 'hex' ? decodeHex(body) : decodeBase64(body);
  }
  if (/^[0-9A-Fa-f]{64}$/.test(trimmed)) return decodeHex(trimmed);
  if (/^[0-9A-Fa-f]+$/.test(trimmed)) {
    throw new TypeError(
      'key material is ambiguous: it is only hex digits but not 64 of them, so it could be hex or base64; ' +
        'prefix it with "hex:" or "base64:"',
    );
  }
  return decodeBase64(trimmed);
}

function decodeHex(body: string): Uint8Array {
  if (body.length === 0 || body.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(body)) {
    throw new TypeError('key material is not valid hex: expected a non-empty, even number of digits 0-9 and a-f');
  }
  return hex.decode(body.toLowerCase());
}

function decodeBase64(body: string): Uint8Array {
  const invalid = 'key material is not valid base64 or base64url (RFC 4648 §4, §5)';
  const match = /^([A-Za-z0-9+/_-]*)(=*)$/.exec(body);
  if (match === null) throw new TypeError(invalid);
  const data = match[1] as string;
  const padding = (match[2] as string).length;
  if (/[+/]/.test(data) && /[-_]/.test(data)) {
    throw new TypeError(`${invalid}: it mixes the base64 (+/) and base64url (-_) alphabets`);
  }
  const remainder = data.length % 4;
  if (data.length === 0 || remainder === 1 || (padding !== 0 && padding !== (4 - remainder) % 4)) {
    throw new TypeError(invalid);
  }
  try {
    return base64nopad.decode(data.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    // What @scure/base still refuses here is non-zero unused trailing bits: one key, one spelling.
    throw new TypeError(`${invalid}: its last character carries non-zero unused bits`);
  }
}
