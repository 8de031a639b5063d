// Well-formed text and its UTF-8 bytes (WHATWG Encoding §4, RFC 3629), for values that are hashed, bound or encoded.
// Strict where TextEncoder is lenient: a lone surrogate becomes U+FFFD there, which would make two strings collide.

/** With the `u` flag a surrogate pair is one code point, so only unpaired halves match `\p{Cs}`. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` has no unpaired UTF-16 surrogate, i.e. it has exactly one UTF-8 encoding. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * The UTF-8 bytes of `text`.
 * @throws TypeError when `text` holds a lone surrogate: encoding it as U+FFFD would make `'\uD800'` and `'\uFFFD'`
 *   the same bytes, so two different IDs or labels could be confused for one another.
 */
export function strictUtf8(text: string, name: string): Uint8Array {
  if (!isWellFormedText(text)) {
    throw new TypeError(`${name} must be well-formed Unicode text (it contains an unpaired surrogate)`);
  }
  return new TextEncoder().encode(text);
}

/** Counts code points rather than UTF-16 units, so an emoji counts as one character, as a person would count it. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
