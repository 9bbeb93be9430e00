// Who the caller is. GrewMeet user ids are opaque strings (`user_1732500000000_123456789012`), never UUIDs:
// we only make sure they are safe to store and compare byte for byte.

export type OwnerId = string & { readonly __brand: 'OwnerId' };

export const OWNER_ID_MAX_LENGTH = 64;

export type OwnerIdCheck = { ok: true; value: OwnerId } | { ok: false; reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

export function parseOwnerId(raw: string | undefined): OwnerIdCheck {
  if (raw === undefined || raw.trim() === '') return { ok: false, reason: 'is missing' };
  if ([...raw].length > OWNER_ID_MAX_LENGTH) return { ok: false, reason: `is longer than ${OWNER_ID_MAX_LENGTH} characters` };
  if (CONTROL_CHARACTERS.test(raw)) return { ok: false, reason: 'contains control characters' };
  // The store compares with a PAD SPACE collation: "a" and "a " would be one user there, so neither is allowed.
  if (raw !== raw.trim()) return { ok: false, reason: 'has leading or trailing white space' };
  return { ok: true, value: raw as OwnerId };
}
