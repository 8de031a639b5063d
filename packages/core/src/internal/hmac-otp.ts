// The HMAC step of HOTP: HMAC(K, C) over an 8-byte counter and the dynamic truncation of its digest.
// RFC 4226 §5.2–5.3 (HOTP) with RFC 6238 §1.2's SHA-256/SHA-512; HMAC per RFC 2104 over @noble/hashes.

import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash, Hash } from '@noble/hashes/utils.js';
import type { TotpAlgorithmName } from '../model';

/** A noble hash instance, with the clone-into-existing method its own HMAC uses to avoid allocating. */
interface Cloneable extends Hash<Cloneable> {
  _cloneInto(to?: Cloneable): Cloneable;
}

/**
 * HMAC (RFC 2104) with the key schedule done once and every buffer reused. This is noble's `hmac`
 * taken apart: keying hashes the ipad and opad blocks (two compressions) into `innerKeyed`/`outerKeyed`;
 * each counter then clones those states into `innerWork`/`outerWork` and costs one compression each. At
 * HOTP's message sizes the allocations in `hmac()` (hash objects, their buffers and views) cost more than
 * the compressions, so instances are pooled per algorithm and re-keyed rather than created per call.
 */
export class HotpMac {
  readonly #pristine: Cloneable;
  readonly #innerKeyed: Cloneable;
  readonly #outerKeyed: Cloneable;
  readonly #innerWork: Cloneable;
  readonly #outerWork: Cloneable;
  readonly #hash: CHash;
  readonly #pad: Uint8Array;
  readonly #counter = new Uint8Array(8);
  readonly #digest: Uint8Array;
  #inUse = false;

  private constructor(hash: CHash) {
    this.#hash = hash;
    const create = (): Cloneable => hash.create() as unknown as Cloneable;
    this.#pristine = create();
    this.#innerKeyed = create();
    this.#outerKeyed = create();
    this.#innerWork = create();
    this.#outerWork = create();
    this.#pad = new Uint8Array(hash.blockLen);
    this.#digest = new Uint8Array(hash.outputLen);
  }

  static readonly #pool = new Map<TotpAlgorithmName, HotpMac>();

  /**
   * A MAC keyed with `key`; pass it to `release` when done (in a `finally`), which wipes it. Everything is
   * synchronous, so the pooled instance is only ever in use by one caller; a nested acquire gets a new one.
   */
  static acquire(algorithm: TotpAlgorithmName, key: Uint8Array): HotpMac {
    let mac = HotpMac.#pool.get(algorithm);
    if (mac === undefined || mac.#inUse) {
      mac = new HotpMac(algorithm === 'SHA1' ? sha1 : algorithm === 'SHA256' ? sha256 : sha512);
      if (!HotpMac.#pool.has(algorithm)) HotpMac.#pool.set(algorithm, mac);
    }
    mac.#inUse = true;
    try {
      mac.#setKey(key);
    } catch (error) {
      mac.release();
      throw error;
    }
    return mac;
  }

  #setKey(key: Uint8Array): void {
    const pad = this.#pad;
    pad.fill(0);
    if (key.length > pad.length) {
      // RFC 2104 §2: a key longer than the block is replaced by its hash, which is key material too.
      const hashedKey = this.#hash(key);
      pad.set(hashedKey);
      hashedKey.fill(0);
    } else {
      pad.set(key);
    }
    for (let i = 0; i < pad.length; i++) pad[i]! ^= 0x36;
    // Cloning the pristine state resets a used (or wiped) instance to the hash's IV.
    this.#pristine._cloneInto(this.#innerKeyed).update(pad);
    for (let i = 0; i < pad.length; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.#pristine._cloneInto(this.#outerKeyed).update(pad);
    pad.fill(0);
  }

  /**
   * RFC 4226 §5.3's Snum: the 31-bit integer dynamic truncation extracts from HMAC(K, counter). The
   * caller reduces it modulo 10^digits; keeping it an integer lets verification compare numbers, not strings.
   * `counter` must be a safe non-negative integer (checked by the caller).
   */
  truncated(counter: number): number {
    const c = this.#counter;
    // 8-byte big-endian, written as two 32-bit halves because bitwise operators stop at 32 bits.
    const high = Math.floor(counter / 0x1_0000_0000);
    const low = counter >>> 0;
    c[0] = high >>> 24;
    c[1] = high >>> 16;
    c[2] = high >>> 8;
    c[3] = high;
    c[4] = low >>> 24;
    c[5] = low >>> 16;
    c[6] = low >>> 8;
    c[7] = low;
    const d = this.#digest;
    // _cloneInto(to) overwrites and returns `to`: the keyed states are copied, never consumed.
    this.#innerKeyed._cloneInto(this.#innerWork).update(c).digestInto(d);
    this.#outerKeyed._cloneInto(this.#outerWork).update(d).digestInto(d);
    const offset = d[d.length - 1]! & 0x0f;
    return ((d[offset]! & 0x7f) << 24) | (d[offset + 1]! << 16) | (d[offset + 2]! << 8) | d[offset + 3]!;
  }

  /** Wipes every keyed state, the last digest and counter, so no key material outlives the call. */
  release(): void {
    this.#innerKeyed.destroy();
    this.#outerKeyed.destroy();
    this.#innerWork.destroy();
    this.#outerWork.destroy();
    this.#digest.fill(0);
    this.#counter.fill(0);
    this.#inUse = false;
  }
}
