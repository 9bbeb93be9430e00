// Who is calling. In gateway mode the API gateway has verified the user's JWT and put the user id in
// X-Owner-Id; this service only checks it against the owner-id rule (domain/owner-id.ts). In jwt mode the service verifies the
// token itself (jwt-identity.ts).

import type { FastifyRequest } from 'fastify';
import { OWNER_ID_RULE, type OwnerId, parseOwnerId } from '../../domain/owner-id.ts';

export const OWNER_HEADER = 'x-owner-id';

export type IdentityOutcome =
  | { ok: true; ownerId: OwnerId }
  /** `challenge` is the WWW-Authenticate value that tells the client how to identify itself. */
  | { ok: false; kind: 'unauthenticated'; detail: string; challenge: string }
  | { ok: false; kind: 'identityMismatch'; detail: string };

export type IdentityResolver = (request: FastifyRequest) => Promise<IdentityOutcome>;

function ownerFromHeader(request: FastifyRequest): { ok: true; ownerId: OwnerId } | { ok: false; detail: string } {
  // Node joins a repeated header into one "a, b" value. A repeated header is ambiguous about who is calling:
  // refuse it rather than store the joined text as a user id.
  if ((request.raw.headersDistinct?.[OWNER_HEADER]?.length ?? 0) > 1) {
    return { ok: false, detail: 'The X-Owner-Id header is sent more than once.' };
  }
  const value = request.headers[OWNER_HEADER];
  const check = parseOwnerId(Array.isArray(value) ? undefined : value);
  return check.ok
    ? { ok: true, ownerId: check.value }
    : { ok: false, detail: `The X-Owner-Id header ${check.reason}; it must be ${OWNER_ID_RULE}.` };
}

export function gatewayIdentity(): IdentityResolver {
  return async (request) => {
    const owner = ownerFromHeader(request);
    if (owner.ok) return owner;
    return { ok: false, kind: 'unauthenticated', detail: owner.detail, challenge: 'X-Owner-Id realm="grewmeet"' };
  };
}
