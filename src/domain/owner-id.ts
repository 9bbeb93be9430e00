// Who the caller is. GrewMeet user ids are opaque ASCII strings (`user_1732500000000_123456789012`, sometimes an
// e-mail address), never UUIDs. HTTP carries header values as bytes that Node reads as latin1, so a UTF-8 id
// would arrive as other characters than were sent (and the gateway's own HTTP stack may mangle it first): only
// printable ASCII is accepted, which means the same whatever decodes it. Compared byte for byte in the store.

export type OwnerId = string & { readonly __brand: 'OwnerId' };

const OWNER_ID_MAX_LENGTH = 64;

/** The rule, in words, for refusals and the API documents. */
export const OWNER_ID_RULE =
  `1 to ${OWNER_ID_MAX_LENGTH} printable ASCII characters (letters, digits, punctuation, inner spaces), ` +
  'e.g. user_1732500000000_123456789012 or an e-mail address; no other characters, no leading or trailing space';

type OwnerIdCheck = { ok: true; value: OwnerId } | { ok: false; reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const OUTSIDE_ASCII = /[\u0080-\uffff]/;

export function parseOwnerId(raw: string | undefined): OwnerIdCheck {
  if (raw === undefined || raw.trim() === '') return { ok: false, reason: 'is missing' };
  // Before the length: a UTF-8 id read as latin1 is three or four characters per letter, and "too long" would mislead.
  if (OUTSIDE_ASCII.test(raw)) return { ok: false, reason: 'contains characters outside ASCII (such as Hangul or emoji)' };
  if (CONTROL_CHARACTERS.test(raw)) return { ok: false, reason: 'contains control characters' };
  if (raw.length > OWNER_ID_MAX_LENGTH) return { ok: false, reason: `is longer than ${OWNER_ID_MAX_LENGTH} characters` };
  // The store compares with a PAD SPACE collation: "a" and "a " would be one user there, so neither is allowed.
  if (raw !== raw.trim()) return { ok: false, reason: 'has leading or trailing white space' };
  return { ok: true, value: raw as OwnerId };
}
